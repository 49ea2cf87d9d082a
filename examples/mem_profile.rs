//! Where the memory of a report-only `check` goes (not a test):
//!
//! ```sh
//! cargo run --release --example mem_profile -- bench/trees/gen-20k
//! ```
//!
//! Runs the phases of `djperm check --no-cache` (the reading that parses as it reads, facts,
//! index, rules) under a counting allocator and prints the bytes live after each phase and the peak within it, then
//! the heap bytes of each field of the per-file facts (measured as what cloning it allocates,
//! so without spare capacity; the difference to the live bytes is spare capacity and the
//! allocator's own rounding).

use std::alloc::{GlobalAlloc, Layout};
use std::path::Path;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use djperm::config::Config;
use djperm::facts::FileFacts;
use djperm::workspace::prefilter::Scope;
use djperm::workspace::Workspace;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static HIST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicUsize = AtomicUsize::new(0);
static BUCKETS: [AtomicUsize; 40] = [ZERO; 40];

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        COUNT.fetch_add(1, Ordering::Relaxed);
        if HIST.load(Ordering::Relaxed) {
            BUCKETS[((layout.size().max(1) - 1) / 8).min(39)].fetch_add(1, Ordering::Relaxed);
        }
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size as isize - layout.size() as isize;
        let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn mb(bytes: isize) -> f64 {
    bytes as f64 / 1e6
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let hwm = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            let rss = s.lines().find(|l| l.starts_with("VmRSS:"))?;
            let kb = |l: &str| -> Option<f64> { l.split_whitespace().nth(1)?.parse().ok() };
            Some(format!(
                "rss {:.0} MB, rss peak {:.0} MB",
                kb(rss)? / 1024.0,
                kb(hwm)? / 1024.0
            ))
        })
        .unwrap_or_default()
}

fn phase(name: &str) {
    let live = LIVE.load(Ordering::Relaxed);
    let peak = PEAK.swap(live, Ordering::Relaxed);
    eprintln!(
        "{name:<10} live {:>8.1} MB  peak {:>8.1} MB  ({})",
        mb(live),
        mb(peak),
        rss()
    );
}

/// Heap bytes allocated by cloning `value`.
fn heap<T: Clone>(value: &T) -> isize {
    let before = LIVE.load(Ordering::Relaxed);
    let copy = value.clone();
    let after = LIVE.load(Ordering::Relaxed);
    drop(copy);
    after - before
}

#[derive(Default, Debug)]
struct Tally {
    values: [usize; 10],
    strings: usize,
    string_bytes: usize,
    inline_24: usize,
    vecs: usize,
    vec_slots: usize,
    maps: usize,
    map_len: usize,
    map_cap: usize,
}

fn s(t: &mut Tally, s: &str) {
    t.strings += 1;
    t.string_bytes += s.len();
    if s.len() <= 24 {
        t.inline_24 += 1;
    }
}

fn v(t: &mut Tally, value: &djperm::value::Value) {
    use djperm::value::Value;
    let k = match value {
        Value::Str(x) => {
            s(t, x);
            0
        }
        Value::Seq(items) => {
            t.vecs += 1;
            t.vec_slots += items.capacity();
            items.iter().for_each(|i| v(t, &i.value));
            1
        }
        Value::Dict(items) => {
            t.vecs += 1;
            t.vec_slots += items.capacity();
            for (a, b) in items {
                v(t, a);
                v(t, &b.value);
            }
            2
        }
        Value::Bool(_) | Value::Unknown => 3,
        Value::Int(_) => 4,
        Value::None => 5,
        Value::Ref { module, path } => {
            s(t, module);
            t.vecs += 1;
            t.vec_slots += path.capacity();
            path.iter().for_each(|p| s(t, p));
            6
        }
        Value::StarRef { modules, path } => {
            modules.iter().for_each(|p| s(t, p));
            path.iter().for_each(|p| s(t, p));
            7
        }
        Value::Concat(items) => {
            items.iter().for_each(|i| v(t, i));
            8
        }
        Value::Call(call) => {
            let djperm::value::Call {
                func,
                on,
                args,
                kwargs,
            } = &**call;
            s(t, func);
            if let Some(on) = on {
                v(t, on);
            }
            t.vecs += 2;
            t.vec_slots += args.capacity() + kwargs.capacity();
            args.iter().for_each(|i| v(t, &i.value));
            for (k, i) in kwargs {
                s(t, k);
                v(t, &i.value);
            }
            9
        }
    };
    t.values[k] += 1;
}

fn tally(ws: &Workspace) {
    let mut t = Tally::default();
    for f in ws.python.iter().flatten() {
        for c in &f.classes {
            t.maps += 1;
            t.map_len += c.attrs.len();
            t.map_cap += c.attrs.capacity();
            for (k, i) in &c.attrs {
                s(&mut t, k);
                v(&mut t, &i.value);
            }
        }
    }
    eprintln!("class.attrs tally (str seq dict bool int none ref star concat call): {t:?}");
}

fn by_kind(ws: &Workspace) {
    let mut kinds: std::collections::BTreeMap<String, (usize, isize, isize)> = Default::default();
    let mut names: std::collections::HashMap<String, isize> = Default::default();
    for (id, f) in ws.python.iter().enumerate() {
        let Some(f) = f else { continue };
        let path = ws.path(id);
        let kind = if path.contains("/migrations/") {
            "migrations".to_string()
        } else {
            path.rsplit('/').next().unwrap_or("").to_string()
        };
        if std::env::var_os("KIND_FIELDS").is_some() {
            let parts: [(&str, isize); 9] = [
                ("imports", heap(&f.imports)),
                ("imported_modules", heap(&f.imported_modules)),
                ("references", heap(&f.references)),
                ("helpers.calls", heap(&f.helpers.calls)),
                ("helpers.rest", heap(&f.helpers) - heap(&f.helpers.calls)),
                ("functions", heap(&f.functions)),
                ("class.meta", f.classes.iter().map(|c| heap(&c.meta)).sum()),
                (
                    "class.bases",
                    f.classes.iter().map(|c| heap(&c.bases)).sum(),
                ),
                ("classes(all)", heap(&f.classes)),
            ];
            for (field, b) in parts {
                *names.entry(format!("{kind}:{field}")).or_default() += b;
            }
        }
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1 += heap(&**f);
        for c in &f.classes {
            let a = heap(&c.attrs);
            e.2 += a;
            for (k, v) in &c.attrs {
                *names.entry(k.to_string()).or_default() += heap(v) + 128;
            }
        }
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by_key(|(_, (_, b, _))| -b);
    for (k, (n, b, a)) in kinds.iter().take(15) {
        eprintln!(
            "  {k:<24} {n:>6} files  facts {:>7.1} MB  class attrs {:>7.1} MB",
            mb(*b),
            mb(*a)
        );
    }
    let mut names: Vec<_> = names.into_iter().collect();
    names.sort_by_key(|(_, b)| -b);
    for (k, b) in names.iter().take(40) {
        eprintln!("  attr {k:<20} {:>7.1} MB", mb(*b));
    }
}

fn fields(ws: &Workspace) {
    by_kind(ws);
    tally(ws);
    let mut sizes: Vec<(&str, isize)> = Vec::new();
    let mut add =
        |name: &'static str, bytes: isize| match sizes.iter_mut().find(|(n, _)| *n == name) {
            Some((_, b)) => *b += bytes,
            None => sizes.push((name, bytes)),
        };
    let mut files = 0;
    let mut refs = 0usize;
    for f in ws.python.iter().flatten().map(|b| &**b) {
        files += 1;
        refs += f.references.len();
        let FileFacts {
            module,
            syntax_error,
            constants,
            star_imports,
            imports,
            imported_modules,
            classes,
            perm_rows,
            rules_perms,
            references,
            stale_checks,
            has_run_python: _,
            calls_create_permissions: _,
            create_permissions_labels,
            run_python,
            granted_queries,
            nested_functions,
            as_view_classes,
            functions,
            module_calls,
            conditional,
            type_checking,
            migrate_time,
            migrate_hooks,
            noqa,
            helpers,
        } = f;
        add("module", heap(module));
        add("syntax_error", heap(syntax_error));
        add("constants", heap(constants));
        add("star_imports", heap(star_imports));
        add("imports", heap(imports));
        add("imported_modules", heap(imported_modules));
        add("classes", heap(classes));
        for c in classes {
            add("  class.bases", heap(&c.bases));
            add("  class.attrs", heap(&c.attrs));
            add("  class.meta", heap(&c.meta));
            add("  class.methods", heap(&c.methods));
            add("  class.self_attrs", heap(&c.self_attrs));
            add("  class.self_values", heap(&c.self_values));
            add("  class.decorators", heap(&c.decorators));
            add("  class.method_decorators", heap(&c.method_decorators));
        }
        add("perm_rows", heap(perm_rows));
        add("rules_perms", heap(rules_perms));
        add("references", heap(references));
        for r in references {
            add("  ref.value", heap(&r.value));
            add("  ref.lookup", heap(&r.lookup));
            add("  ref.class_bases", heap(&r.class_bases));
            add("  ref.callee", heap(&r.callee));
        }
        add("stale_checks", heap(stale_checks));
        add("create_perm_labels", heap(create_permissions_labels));
        add("run_python", heap(run_python));
        add("granted_queries", heap(granted_queries));
        add("nested_functions", heap(nested_functions));
        add("as_view_classes", heap(as_view_classes));
        add("functions", heap(functions));
        add("module_calls", heap(module_calls));
        add("conditional", heap(conditional));
        add("type_checking", heap(type_checking));
        add("migrate_time", heap(migrate_time));
        add("migrate_hooks", heap(migrate_hooks));
        add("noqa", heap(noqa));
        add("helpers", heap(helpers));
    }
    if std::env::var_os("ALLOCS").is_some() {
        let which = std::env::var("ALLOCS").unwrap_or_default();
        HIST.store(true, Ordering::Relaxed);
        for f in ws.python.iter().flatten() {
            match which.as_str() {
                "attrs" => f.classes.iter().for_each(|c| drop(c.attrs.clone())),
                "meta" => f.classes.iter().for_each(|c| drop(c.meta.clone())),
                "imports" => drop(f.imports.clone()),
                "references" => drop(f.references.clone()),
                "helpers" => drop(f.helpers.clone()),
                "functions" => drop(f.functions.clone()),
                _ => drop((**f).clone()),
            }
        }
        HIST.store(false, Ordering::Relaxed);
        for (i, b) in BUCKETS.iter().enumerate() {
            let n = b.load(Ordering::Relaxed);
            if n > 0 {
                eprintln!("  allocs of {:>5}..{:<5} B: {n:>9}", i * 8 + 1, i * 8 + 8);
            }
        }
    }
    let inline = (files * std::mem::size_of::<FileFacts>()) as isize;
    let slots = (ws.python.len() * std::mem::size_of::<Option<Box<FileFacts>>>()) as isize;
    eprintln!(
        "facts of {files} files, {refs} references; Option<FileFacts> slots {:.1} MB ({} B each)",
        mb(slots),
        std::mem::size_of::<Option<Box<FileFacts>>>()
    );
    eprintln!(
        "FileFacts {} B inline ({:.1} MB), ClassFact {} B, Reference {} B, HelperCall {} B, FunctionFact {} B",
        std::mem::size_of::<FileFacts>(),
        mb(inline),
        std::mem::size_of::<djperm::facts::ClassFact>(),
        std::mem::size_of::<djperm::facts::Reference>(),
        std::mem::size_of::<djperm::facts::helpers::HelperCall>(),
        std::mem::size_of::<djperm::facts::FunctionFact>(),
    );
    sizes.sort_by_key(|(_, b)| -b);
    let total: isize = sizes
        .iter()
        .filter(|(n, _)| !n.starts_with(' '))
        .map(|(_, b)| b)
        .sum();
    eprintln!("facts heap (clone-measured) {:.1} MB", mb(total));
    for (name, bytes) in sizes {
        eprintln!("  {name:<28} {:>8.1} MB", mb(bytes));
    }
    let snapshot_text: usize = ws.snapshot.files.iter().map(|f| f.text.capacity()).sum();
    let snapshot_paths: usize = ws.snapshot.files.iter().map(|f| f.path.capacity()).sum();
    let words: isize = ws.snapshot.files.iter().map(|f| heap(&f.words)).sum();
    eprintln!(
        "snapshot: {} files, text {:.1} MB, paths {:.1} MB, words {:.1} MB, SourceFile {} B each",
        ws.snapshot.files.len(),
        snapshot_text as f64 / 1e6,
        snapshot_paths as f64 / 1e6,
        mb(words),
        std::mem::size_of::<djperm::workspace::SourceFile>()
    );
    let templates: isize = ws.templates.iter().map(heap).sum();
    eprintln!(
        "template facts {:.1} MB; modules map {:.1} MB, packages {:.1} MB",
        mb(templates),
        mb(heap(&ws.modules)),
        mb(heap(&ws.packages))
    );
}

fn main() {
    let root = std::env::args().nth(1).expect("usage: mem_profile <tree>");
    let root = Path::new(&root).canonicalize().expect("tree");
    let config = Config::default();
    let selection = djperm::Selection::from_config(&config);
    phase("start");
    let (snapshot, _) = djperm::discover::load_parsed(
        &root,
        &config.exclude,
        Scope::Stable,
        djperm::discover::held_budget(),
    );
    phase("read");
    let settings = config.settings.clone();
    djperm::with_big_stacks(|| {
        let mut ws = Workspace::build_with(snapshot, settings.as_slice(), Scope::Stable);
        phase("facts");
        if std::env::var_os("TIGHT").is_some() {
            for (id, slot) in ws.python.iter_mut().enumerate() {
                if let Some(f) = slot {
                    let bytes = postcard::to_allocvec(&**f).unwrap();
                    let tight: FileFacts = djperm::diagnostic::with_facts_file(id, || {
                        postcard::from_bytes(&bytes).unwrap()
                    });
                    *f = std::sync::Arc::new(tight);
                }
            }
            phase("tight");
        }
        djperm::sinks::drop_unread_calls(&mut ws, &config.permission_sinks);
        ws.drop_build_words();
        let index = djperm::index::Index::build(&ws, &config);
        phase("index");
        if std::env::var_os("FIELDS").is_some() {
            for p in &index.projects {
                eprintln!(
                    "index: apps {:.1} perms {} {:.1} by_label {:.1} code_models {} {:.1} state {:.1} floating {:.1} MB",
                    mb(heap(&p.apps)),
                    p.perms.len(),
                    mb(heap(&p.perms)),
                    mb(heap(&p.by_label)),
                    p.code_models.len(),
                    mb(heap(&p.code_models)),
                    mb(heap(&p.state)),
                    mb(heap(&p.floating_codenames) + heap(&p.floating_at)),
                );
            }
        }
        let ctx = djperm::rules::Context::for_rules(&ws, &index, &config.permission_sinks);
        phase("context");
        eprintln!(
            "refs {} (cap {}) x {} B, verdicts {} x {} B, routed {}, helper_stale {}; Reference {} B, Item {} B, Value {} B",
            ctx.refs.len(),
            ctx.refs.capacity(),
            std::mem::size_of::<djperm::rules::Resolved>(),
            ctx.verdicts.len(),
            std::mem::size_of::<(usize, djperm::rules::PermString, djperm::rules::verdict::Verdict)>(),
            ctx.routed.len(),
            ctx.helper_stale.len(),
            std::mem::size_of::<djperm::facts::Reference>(),
            std::mem::size_of::<djperm::value::Item>(),
            std::mem::size_of::<djperm::value::Value>(),
        );
        if std::env::var_os("PER_RULE").is_some() {
            for rule in djperm::rules::RULES
                .iter()
                .filter(|r| selection.enabled(r.code))
            {
                let found = djperm::rules::run_selected(&ctx, |code| code == rule.code);
                drop(found);
                phase(rule.code);
            }
        }
        let all = djperm::rules::run_selected(&ctx, |code| selection.enabled(code));
        phase("rules");
        eprintln!("{} diagnostics", all.len());
        if std::env::var_os("PER_RULE").is_some() {
            let mut by_code: std::collections::BTreeMap<&str, (usize, isize)> = Default::default();
            for d in &all {
                let e = by_code.entry(d.code).or_default();
                e.0 += 1;
                e.1 += heap(d);
            }
            for (code, (n, b)) in by_code {
                eprintln!("  {code} {n:>6} diagnostics {:>7.2} MB", mb(b));
            }
        }
        drop(all);
        drop(ctx);
        if std::env::var_os("FIELDS").is_some() {
            fields(&ws);
        }
    });
}
