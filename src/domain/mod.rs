//! Pure rules: no HTTP, no database. Unit- and property-tested on their own.

pub mod code;
pub mod distance;
pub mod state;
pub mod timeline;
