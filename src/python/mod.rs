//! The Python front end. Only this module names the parser crates.

pub mod extract;

pub use extract::extract_python;
