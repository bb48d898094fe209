//! SQLite through rusqlite (bundled, so no system library is needed).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{Backend, Bound, Connected, OpenMode, Rows, Value};
use crate::config::url::SqliteUrl;
use crate::dialect::Dialect;
use crate::{Error, Result};

/// How long a statement waits for another connection's write lock, outside a migration
/// (which waits `--lock-timeout` instead).
const BUSY_TIMEOUT: Duration = crate::runtime::DEFAULT_LOCK_TIMEOUT;

pub struct SqliteBackend {
    conn: Connection,
    /// `None` for an in-memory database.
    path: Option<PathBuf>,
    /// False when a read-only command found no file: the connection is then an empty
    /// in-memory stand-in and nothing is created on disk.
    exists: bool,
    /// While this process migrates (see [`Backend::lock`]): how long a transaction waits
    /// for another connection's write lock before giving up.
    lock_timeout: Option<Duration>,
    /// The texts of mb's own statements run since the last statement that may have
    /// changed the schema (see [`Backend::execute_bound`]).
    bound_since_schema_change: HashSet<String>,
}

impl SqliteBackend {
    pub fn open(url: &SqliteUrl, mode: OpenMode) -> Result<Connected> {
        let Some(path) = &url.path else {
            let conn = Connection::open_in_memory().map_err(|e| Error::database(e.to_string()))?;
            return Ok(Connected {
                backend: Box::new(SqliteBackend::configure(conn, None, true)?),
                created: false,
                missing: false,
            });
        };
        let exists = path.exists();
        if !exists && (mode == OpenMode::Read || url.read_only) {
            if url.read_only && mode == OpenMode::Write {
                return Err(Error::database(format!(
                    "SQLite database {} does not exist and the URL says mode=ro; remove ?mode=ro to let mb create it",
                    path.display()
                )));
            }
            let conn = Connection::open_in_memory().map_err(|e| Error::database(e.to_string()))?;
            let mut backend = SqliteBackend::configure(conn, Some(path.clone()), true)?;
            backend.exists = false;
            return Ok(Connected {
                backend: Box::new(backend),
                created: false,
                missing: true,
            });
        }
        if !exists {
            check_parent_directory(path)?;
        }
        let flags = if url.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        };
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| {
                Error::database(format!(
                    "cannot open SQLite database {}: {e}{}",
                    path.display(),
                    open_hint(&e, path, exists)
                ))
            })?;
        Ok(Connected {
            backend: Box::new(SqliteBackend::configure(conn, Some(path.clone()), true)?),
            created: !exists,
            missing: false,
        })
    }

    fn configure(conn: Connection, path: Option<PathBuf>, exists: bool) -> Result<SqliteBackend> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| Error::database(e.to_string()))?;
        // SQLite leaves foreign keys unenforced unless asked; a migration should not be
        // able to leave dangling references behind.
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| Error::database(e.to_string()))?;
        Ok(SqliteBackend {
            conn,
            path,
            exists,
            lock_timeout: None,
            bound_since_schema_change: HashSet::new(),
        })
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        self.conn
            .busy_timeout(timeout)
            .map_err(|e| self.fail("set the busy timeout", e))
    }

    fn fail(&self, action: &str, e: rusqlite::Error) -> Error {
        Error::database(format!(
            "cannot {action} on SQLite database {}: {}",
            self.location(),
            message(e)
        ))
    }
}

/// Whether another connection holds the lock `e` could not get.
fn is_busy(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
}

/// SQLite's message, with what to check when writing the file failed. A syntax error
/// comes without the SQL SQLite quotes (over several lines): the message that reports it
/// quotes the statement itself, on one line.
fn message(e: rusqlite::Error) -> String {
    use rusqlite::ErrorCode::{DiskFull, SystemIoFailure};
    match e {
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        e => match e.sqlite_error_code() {
            Some(DiskFull | SystemIoFailure) => {
                format!("{e} (check that the disk has room and the file can grow)")
            }
            _ => e.to_string(),
        },
    }
}

/// What to check when SQLite cannot open the file: it names no cause of its own.
fn open_hint(e: &rusqlite::Error, path: &Path, exists: bool) -> String {
    if e.sqlite_error_code() != Some(rusqlite::ErrorCode::CannotOpen) {
        return String::new();
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.display().to_string(),
        _ => ".".to_string(),
    };
    match exists {
        false => format!(
            " (mb creates the file there, and the directory {dir} is not writable for this user); make it writable, or point the URL at a directory that is"
        ),
        true => format!(
            " (the file or the directory {dir}, where SQLite keeps its journal, is not readable and writable for this user); fix their permissions, or point the URL elsewhere"
        ),
    }
}

fn check_parent_directory(path: &Path) -> Result<()> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            Err(Error::database(format!(
                "cannot create SQLite database {}: the directory {} does not exist; create it or fix the URL",
                path.display(),
                parent.display()
            )))
        }
        _ => Ok(()),
    }
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn location(&self) -> String {
        match (&self.path, self.exists) {
            (None, _) => "in memory".into(),
            (Some(p), true) => p.display().to_string(),
            (Some(p), false) => format!("{} (does not exist yet)", p.display()),
        }
    }

    fn execute(&mut self, sql: &str) -> std::result::Result<(), String> {
        let result = self.conn.execute_batch(sql).map_err(message);
        // The statement may have changed the schema, after which SQLite would prepare
        // every kept statement again on its next run, which costs more than preparing
        // it anew: drop them.
        if !self.bound_since_schema_change.is_empty() {
            self.conn.flush_prepared_statement_cache();
            self.bound_since_schema_change.clear();
        }
        result
    }

    /// Preparing (parsing, planning) costs SQLite more than running one of mb's small
    /// inserts, so a statement that runs again before the schema changes is kept
    /// prepared. One that runs once in between (a revision per transaction) is not:
    /// SQLite prepares a statement it is told to keep at a higher cost.
    fn execute_bound(&mut self, statement: &Bound) -> std::result::Result<(), String> {
        let text = statement.with_placeholders();
        let values = statement.values().iter().map(|value| match value {
            Value::Text(text) => rusqlite::types::Value::Text(text.clone()),
            Value::Integer(n) => rusqlite::types::Value::Integer(*n),
        });
        let params = rusqlite::params_from_iter(values);
        let ran = match self.bound_since_schema_change.contains(&text) {
            true => self
                .conn
                .prepare_cached(&text)
                .and_then(|mut s| s.execute(params)),
            false => self.conn.prepare(&text).and_then(|mut s| s.execute(params)),
        };
        self.bound_since_schema_change.insert(text);
        ran.map(drop).map_err(message)
    }

    fn query(&mut self, sql: &str) -> std::result::Result<Rows, String> {
        let mut statement = self.conn.prepare(sql).map_err(message)?;
        let width = statement.column_count();
        let mut rows = statement.query([]).map_err(message)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(message)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                    ValueRef::Null => None,
                    ValueRef::Integer(n) => Some(n.to_string()),
                    ValueRef::Real(x) => Some(x.to_string()),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Some(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(values);
        }
        Ok(out)
    }

    fn table_exists(&mut self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(|e| self.fail("read the schema", e))
    }

    fn begin(&mut self) -> Result<()> {
        // SQLite opens a file it may not write read-only without a word, and would blame
        // the first statement that writes.
        if self.conn.is_readonly("main").unwrap_or(false) {
            return Err(Error::database(format!(
                "cannot write SQLite database {}: it is open read-only (the file is not writable for this user, or the URL says mode=ro); make the file writable or remove ?mode=ro",
                self.location()
            )));
        }
        // IMMEDIATE takes the write lock now, so two migrators serialize here rather than
        // failing later with "database is locked".
        match (
            self.conn.execute_batch("BEGIN IMMEDIATE"),
            self.lock_timeout,
        ) {
            (Ok(()), _) => Ok(()),
            (Err(e), Some(timeout)) if is_busy(&e) => {
                Err(super::lock_timeout(&self.location(), timeout))
            }
            (Err(e), _) => Err(self.fail("start a transaction", e)),
        }
    }

    fn commit(&mut self) -> Result<()> {
        self.conn
            .execute_batch("COMMIT")
            .map_err(|e| self.fail("commit", e))
    }

    fn introspect(&mut self) -> Result<super::Introspected> {
        super::sqlite_introspect::introspect(&self.conn)
    }

    /// Columns SQLite stores alike under another name (`DATETIME` for `TIMESTAMP`) read
    /// as the known schemas spell them.
    fn introspect_against(
        &mut self,
        known: &[&crate::schema::Schema],
    ) -> Result<super::Introspected> {
        let mut live = self.introspect()?;
        crate::dialect::types::take_known_spellings(&mut live.schema, known, Dialect::Sqlite);
        Ok(live)
    }

    fn set_foreign_keys(&mut self, on: bool) -> Result<()> {
        self.conn
            .pragma_update(None, "foreign_keys", on)
            .map_err(|e| self.fail("switch foreign keys", e))
    }

    fn foreign_key_violations(&mut self) -> Result<Vec<String>> {
        let rows = self
            .query("PRAGMA foreign_key_check")
            .map_err(|e| Error::database(format!("cannot check foreign keys: {e}")))?;
        Ok(rows
            .into_iter()
            .take(5)
            .map(|row| {
                let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
                format!("{} row {} references {}", text(0), text(1), text(2))
            })
            .collect())
    }

    fn triggers_on(&mut self, tables: &[String]) -> Result<Vec<String>> {
        let mut triggers = Vec::new();
        for table in tables {
            let mut statement = self
                .conn
                .prepare_cached("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1 ORDER BY name")
                .map_err(|e| self.fail("read triggers", e))?;
            let found = statement
                .query_map([table], |row| row.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| {
                    Error::database(format!("cannot read the triggers of {table}: {e}"))
                })?;
            triggers.extend(found);
        }
        Ok(triggers)
    }

    fn rollback(&mut self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn
            .execute_batch("ROLLBACK")
            .map_err(|e| self.fail("roll back", e))
    }

    /// SQLite's migration lock is its write lock: `BEGIN IMMEDIATE` serializes the writers,
    /// and the runtime checks the version rows inside each transaction. Taking the lock
    /// here only finds out whether someone holds it (to say so before waiting) and makes
    /// every transaction of the run wait up to `timeout` for it. The operating system
    /// drops a file lock when its process ends, so a dead holder never blocks anyone.
    fn lock(&mut self, timeout: Duration, waiting: &mut dyn FnMut(&str)) -> Result<()> {
        self.set_busy_timeout(Duration::ZERO)?;
        let mut attempt = self.conn.execute_batch("BEGIN IMMEDIATE");
        if matches!(&attempt, Err(e) if is_busy(e)) {
            waiting("another process");
            self.set_busy_timeout(timeout)?;
            attempt = self.conn.execute_batch("BEGIN IMMEDIATE");
        }
        let probed = match attempt {
            Ok(()) => self.rollback(),
            Err(e) if is_busy(&e) => Err(super::lock_timeout(&self.location(), timeout)),
            Err(e) => Err(self.fail("take the migration lock", e)),
        };
        if probed.is_err() {
            self.set_busy_timeout(BUSY_TIMEOUT)?;
            return probed;
        }
        self.set_busy_timeout(timeout)?;
        self.lock_timeout = Some(timeout);
        Ok(())
    }

    fn unlock(&mut self) -> Result<()> {
        self.lock_timeout = None;
        self.set_busy_timeout(BUSY_TIMEOUT)
    }
}
