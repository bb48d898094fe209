//! Schema operations rendered for SQLite.
//!
//! Types: SQLite keeps the declared type text, so the portable spelling is used as is and
//! reads back unchanged. The one exception is the auto-incrementing key: only a column
//! declared exactly `INTEGER` becomes an alias of the rowid, so a BIGINT key is written
//! `INTEGER /* mb:BIGINT */` (SQLite integers are 64-bit anyway), and introspection reads
//! the comment back as BIGINT.
//!
//! In place: CREATE/DROP/RENAME TABLE, RENAME COLUMN, CREATE/DROP INDEX and VIEW, ADD
//! COLUMN when SQLite allows it (nullable or with a literal default), DROP COLUMN when
//! no constraint or index uses the column.
//!
//! Everything else — ALTER COLUMN, ADD/DROP CONSTRAINT, ADD COLUMN with an expression or
//! CURRENT_* default or NOT NULL without default, DROP COLUMN of a constrained column — is
//! the rebuild of <https://www.sqlite.org/lang_altertable.html#otheralter>: drop the
//! views that read the table, create `_mb_tmp_<table>` with the new definition, copy
//! the common columns, drop the old table, rename the new one (with
//! `legacy_alter_table=ON`, so triggers and views elsewhere that name the table are
//! not checked against the moment it is missing), create its indexes and the views
//! again. The table's triggers are dropped with it; [`Rendered::rebuilt_tables`] tells
//! the executor to save and restore them, and [`Rendered::foreign_keys_off`] to run
//! the rebuild with foreign keys off and `PRAGMA foreign_key_check` before commit.

use super::{Dialect, Rendered};
use crate::ops::{Op, column_definition, constraint_clause, create_index_sql, standard_sql};
use crate::schema::expr::{DefaultKind, default_kind};
use crate::schema::{Column, ColumnType, Schema, Table};
use crate::{Error, Result};

const SQLITE: Dialect = Dialect::Sqlite;

/// The comment that marks a rowid key declared BIGINT.
pub const BIGINT_KEY_MARKER: &str = "mb:BIGINT";

pub fn render(op: &Op, before: &Schema) -> Result<Rendered> {
    if let Some(table) = rebuilt_table(op, before) {
        return rebuild(op, before, table);
    }
    let in_place = match op {
        Op::CreateTable(table) => create_table(table, &table.name),
        Op::AddColumn { table, column } => format!(
            "ALTER TABLE {} ADD COLUMN {}",
            SQLITE.quote_ident(table),
            column_definition(SQLITE, column, &sqlite_type(column), false)
        ),
        // The ops matched above, and those `rebuilt_table` names, are the only ones
        // `standard_sql` leaves out.
        _ => standard_sql(SQLITE, op).unwrap_or_default(),
    };
    Ok(Rendered {
        statements: vec![in_place],
        ..Rendered::default()
    })
}

/// The table `op` re-creates from the model with the 12-step rebuild, if it does: what
/// the model leaves out of that table (a part mb does not manage) would not survive it.
pub fn rebuilt_table<'a>(op: &'a Op, before: &Schema) -> Option<&'a str> {
    match op {
        Op::AddColumn { column, .. } if can_add_in_place(column) => None,
        Op::DropColumn { table, column }
            if !before
                .tables
                .get(table)
                .is_some_and(|t| t.column_is_used(column)) =>
        {
            None
        }
        Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::AlterColumn { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. } => Some(table),
        _ => None,
    }
}

/// SQLite refuses ADD COLUMN with a non-constant default, and NOT NULL without a
/// non-NULL default.
fn can_add_in_place(column: &Column) -> bool {
    match column.default.as_deref().map(default_kind) {
        None => column.nullable,
        Some(DefaultKind::Literal) => true,
        Some(DefaultKind::CurrentTime | DefaultKind::Expression) => false,
    }
}

/// The declared type: the portable spelling, except for the rowid key.
fn sqlite_type(column: &Column) -> String {
    match (&column.ty, column.autoincrement) {
        (ColumnType::BigInt, true) => format!("INTEGER /* {BIGINT_KEY_MARKER} */"),
        (_, true) => "INTEGER".to_string(),
        (ty, false) => ty.to_string(),
    }
}

/// `CREATE TABLE` under the name `create_as`, every constraint named at table level.
/// Key columns are NOT NULL explicitly: SQLite would otherwise accept NULL in them.
fn create_table(table: &Table, create_as: &str) -> String {
    let mut lines: Vec<String> = table
        .columns
        .iter()
        .map(|c| column_definition(SQLITE, c, &sqlite_type(c), false))
        .collect();
    lines.extend(
        table
            .constraints()
            .iter()
            .map(|c| constraint_clause(SQLITE, c, true)),
    );
    format!(
        "CREATE TABLE {} (\n    {}\n)",
        SQLITE.quote_ident(create_as),
        lines.join(",\n    ")
    )
}

/// The 12-step rebuild of `table` into the definition `op` gives it.
fn rebuild(op: &Op, before: &Schema, table: &str) -> Result<Rendered> {
    let mut after = before.clone();
    op.apply(&mut after)?;
    let (Some(old), Some(new)) = (before.tables.get(table), after.tables.get(table)) else {
        return Err(Error::script(format!(
            "cannot rebuild table {}: it does not exist",
            SQLITE.quote_ident(table)
        )));
    };
    let q = |name: &str| SQLITE.quote_ident(name);
    let temporary = format!("_mb_tmp_{table}");
    let views = before.views_reading(table);
    let mut statements: Vec<String> = views
        .iter()
        .rev()
        .filter_map(|v| {
            standard_sql(
                SQLITE,
                &Op::DropView {
                    name: v.name.clone(),
                },
            )
        })
        .collect();
    statements.push(create_table(new, &temporary));
    let common: Vec<String> = new
        .columns
        .iter()
        .filter(|c| old.column(&c.name).is_some())
        .map(|c| q(&c.name))
        .collect();
    if !common.is_empty() {
        let common = common.join(", ");
        statements.push(format!(
            "INSERT INTO {} ({common}) SELECT {common} FROM {}",
            q(&temporary),
            q(table)
        ));
    }
    statements.push(format!("DROP TABLE {}", q(table)));
    statements.push("PRAGMA legacy_alter_table = ON".to_string());
    statements.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        q(&temporary),
        q(table)
    ));
    statements.push("PRAGMA legacy_alter_table = OFF".to_string());
    statements.extend(
        new.indexes
            .iter()
            .map(|i| create_index_sql(SQLITE, table, i)),
    );
    statements.extend(
        views
            .iter()
            .filter_map(|v| standard_sql(SQLITE, &Op::CreateView((*v).clone()))),
    );
    Ok(Rendered {
        statements,
        foreign_keys_off: true,
        rebuilt_tables: vec![table.to_string()],
    })
}
