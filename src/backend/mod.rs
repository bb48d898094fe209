//! Connections to databases. The `Backend` trait is the only place that knows a driver:
//! execute, query, transactions. Everything above it speaks SQL text for its dialect.

pub mod sqlite;
pub mod sqlite_introspect;

use crate::config::DatabaseUrl;
use crate::dialect::Dialect;
use crate::schema::Schema;
use crate::{Error, Result};

/// Rows of text values, enough for mb's own tables.
pub type Rows = Vec<Vec<Option<String>>>;

/// Whether a command may create the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Reading commands (`current`, `history -i`): a missing SQLite file stays missing.
    Read,
    /// Commands that write (`upgrade`, `stamp`): a missing SQLite file is created.
    Write,
}

pub trait Backend {
    fn dialect(&self) -> Dialect;
    /// Where the database is, for messages: a file path, or host and database name.
    fn location(&self) -> String;
    /// Runs one statement; the error is the database's own message.
    fn execute(&mut self, sql: &str) -> std::result::Result<(), String>;
    fn query(&mut self, sql: &str) -> std::result::Result<Rows, String>;
    fn table_exists(&mut self, name: &str) -> Result<bool>;
    /// Starts a transaction that holds the database's write lock where it has one.
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;

    /// The live schema, read from the database's catalog.
    fn introspect(&mut self) -> Result<Schema>;

    /// Turns foreign-key enforcement off or on around a revision that rebuilds tables;
    /// only SQLite needs it, and only outside a transaction.
    fn set_foreign_keys(&mut self, _on: bool) -> Result<()> {
        Ok(())
    }
    /// Rows whose foreign keys point nowhere, described for a message.
    fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// The statements that re-create the triggers on `tables`, read before a rebuild
    /// drops them.
    fn triggers_on(&mut self, _tables: &[String]) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
}

/// What `connect` tells about the database it opened.
pub struct Connected {
    pub backend: Box<dyn Backend>,
    /// True when this connection created an SQLite file that did not exist.
    pub created: bool,
    /// True when a read-mode connection found no SQLite file: it stands in for an empty
    /// database, and a command that must write reconnects in write mode.
    pub missing: bool,
}

pub fn connect(url: &DatabaseUrl, mode: OpenMode) -> Result<Connected> {
    match url {
        DatabaseUrl::Sqlite(sqlite_url) => sqlite::SqliteBackend::open(sqlite_url, mode),
        DatabaseUrl::Server(server) => Err(Error::config(format!(
            "this build of mb cannot connect to {} databases ({server}); use an SQLite URL",
            server.dialect.name()
        ))),
    }
}
