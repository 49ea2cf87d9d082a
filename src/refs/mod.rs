//! Reference extraction outside Python: Django templates.

pub mod helper_uses;
pub mod templates;
