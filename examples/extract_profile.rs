//! Where the parse phase's time goes (not a test): the ruff parser alone against the parser and
//! djperm's extraction, over the Python files the pre-filter keeps in a tree, on one thread.
//!
//! ```sh
//! cargo run --release --example extract_profile -- /path/to/tree [rounds]
//! ```

use std::time::Instant;

use djperm::python::extract_python;

// The allocator the binary uses: allocation is a large part of parsing.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use djperm::workspace::prefilter::{python_need, Need, Scope};

fn main() {
    let mut args = std::env::args().skip(1);
    let root = args.next().expect("a tree");
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let (snapshot, _) = djperm::discover::load(std::path::Path::new(&root), &[]);
    let files: Vec<(String, String)> = snapshot
        .files
        .iter()
        .filter(|f| f.path.ends_with(".py"))
        .filter(|f| python_need(&f.path, f.text.as_bytes(), Scope::Stable) != Need::Skip)
        .filter(|f| match std::env::var("ONLY").as_deref() {
            Ok("migrations") => f.path.contains("/migrations/"),
            Ok("other") => !f.path.contains("/migrations/"),
            _ => true,
        })
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!("{} files, {:.1} MB", files.len(), bytes as f64 / 1e6);
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        for (_, text) in &files {
            let parsed = ruff_python_parser::parse_module(text);
            std::hint::black_box(&parsed);
        }
        let parse = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        for (i, (path, text)) in files.iter().enumerate() {
            let module = path.trim_end_matches(".py").replace('/', ".");
            std::hint::black_box(extract_python(i, text, &module, false));
        }
        let both = t.elapsed().as_secs_f64() * 1e3;
        best = (best.0.min(parse), best.1.min(both));
    }
    println!(
        "parse only {:.1} ms, parse and extract {:.1} ms (extraction {:.1} ms)",
        best.0,
        best.1,
        best.1 - best.0
    );
}
