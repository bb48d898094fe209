//! Property tests of the autogenerate invariant on random pairs of schemas:
//! `apply(diff(A, B), A) == B` with every op reading back from its SQL, and on a real
//! SQLite database, migrating A → B → A with a row in every table reads back as B and
//! then A, keeping the values of unchanged columns; on MySQL (without rows), migrating
//! ∅ → A → B → A reads back as each, unless mb refuses a pair MySQL cannot have.
//!
//! Schemas come from `autogen_common::random` with SQLite's universe.

mod autogen_common;
mod common;

use autogen_common::random::{MYSQL, SQLITE, q, schema_pair};
use autogen_common::{check_values_kept, database, migrate_and_check, schema, values};
use mb::autogenerate::diff;
use mb::autogenerate::renames::{ColumnRename, Renames, TableRename, candidates, diff_renaming};
use mb::backend::{Backend, OpenMode};
use mb::config::DatabaseUrl;
use mb::dialect::Dialect;
use mb::ops::Op;
use mb::schema::Schema;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Applies `diff(from, to)` to `from`, checking each op's SQL on the way.
fn apply_diff(from: &Schema, to: &Schema) -> Result<Schema, TestCaseError> {
    let mut state = from.clone();
    for op in diff(from, to) {
        let sql = op.to_sql();
        let parsed = Op::parse(&sql).map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
        prop_assert_eq!(parsed.as_ref(), Some(&op), "{}", sql);
        op.apply(&mut state)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    Ok(state)
}

/// `cases` cases, with failures kept in proptest-regressions/ to be replayed first.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/autogen_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn diff_applied_gives_the_target_and_reads_back((a, b) in schema_pair(&SQLITE)) {
        let (a, b) = (schema(&a).map_err(TestCaseError::fail)?, schema(&b).map_err(TestCaseError::fail)?);
        prop_assert_eq!(apply_diff(&a, &b)?, b.clone());
        prop_assert_eq!(apply_diff(&b, &a)?, a.clone());
        prop_assert!(diff(&a, &a).is_empty());
    }
}

/// Applies `ops` to `from`, checking each op's SQL on the way.
fn apply_ops(from: &Schema, ops: &[Op]) -> Result<Schema, TestCaseError> {
    let mut state = from.clone();
    for op in ops {
        let sql = op.to_sql();
        let parsed = Op::parse(&sql).map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
        prop_assert_eq!(parsed.as_ref(), Some(op), "{}", sql);
        op.apply(&mut state)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
    }
    Ok(state)
}

proptest! {
    #![proptest_config(config(256))]

    /// B with a table of A renamed and one of its columns too, and those renames
    /// declared: the renames, then the diff, give that B, and the reverse gives A back.
    /// Adding the likely renames (`candidates`) as renames does the same.
    #[test]
    fn diff_with_renames_gives_the_target_both_ways((a, b) in schema_pair(&SQLITE)) {
        let (a, b) = (schema(&a).map_err(TestCaseError::fail)?, schema(&b).map_err(TestCaseError::fail)?);
        let (b, declared) = renamed_in(&a, b);
        let fail = |e: mb::Error| TestCaseError::fail(e.to_string());
        let mut likely = declared.clone();
        for candidate in candidates(&a, &b, &declared).map_err(fail)? {
            likely.add(candidate);
        }
        for renames in [declared, likely] {
            let up = diff_renaming(&a, &b, &renames.ops()).map_err(fail)?;
            let down = diff_renaming(&b, &a, &renames.reverse_ops()).map_err(fail)?;
            prop_assert_eq!(apply_ops(&a, &up)?, b.clone());
            prop_assert_eq!(apply_ops(&b, &down)?, a.clone());
        }
    }
}

/// `b` with the first table it shares with `a` renamed, and the first column that
/// table has in both renamed too (where no view stands in the way), and those renames.
fn renamed_in(a: &Schema, mut b: Schema) -> (Schema, Renames) {
    let mut renames = Renames::default();
    let Some(table) = a.tables.keys().find(|t| b.tables.contains_key(*t)).cloned() else {
        return (b, renames);
    };
    let column = a.tables[&table]
        .columns
        .iter()
        .map(|c| c.name.clone())
        .find(|c| b.tables[&table].column(c).is_some());
    let new_table = format!("{table}_r");
    let rename = Op::RenameTable {
        from: table.clone(),
        to: new_table.clone(),
    };
    let now = if !a.relation_exists(&new_table) && rename.apply(&mut b).is_ok() {
        renames.tables.push(TableRename {
            from: table,
            to: new_table.clone(),
        });
        new_table
    } else {
        table
    };
    if let Some(column) = column {
        let to = format!("{column}_r");
        let rename = Op::RenameColumn {
            table: now.clone(),
            from: column.clone(),
            to: to.clone(),
        };
        if rename.apply(&mut b).is_ok() {
            renames.columns.push(ColumnRename {
                table: now,
                from: column,
                to,
            });
        }
    }
    (b, renames)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn sqlite_migrates_up_and_down_keeping_data((a_sql, b_sql) in schema_pair(&SQLITE)) {
        let a = schema(&a_sql).map_err(TestCaseError::fail)?;
        let b = schema(&b_sql).map_err(TestCaseError::fail)?;
        let (_dir, conn) = database();
        let fail = |e: String| TestCaseError::fail(format!("{e}\nA:\n{a_sql}\nB:\n{b_sql}"));
        migrate_and_check(&conn, &Schema::default(), &a).map_err(fail)?;
        for table in a.tables.values() {
            let columns: Vec<String> = table.columns.iter().filter(|c| !c.name.starts_with('f')).map(|c| q(&c.name)).collect();
            let ones = vec!["1"; columns.len()].join(", ");
            conn.execute_batch(&format!("INSERT INTO {} ({}) VALUES ({ones})", q(&table.name), columns.join(", "))).unwrap();
        }
        let original = values(&conn, &a);
        migrate_and_check(&conn, &a, &b).map_err(fail)?;
        check_values_kept(&original, &values(&conn, &b), &a, &b).map_err(fail)?;
        migrate_and_check(&conn, &b, &a).map_err(fail)?;
        check_values_kept(&original, &values(&conn, &a), &a, &b).map_err(fail)?;
    }
}

/// mb's connection to a database of its own on the MySQL test server (dropped at the
/// end); `None` after a loud skip when there is no server.
fn mysql_database() -> Option<(common::ServerDatabase, Box<dyn Backend>)> {
    if !common::Db::Mysql.available("autogen_props::mysql_migrates_up_and_down") {
        return None;
    }
    let server = common::ServerDatabase::create(common::Db::Mysql);
    let url = DatabaseUrl::parse(&server.url, std::path::Path::new(".")).unwrap();
    let backend = mb::backend::connect(&url, OpenMode::Read).unwrap().backend;
    Some((server, backend))
}

/// Runs `diff(from, to)` on MySQL as mb renders it and checks that the database reads
/// back as `to`; `Ok(false)` when mb refuses to render it (what MySQL cannot do).
fn mysql_migrate(backend: &mut dyn Backend, from: &Schema, to: &Schema) -> Result<bool, String> {
    let mut state = from.clone();
    let mut statements = Vec::new();
    for op in diff(from, to) {
        match Dialect::Mysql.render(&op, &state) {
            Ok(rendered) => statements.extend(rendered.statements),
            Err(_) => return Ok(false),
        }
        op.apply(&mut state).map_err(|e| e.to_string())?;
    }
    for sql in &statements {
        backend
            .execute(sql)
            .map_err(|e| format!("{e}\n  in: {sql}"))?;
    }
    let live = backend
        .introspect_against(&[to])
        .map_err(|e| e.to_string())?
        .schema;
    if &live != to {
        return Err(format!(
            "reads back as\n{live:#?}\nafter\n{}",
            statements.join(";\n")
        ));
    }
    Ok(true)
}

proptest! {
    #![proptest_config(config(64))]

    /// Schemas only: MySQL converts (or refuses to convert) values between the random
    /// types by its own rules, which the SQLite test above covers for mb's part.
    #[test]
    fn mysql_migrates_up_and_down((a_sql, b_sql) in schema_pair(&MYSQL)) {
        let a = schema(&a_sql).map_err(TestCaseError::fail)?;
        let b = schema(&b_sql).map_err(TestCaseError::fail)?;
        let Some((_server, mut backend)) = mysql_database() else {
            return Ok(());
        };
        let fail = |e: String| TestCaseError::fail(format!("{e}\nA:\n{a_sql}\nB:\n{b_sql}"));
        // A pair with something MySQL cannot have is refused before anything runs.
        if mysql_migrate(backend.as_mut(), &Schema::default(), &a).map_err(fail)?
            && mysql_migrate(backend.as_mut(), &a, &b).map_err(fail)?
        {
            prop_assert!(mysql_migrate(backend.as_mut(), &b, &a).map_err(fail)?);
        }
    }
}
