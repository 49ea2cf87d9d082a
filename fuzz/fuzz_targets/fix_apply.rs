//! An in-memory project: applying every fix keeps Python files parseable, converges, and a second application changes nothing.
//! The check itself is `djperm::fuzzing::fix_apply`, replayed on stable by `tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| djperm::fuzzing::fix_apply(data));
