//! Arbitrary bytes as a Python file at several paths: facts extraction never panics and every span lies in the file.
//! The check itself is `djperm::fuzzing::python_facts`, replayed on stable by `tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| djperm::fuzzing::python_facts(data));
