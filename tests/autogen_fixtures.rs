//! Runs every `fixtures/schemas/NN_name/{before,after}.sql` pair through autogenerate:
//!
//! - the generated scripts equal the reviewed `up.sql` and `down.sql` beside them
//!   (`MB_BLESS=1 cargo test --test autogen_fixtures` writes them after a deliberate
//!   change — review the diff);
//! - applying each script to its starting schema gives the other schema, and every op
//!   reads back from its SQL;
//! - on a real SQLite database with a row in every table (`data.sql` when present, else
//!   the value 1 in every column), upgrading reads back as `after`, downgrading as
//!   `before`, and columns that keep their type keep their values both ways.

mod autogen_common;
mod common;

use std::path::Path;

use autogen_common::{check_values_kept, database, migrate_and_check, schema, values};
use common::fixture_dirs;
use mb::autogenerate::diff;
use mb::ops::Op;
use mb::schema::Schema;
use rusqlite::Connection;

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file)).ok()
}

/// The portable script of `diff(from, to)`, checking that it turns `from` into `to`.
fn script(from: &Schema, to: &Schema) -> Result<String, String> {
    let mut state = from.clone();
    let mut statements = Vec::new();
    for op in diff(from, to) {
        let sql = op.to_sql();
        match Op::parse(&sql) {
            Ok(Some(parsed)) if parsed == op => {}
            other => return Err(format!("`{sql}` reads back as {other:?}")),
        }
        op.apply(&mut state).map_err(|e| e.to_string())?;
        statements.push(format!("{sql};\n"));
    }
    if &state != to {
        return Err(format!(
            "the script does not reach the target:\n{}",
            statements.concat()
        ));
    }
    Ok(statements.join("\n"))
}

/// Compares a generated script with its reviewed copy (or writes it when blessing).
fn matches_reviewed(dir: &Path, file: &str, generated: &str) -> Result<(), String> {
    if std::env::var_os("MB_BLESS").is_some() {
        std::fs::write(dir.join(file), generated).map_err(|e| e.to_string())?;
        return Ok(());
    }
    match read(dir, file) {
        Some(reviewed) if reviewed == generated => Ok(()),
        Some(reviewed) => Err(format!(
            "{file} differs:\n--- reviewed\n{reviewed}\n--- generated\n{generated}"
        )),
        None => Err(format!(
            "{file} is missing — run with MB_BLESS=1 and review it"
        )),
    }
}

/// Inserts a row of 1s into every table, parents first, or runs `data.sql`.
fn insert_rows(conn: &Connection, before: &Schema, data: Option<String>) -> Result<(), String> {
    let q = |name: &str| mb::dialect::Dialect::Sqlite.quote_ident(name);
    let sql = data.unwrap_or_else(|| {
        let mut sql = String::from("PRAGMA defer_foreign_keys = ON;\n");
        for op in diff(&Schema::default(), before) {
            if let Op::CreateTable(table) = op {
                let columns: Vec<String> = table.columns.iter().map(|c| q(&c.name)).collect();
                let ones = vec!["1"; columns.len()].join(", ");
                sql.push_str(&format!(
                    "INSERT INTO {} ({}) VALUES ({ones});\n",
                    q(&table.name),
                    columns.join(", ")
                ));
            }
        }
        sql
    });
    conn.execute_batch(&format!("BEGIN;\n{sql}\nCOMMIT;"))
        .map_err(|e| format!("inserting rows: {e}"))
}

fn check_fixture(dir: &Path) -> Result<(), String> {
    let (before_sql, after_sql) = (
        read(dir, "before.sql").unwrap(),
        read(dir, "after.sql").unwrap(),
    );
    let (before, after) = (schema(&before_sql)?, schema(&after_sql)?);
    matches_reviewed(dir, "up.sql", &script(&before, &after)?)?;
    matches_reviewed(dir, "down.sql", &script(&after, &before)?)?;

    let (_dir, conn) = database();
    migrate_and_check(&conn, &Schema::default(), &before)
        .map_err(|e| format!("creating before: {e}"))?;
    insert_rows(&conn, &before, read(dir, "data.sql"))?;
    let original = values(&conn, &before);
    migrate_and_check(&conn, &before, &after).map_err(|e| format!("upgrading: {e}"))?;
    check_values_kept(&original, &values(&conn, &after), &before, &after)
        .map_err(|e| format!("upgrading: {e}"))?;
    migrate_and_check(&conn, &after, &before).map_err(|e| format!("downgrading: {e}"))?;
    check_values_kept(&original, &values(&conn, &before), &before, &after)
        .map_err(|e| format!("downgrading: {e}"))
}

#[test]
fn every_fixture_migrates_up_and_down() {
    let dirs = fixture_dirs();
    assert!(
        dirs.len() >= 40,
        "expected at least 40 fixtures, found {}",
        dirs.len()
    );
    let failures: Vec<String> = dirs
        .iter()
        .filter_map(|dir| {
            check_fixture(dir)
                .err()
                .map(|e| format!("{}: {e}", dir.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}
