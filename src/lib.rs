//! mb: migrations for SQLite, PostgreSQL and MySQL/MariaDB, driven by a declared schema.
//!
//! Data flows one way (see DESIGN.md): `schema.sql` and the live database become a
//! [`schema::Schema`], `autogenerate` diffs two of them into [`ops::Op`]s, `script` writes
//! and reads revision files, `dialect` renders ops for one database, `backend` executes,
//! and `runtime` plans and runs upgrades. `cli` is a thin layer on top.

pub mod autogenerate;
pub mod backend;
pub mod cli;
pub mod config;
pub mod dialect;
pub mod error;
pub mod nesting;
pub mod ops;
pub mod parallel;
pub mod runtime;
pub mod schema;
pub mod script;
pub mod text;

pub use error::{Error, ErrorKind, Result};
