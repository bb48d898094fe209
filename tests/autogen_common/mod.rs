//! What the autogenerate tests share: parsing a schema, and running a generated
//! migration on a real SQLite database the way the executor does.
// Each test crate compiles this module and uses part of it.
#![allow(dead_code)]

pub mod random;

use mb::autogenerate::diff;
use mb::backend::sqlite_introspect::introspect;
use mb::dialect::Dialect;
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;
use rusqlite::Connection;

/// Column values: ((table, column), one SQL literal per row).
pub type Values = Vec<((String, String), Vec<String>)>;

pub fn schema(sql: &str) -> Result<Schema, String> {
    parse_schema_sql(sql, std::path::Path::new("schema.sql")).map_err(|e| format!("{e}\n{sql}"))
}

/// A fresh database file in a temporary directory (kept alive by the returned guard).
pub fn database() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection::open(dir.path().join("test.db")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    (dir, conn)
}

/// Renders `diff(from, to)` for SQLite and runs it in one transaction, as the executor
/// does: foreign keys off around a rebuild and checked before commit, and the triggers
/// of rebuilt tables saved and restored. Returns the statements that ran.
pub fn migrate(conn: &Connection, from: &Schema, to: &Schema) -> Result<Vec<String>, String> {
    let mut state = from.clone();
    let mut rendered = Vec::new();
    for op in diff(from, to) {
        rendered.push(
            Dialect::Sqlite
                .render(&op, &state)
                .map_err(|e| e.to_string())?,
        );
        op.apply(&mut state).map_err(|e| e.to_string())?;
    }
    let foreign_keys_off = rendered.iter().any(|r| r.foreign_keys_off);
    let run = |sql: &str| {
        conn.execute_batch(sql)
            .map_err(|e| format!("{e}\n  in: {sql}"))
    };
    if foreign_keys_off {
        run("PRAGMA foreign_keys = OFF")?;
    }
    run("BEGIN")?;
    let mut executed = Vec::new();
    let result = (|| {
        for r in &rendered {
            let mut triggers = Vec::new();
            for table in &r.rebuilt_tables {
                let mut stmt = conn
                    .prepare(
                        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1",
                    )
                    .map_err(|e| e.to_string())?;
                let rows = stmt
                    .query_map([table], |row| row.get::<_, String>(0))
                    .map_err(|e| e.to_string())?;
                for sql in rows {
                    triggers.push(sql.map_err(|e| e.to_string())?);
                }
            }
            for sql in r.statements.iter().chain(&triggers) {
                run(sql)?;
                executed.push(sql.clone());
            }
        }
        if foreign_keys_off {
            let violations: i64 = conn
                .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |row| {
                    row.get(0)
                })
                .map_err(|e| e.to_string())?;
            if violations > 0 {
                return Err(format!("{violations} foreign key violations"));
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => run("COMMIT")?,
        Err(e) => {
            run("ROLLBACK")?;
            return Err(e);
        }
    }
    if foreign_keys_off {
        run("PRAGMA foreign_keys = ON")?;
    }
    Ok(executed)
}

/// Migrates the database from `from` to `to` and checks that it then reads back as `to`.
pub fn migrate_and_check(conn: &Connection, from: &Schema, to: &Schema) -> Result<(), String> {
    let executed = migrate(conn, from, to)?;
    let found = introspect(conn).map_err(|e| e.to_string())?.schema;
    if &found != to {
        return Err(format!(
            "the database does not read back as the target schema\nexecuted:\n{}\nexpected: {to:#?}\nfound: {found:#?}",
            executed.join(";\n")
        ));
    }
    Ok(())
}

/// The values of every column of every table, as SQL literals, by (table, column).
pub fn values(conn: &Connection, schema: &Schema) -> Values {
    let q = |name: &str| mb::dialect::Dialect::Sqlite.quote_ident(name);
    let mut found = Vec::new();
    for table in schema.tables.values() {
        for column in &table.columns {
            let sql = format!(
                "SELECT quote({}) FROM {} ORDER BY rowid",
                q(&column.name),
                q(&table.name)
            );
            let rows: Vec<String> = conn
                .prepare(&sql)
                .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
                .unwrap();
            found.push(((table.name.clone(), column.name.clone()), rows));
        }
    }
    found
}

/// Checks that the columns whose type is the same in `before` and `after` still hold the
/// values they held in `original`.
pub fn check_values_kept(
    original: &Values,
    now: &Values,
    before: &Schema,
    after: &Schema,
) -> Result<(), String> {
    let ty = |s: &Schema, (t, c): &(String, String)| {
        s.tables
            .get(t)
            .and_then(|t| t.column(c))
            .map(|c| c.ty.clone())
    };
    for (key, rows) in original {
        if ty(before, key).is_some() && ty(before, key) == ty(after, key) {
            let found = now.iter().find(|(k, _)| k == key).map(|(_, v)| v);
            if found != Some(rows) {
                return Err(format!("{key:?} held {rows:?}, now {found:?}"));
            }
        }
    }
    Ok(())
}
