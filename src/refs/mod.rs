//! Reference extraction outside Python: Django templates.

pub mod templates;
