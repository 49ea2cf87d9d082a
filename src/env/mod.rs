//! What djperm knows about the environment a project runs in: the project's virtualenv
//! (`venv.rs`: where it is, which of its packages INSTALLED_APPS names, the Django version it
//! holds), and a bundled table of common third-party apps (`bundled.rs`) for entries of
//! INSTALLED_APPS found in neither the tree nor the environment.
//! A leaf below `index`: it imports no other module of the crate.

pub mod bundled;
pub mod venv;
