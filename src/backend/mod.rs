//! Connections to databases. The `Backend` trait is the only place that knows a driver:
//! execute, query, transactions, the migration lock. Everything above it speaks SQL text
//! for its dialect.

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "mysql")]
pub mod mysql_introspect;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "postgres")]
pub mod postgres_introspect;
#[cfg(any(feature = "postgres", feature = "mysql"))]
mod server;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
pub mod sqlite_introspect;
pub mod unmanaged;

use std::time::Duration;

use crate::config::DatabaseUrl;
use crate::dialect::Dialect;
use crate::schema::Schema;
use crate::{Error, ErrorKind, Result};
pub use unmanaged::{Introspected, Unmanaged};

/// Rows of text values, enough for mb's own tables.
pub type Rows = Vec<Vec<Option<String>>>;

/// A value of one of mb's own statements ([`Bound`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Integer(i64),
}

/// One of mb's own statements (the version and history rows) with its values kept apart
/// from its text: `text` holds the pieces between the values. An upgrade runs the same
/// few statements with new values for every revision, so a database that prepares a
/// statement in-process (SQLite) can prepare one once and bind the values each time;
/// elsewhere, and in `--sql` scripts, the values are written in as literals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    text: Vec<String>,
    values: Vec<Value>,
}

impl Bound {
    /// A statement that starts with `text`; [`Bound::value`] and [`Bound::text`] go on.
    pub fn new(text: impl Into<String>) -> Self {
        Bound {
            text: vec![text.into()],
            values: Vec::new(),
        }
    }

    pub fn value(mut self, value: Value) -> Self {
        self.values.push(value);
        self.text.push(String::new());
        self
    }

    pub fn text(mut self, text: &str) -> Self {
        self.text
            .last_mut()
            .expect("a statement starts with text")
            .push_str(text);
        self
    }

    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The text with SQLite's numbered placeholders (`?1`, `?2`, …) for the values.
    pub fn with_placeholders(&self) -> String {
        self.joined(|i, _| format!("?{}", i + 1))
    }

    /// The text with the values written in as literals for `dialect`.
    pub fn inlined(&self, dialect: Dialect) -> String {
        self.joined(|_, value| match value {
            Value::Text(text) => dialect.quote_literal(text),
            Value::Integer(n) => n.to_string(),
        })
    }

    fn joined(&self, mut value: impl FnMut(usize, &Value) -> String) -> String {
        let mut out = self.text[0].clone();
        for (i, (v, text)) in self.values.iter().zip(&self.text[1..]).enumerate() {
            out.push_str(&value(i, v));
            out.push_str(text);
        }
        out
    }
}

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
    /// Where the database is, for messages: a file path, or the database and its host.
    fn location(&self) -> String;
    /// The database system, for messages: the dialect's name, but MariaDB for a MariaDB
    /// server.
    fn product(&self) -> &'static str {
        self.dialect().name()
    }
    /// Runs one statement; the error is the database's own message.
    fn execute(&mut self, sql: &str) -> std::result::Result<(), String>;
    /// Runs one of mb's own statements: by default as text with its values written in.
    fn execute_bound(&mut self, statement: &Bound) -> std::result::Result<(), String> {
        self.execute(&statement.inlined(self.dialect()))
    }
    fn query(&mut self, sql: &str) -> std::result::Result<Rows, String>;
    /// Whether a table of this name exists in the schema mb works in.
    fn table_exists(&mut self, name: &str) -> Result<bool>;
    /// Starts a transaction that holds the database's write lock where it has one.
    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;
    /// Whether a transaction can roll back DDL (SQLite, PostgreSQL). MySQL commits each
    /// DDL statement as it runs, so a revision there is applied statement by statement.
    fn transactional_ddl(&self) -> bool {
        self.dialect().transactional_ddl()
    }
    /// Takes the migration lock of this database, waiting up to `timeout` for another
    /// process to release it; `waiting` is told once who holds it before the wait. Call it
    /// outside a transaction; the lock lasts until [`Backend::unlock`] or the end of the
    /// connection, so a process that dies never leaves it behind.
    fn lock(&mut self, timeout: Duration, waiting: &mut dyn FnMut(&str)) -> Result<()>;
    fn unlock(&mut self) -> Result<()>;

    /// How many rows `table` holds; with `condition` (SQL for this database), how many
    /// meet it.
    fn count_rows(&mut self, table: &str, condition: Option<&str>) -> Result<u64> {
        let mut sql = format!("SELECT COUNT(*) FROM {}", self.dialect().quote_ident(table));
        if let Some(condition) = condition {
            sql.push_str(&format!(" WHERE {condition}"));
        }
        let rows = self.query(&sql);
        let count = rows.as_ref().ok().and_then(|rows| {
            let value = rows.first()?.first()?.as_deref()?;
            value.parse().ok()
        });
        count.ok_or_else(|| {
            Error::database(format!(
                "cannot count the rows of {} on {} {}: {}",
                crate::schema::quoted(table),
                self.product(),
                self.location(),
                rows.err()
                    .unwrap_or_else(|| "the count is not a number".into())
            ))
        })
    }

    /// The live schema, read from the database's catalog, with the objects the database
    /// has that mb does not model.
    fn introspect(&mut self) -> Result<Introspected>;

    /// The live schema, compared through the database with `known` schemas (the declared
    /// one, the one the migrations built): where the database stores an object of
    /// `known` exactly as it stores the live one, the live one takes `known`'s portable
    /// text, so that a schema reads back equal to its declaration. Only databases that
    /// rewrite what they store (PostgreSQL, MySQL: view queries, checks, defaults) need it.
    fn introspect_against(&mut self, _known: &[&Schema]) -> Result<Introspected> {
        self.introspect()
    }

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

/// The error when another process keeps the migration lock longer than `timeout`.
pub fn lock_timeout(location: &str, timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Lock,
        format!(
            "another process held the migration lock on {location} for more than {} s; let it finish and run the command again, or wait longer with --lock-timeout SECONDS",
            timeout.as_secs()
        ),
    )
}

/// An introspected schema with its foreign keys completed and checked like a declared
/// one; a database that breaks mb's rules (two objects of one name) says so.
#[cfg(any(feature = "sqlite", feature = "mysql"))]
fn resolved(
    mut schema: Schema,
    mut unmanaged: Vec<Unmanaged>,
    namespace: &str,
) -> Result<Introspected> {
    unmanaged::leave_out_dependents(&mut schema, &mut unmanaged);
    unmanaged::leave_out_reused_names(&mut schema, &mut unmanaged);
    crate::schema::parse::resolve_and_check(&mut schema).map_err(|(table, message)| {
        Error::database(format!(
            "table {} of the database is inconsistent: {message}",
            crate::schema::quoted(&table)
        ))
    })?;
    Ok(Introspected::new(schema, unmanaged, namespace))
}

/// What `connect` tells about the database it opened.
pub struct Connected {
    pub backend: Box<dyn Backend>,
    /// True when this connection created an SQLite file that did not exist.
    pub created: bool,
    /// True when a read-mode connection found no SQLite file (or no PostgreSQL schema): it
    /// stands in for an empty database, and a command that must write reconnects in write
    /// mode.
    pub missing: bool,
}

pub fn connect(url: &DatabaseUrl, mode: OpenMode) -> Result<Connected> {
    match url {
        #[cfg(feature = "sqlite")]
        DatabaseUrl::Sqlite(sqlite_url) => self::sqlite::SqliteBackend::open(sqlite_url, mode),
        #[cfg(feature = "postgres")]
        DatabaseUrl::Server(server) if server.dialect == Dialect::Postgres => {
            self::postgres::PostgresBackend::connect(server, mode)
        }
        #[cfg(feature = "mysql")]
        DatabaseUrl::Server(server) if server.dialect == Dialect::Mysql => {
            self::mysql::MysqlBackend::connect(server)
        }
        other => {
            let _ = mode;
            let feature = match other.dialect() {
                Dialect::Sqlite => "sqlite",
                Dialect::Postgres => "postgres",
                Dialect::Mysql => "mysql",
            };
            Err(Error::config(format!(
                "this build of mb cannot connect to {} databases ({other}); build it with the Cargo feature '{feature}'",
                other.dialect().name(),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Bound {
        Bound::new("INSERT INTO \"t\" (\"a\", \"b\") VALUES (")
            .value(Value::Text("it's".into()))
            .text(", ")
            .value(Value::Integer(-7))
            .text(")")
    }

    #[test]
    fn values_go_in_as_placeholders_or_as_quoted_literals() {
        let statement = statement();
        assert_eq!(
            statement.with_placeholders(),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES (?1, ?2)"
        );
        assert_eq!(
            statement.inlined(Dialect::Postgres),
            "INSERT INTO \"t\" (\"a\", \"b\") VALUES ('it''s', -7)"
        );
        assert_eq!(
            statement.values(),
            [Value::Text("it's".into()), Value::Integer(-7)]
        );
    }
}
