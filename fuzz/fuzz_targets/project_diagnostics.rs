//! An in-memory project (`# file: path` sections over a base project): the full analysis with every rule never panics and every diagnostic lies in its file.
//! The check itself is `djperm::fuzzing::project_diagnostics`, replayed on stable by `tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| djperm::fuzzing::project_diagnostics(data));
