//! Arbitrary bytes as a Django template: reference extraction never panics and every span lies in the file.
//! The check itself is `djperm::fuzzing::template_refs`, replayed on stable by `tests/fuzz_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| djperm::fuzzing::template_refs(data));
