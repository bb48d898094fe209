//! `mb_progress`: how far a revision got that cannot run in one transaction. MySQL
//! commits every DDL statement as it runs, and a `-- mb:no-transaction` revision runs
//! outside a transaction on any database; for those, mb records after each statement how
//! many have run, so that an interrupted upgrade is reported exactly on the next run and
//! can be resumed (`--resume`) or resolved (`mb db resolve`), never silently re-run or
//! marked applied. The table holds at most one row, and only while a revision is partly
//! applied.

use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::script::revision::checksum;
use crate::script::split::Statement;
use crate::{Error, Result};

use super::plan::Direction;
use super::version::fail;

pub const PROGRESS_TABLE: &str = "mb_progress";

/// A revision that is partly applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub revision: String,
    pub direction: Direction,
    /// The checksum of the file when the attempt started.
    pub checksum: String,
    /// How many statements ran and were committed.
    pub statements_done: usize,
    pub statements_total: usize,
    /// The checksum of the statements that ran, so that resuming never skips SQL that
    /// has been changed since.
    pub done_checksum: String,
    pub started_at: String,
    /// The database's message when the next statement failed; `None` when mb stopped
    /// without being able to say (killed, connection lost).
    pub error: Option<String>,
}

fn operation(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// The checksum of statements as they run, independent of the text around them.
pub fn statements_checksum<'a>(statements: impl IntoIterator<Item = &'a Statement>) -> String {
    let text: Vec<&str> = statements.into_iter().map(|s| s.sql.as_str()).collect();
    checksum(&text.join("\n;\n"))
}

/// The columns of `mb_progress` and their types, in the order of [`Progress`].
const COLUMNS: [(&str, &str); 8] = [
    ("revision", "VARCHAR(32) NOT NULL"),
    ("operation", "VARCHAR(16) NOT NULL"),
    ("checksum", "VARCHAR(64) NOT NULL"),
    ("statements_done", "INTEGER NOT NULL"),
    ("statements_total", "INTEGER NOT NULL"),
    ("done_checksum", "VARCHAR(64) NOT NULL"),
    ("started_at", "VARCHAR(32) NOT NULL"),
    ("error", "TEXT"),
];

/// The first `count` column names, quoted and comma-separated.
fn column_list(dialect: Dialect, count: usize) -> String {
    COLUMNS[..count]
        .iter()
        .map(|(name, _)| dialect.quote_ident(name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn create_table_sql(dialect: Dialect) -> String {
    let q = |name: &str| dialect.quote_ident(name);
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(name, kind)| format!("{} {kind}", q(name)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({}, CONSTRAINT {} PRIMARY KEY ({}))",
        q(PROGRESS_TABLE),
        columns.join(", "),
        q("mb_progress_pkc"),
        q("revision"),
    )
}

pub fn ensure_table(backend: &mut dyn Backend) -> Result<()> {
    let sql = create_table_sql(backend.dialect());
    backend
        .execute(&sql)
        .map_err(|e| fail(backend, "create mb's progress table", e))
}

/// The partly applied revision, if any.
pub fn read(backend: &mut dyn Backend) -> Result<Option<Progress>> {
    if !backend.table_exists(PROGRESS_TABLE)? {
        return Ok(None);
    }
    read_existing(backend)
}

/// [`read`] for callers that made sure the table exists: asking whether it does is a
/// query on the catalog, once per revision on MySQL.
pub fn read_existing(backend: &mut dyn Backend) -> Result<Option<Progress>> {
    let dialect = backend.dialect();
    let sql = format!(
        "SELECT {} FROM {}",
        column_list(dialect, COLUMNS.len()),
        dialect.quote_ident(PROGRESS_TABLE)
    );
    let rows = backend
        .query(&sql)
        .map_err(|e| fail(backend, "read the progress table", e))?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    let mut values = row.into_iter();
    let mut next = || values.next().flatten().unwrap_or_default();
    let number = |text: String| {
        text.parse::<usize>().map_err(|_| {
            Error::database(format!(
                "{PROGRESS_TABLE} holds '{text}' where a statement count belongs; it was edited by hand"
            ))
        })
    };
    Ok(Some(Progress {
        revision: next(),
        direction: if next() == "downgrade" {
            Direction::Down
        } else {
            Direction::Up
        },
        checksum: next(),
        statements_done: number(next())?,
        statements_total: number(next())?,
        done_checksum: next(),
        started_at: next(),
        error: Some(next()).filter(|e| !e.is_empty()),
    }))
}

fn run(backend: &mut dyn Backend, sql: &str) -> Result<()> {
    backend
        .execute(sql)
        .map_err(|e| fail(backend, "record the progress", e))
}

pub fn start(backend: &mut dyn Backend, progress: &Progress) -> Result<()> {
    let d = backend.dialect();
    let l = |value: &str| d.quote_literal(value);
    run(
        backend,
        &format!(
            "INSERT INTO {} ({}) VALUES ({}, {}, {}, {}, {}, {}, {})",
            d.quote_ident(PROGRESS_TABLE),
            column_list(d, 7),
            l(&progress.revision),
            l(operation(progress.direction)),
            l(&progress.checksum),
            progress.statements_done,
            progress.statements_total,
            l(&progress.done_checksum),
            l(&progress.started_at),
        ),
    )
}

/// Runs `action` (`UPDATE … SET …`, `DELETE FROM …`) on the row of `revision`.
fn on_row(backend: &mut dyn Backend, revision: &str, action: &str) -> Result<()> {
    let d = backend.dialect();
    let sql = format!(
        "{action} WHERE {} = {}",
        d.quote_ident("revision"),
        d.quote_literal(revision)
    );
    run(backend, &sql)
}

/// Records that `done` statements have run, and clears an earlier error.
pub fn advance(
    backend: &mut dyn Backend,
    revision: &str,
    done: usize,
    done_checksum: &str,
) -> Result<()> {
    let d = backend.dialect();
    let action = format!(
        "UPDATE {} SET {} = {done}, {} = {}, {} = NULL",
        d.quote_ident(PROGRESS_TABLE),
        d.quote_ident("statements_done"),
        d.quote_ident("done_checksum"),
        d.quote_literal(done_checksum),
        d.quote_ident("error"),
    );
    on_row(backend, revision, &action)
}

pub fn record_error(backend: &mut dyn Backend, revision: &str, message: &str) -> Result<()> {
    let d = backend.dialect();
    let action = format!(
        "UPDATE {} SET {} = {}",
        d.quote_ident(PROGRESS_TABLE),
        d.quote_ident("error"),
        d.quote_literal(message)
    );
    on_row(backend, revision, &action)
}

pub fn clear(backend: &mut dyn Backend, revision: &str) -> Result<()> {
    let action = format!(
        "DELETE FROM {}",
        backend.dialect().quote_ident(PROGRESS_TABLE)
    );
    on_row(backend, revision, &action)
}
