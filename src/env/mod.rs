//! What djperm knows about the environment a project runs in. Today: a bundled table of common
//! third-party apps (`bundled.rs`), for entries of INSTALLED_APPS that are not in the tree.
//! A leaf below `index`: it reads no project and imports no other module of the crate.

pub mod bundled;
