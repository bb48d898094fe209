//! The autogenerate invariant on PostgreSQL, on random pairs of schemas: migrating a
//! database A → B → A with `diff` rendered for PostgreSQL, with a row in every table,
//! reads back as B and then A (compared through the database, as `mb db check` does),
//! and the values of columns that kept their type survive.
//!
//! Schemas come from `autogen_common::random` with PostgreSQL's universe: PostgreSQL
//! types its expressions, so the types are ones it converts into each other (numbers and
//! strings), checks and index expressions hold for any of them, and foreign keys
//! reference integer keys.

mod autogen_common;
mod common;

use autogen_common::random::{POSTGRES, q, schema_pair};
use common::{Db, ServerDatabase};
use mb::autogenerate::diff;
use mb::backend::{Backend, OpenMode};
use mb::config::DatabaseUrl;
use mb::dialect::Dialect;
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Migrates the database from `from` to `to` in one transaction, as `mb db upgrade`
/// runs a revision, and compares it with `to` through the database.
fn migrate(backend: &mut dyn Backend, from: &Schema, to: &Schema) -> Result<(), String> {
    let mut state = from.clone();
    backend.begin().map_err(|e| e.message)?;
    for op in diff(from, to) {
        let rendered = Dialect::Postgres
            .render(&op, &state)
            .map_err(|e| e.message)?;
        for sql in &rendered.statements {
            if let Err(e) = backend.execute(sql) {
                let _ = backend.rollback();
                return Err(format!("{e}\n  in: {sql}"));
            }
        }
        op.apply(&mut state).map_err(|e| e.message)?;
    }
    backend.commit().map_err(|e| e.message)?;
    let live = backend
        .introspect_against(&[to])
        .map_err(|e| e.message)?
        .schema;
    if &live != to {
        return Err(format!("the database is not the target:\n{live:#?}"));
    }
    Ok(())
}

/// Each column's value in the one row of each table, as text.
fn values(backend: &mut dyn Backend, schema: &Schema) -> Vec<((String, String), String)> {
    let mut values = Vec::new();
    for table in schema.tables.values() {
        for column in &table.columns {
            let rows = backend
                .query(&format!(
                    "SELECT CAST({} AS TEXT) FROM {}",
                    q(&column.name),
                    q(&table.name)
                ))
                .unwrap();
            let value = rows
                .first()
                .and_then(|row| row[0].clone())
                .unwrap_or_default();
            values.push(((table.name.clone(), column.name.clone()), value));
        }
    }
    values
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/postgres_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

#[test]
fn postgres_migrates_up_and_down_keeping_data() {
    if !Db::Postgres.available("postgres_props::postgres_migrates_up_and_down_keeping_data") {
        return;
    }
    let parse = |sql: &str| parse_schema_sql(sql, std::path::Path::new("schema.sql"));
    proptest!(config(), |((a_sql, b_sql) in schema_pair(&POSTGRES))| {
        let (a, b) = (parse(&a_sql).unwrap(), parse(&b_sql).unwrap());
        let database = ServerDatabase::create(Db::Postgres);
        let url = DatabaseUrl::parse(&database.url, std::path::Path::new(".")).unwrap();
        let mut backend = mb::backend::connect(&url, OpenMode::Write).unwrap().backend;
        let backend = backend.as_mut();
        let fail = |e: String| TestCaseError::fail(format!("{e}\nA:\n{a_sql}\nB:\n{b_sql}"));
        migrate(backend, &Schema::default(), &a).map_err(fail)?;
        for table in a.tables.values() {
            let columns: Vec<String> = table
                .columns
                .iter()
                .filter(|c| !c.name.starts_with('f'))
                .map(|c| q(&c.name))
                .collect();
            let ones = vec!["'1'"; columns.len()].join(", ");
            backend
                .execute(&format!("INSERT INTO {} ({}) VALUES ({ones})", q(&table.name), columns.join(", ")))
                .map_err(fail)?;
        }
        let original = values(backend, &a);
        migrate(backend, &a, &b).map_err(fail)?;
        migrate(backend, &b, &a).map_err(fail)?;
        // Values of columns whose type A and B share came back unchanged.
        let kept = |(table, column): &(String, String)| {
            let ty = |s: &Schema| s.tables.get(table)?.column(column).map(|c| c.ty.clone());
            ty(&a).is_some() && ty(&a) == ty(&b)
        };
        let now = values(backend, &a);
        for (key, value) in original.iter().filter(|(key, _)| kept(key)) {
            let after = now.iter().find(|(k, _)| k == key).map(|(_, v)| v);
            prop_assert_eq!(after, Some(value), "{:?}\nA:\n{}\nB:\n{}", key, a_sql, b_sql);
        }
    });
}
