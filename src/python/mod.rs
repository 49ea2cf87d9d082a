//! The Python front end. Only this module names the parser crates.

pub mod extract;
pub mod value;

pub use extract::extract_python;
