//! (in progress)

pub mod sqlite_introspect;
