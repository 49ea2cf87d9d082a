use std::time::Instant;
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mode = std::env::args().nth(2).unwrap_or_default();
    let (snap, _) = djperm::discover::load(std::path::Path::new(&dir), &[]);
    let ws = djperm::workspace::Workspace::build(snap);
    let files: Vec<_> = ws
        .snapshot
        .files
        .iter()
        .enumerate()
        .filter(|(i, _)| ws.python[*i].is_some())
        .map(|(_, f)| f)
        .collect();
    let t = Instant::now();
    for _ in 0..5 {
        for (i, f) in files.iter().enumerate() {
            if mode == "parse" {
                let _ = ruff_python_parser::parse_module(&f.text);
            } else {
                let _ = djperm::python::extract_python(i, &f.text, "x.y", false);
            }
        }
    }
    eprintln!("{mode} {:?}", t.elapsed() / 5);
}
