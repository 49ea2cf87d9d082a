//! Writing the on-disk cache holds no second copy of it: the payload is encoded straight into
//! the file, so on a large tree the save adds little to the run's peak memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use djperm::workspace::disk_cache::DiskCache;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst) + layout.size() as isize;
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size as isize - layout.size() as isize;
        let now = LIVE.fetch_add(delta, Ordering::SeqCst) + delta;
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn saving_the_cache_adds_a_small_fraction_of_its_size_to_the_heap() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let disk = DiskCache::open(&cache, "v1");
    let files: Vec<(String, String, String)> = (0..400)
        .map(|i| {
            let perms: Vec<String> = (0..60)
                .map(|k| format!("('can_do_{k}_{i}', 'Can do {k} of thing {i}')"))
                .collect();
            let text = format!(
                "from django.db import models\n\n\nclass Thing{i}(models.Model):\n    \
                 name = models.CharField(max_length=20)\n\n    class Meta:\n        \
                 permissions = [{}]\n",
                perms.join(", ")
            );
            (format!("app{i}/models.py"), format!("app{i}.models"), text)
        })
        .collect();
    for (i, (path, module, text)) in files.iter().enumerate() {
        disk.facts(i, path, module, false, text, || {
            djperm::python::extract_python(i, text, module, false)
        });
    }
    let paths: Vec<&str> = files.iter().map(|(p, _, _)| p.as_str()).collect();
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    disk.save(&paths).unwrap();
    let added = PEAK.load(Ordering::SeqCst) - before;
    let size = std::fs::metadata(cache.join("facts.bin")).unwrap().len() as isize;
    assert!(
        size > 1 << 20,
        "a cache file of {size} bytes is too small to tell"
    );
    assert!(
        added < size / 4,
        "saving a {size}-byte cache took {added} more bytes of heap"
    );
    // What was written is read back: every file is a hit.
    let again = DiskCache::open(&cache, "v1");
    for (i, (path, module, text)) in files.iter().enumerate() {
        again.facts(i, path, module, false, text, || panic!("{path} missed"));
    }
    assert_eq!((again.hits(), again.misses()), (400, 0));
}
