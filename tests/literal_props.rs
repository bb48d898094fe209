//! Property test: string literals with quotes, backslashes, `;`, comment starts and
//! newlines, declared in `schema.sql` as defaults, checks and view columns and written
//! by hand into data statements, go through the whole pipeline in process — parse,
//! diff, the revision's portable SQL, split and parse again, render for each database
//! — and each database, reading the SQL by its own rules (MySQL's backslash escapes
//! included), finds one statement per statement and exactly the declared strings. On
//! SQLite the rendered SQL also runs, and the stored values are read back. The same
//! pipeline on real servers is `tests/cli_literals.rs`.

mod common;

use std::path::Path;

use common::literals::{literal, literals_schema, strings_of};
use mb::autogenerate::diff;
use mb::dialect::Dialect;
use mb::ops::Op;
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;
use mb::script::split::split_statements;
use mb::text::normalize_line_endings;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

const PIECES: &[&str] = &[
    "'", "''", "\\", "\\'", "\\\\", ";", "--", "/*", "*/", "\n", "\r\n", "\"", "`", "$$", "$x$",
    "#", "x", " ", "é", "😀", "%", "_", "\t", "E'", "N'",
];

/// The string literals in `sql`, read as `dialect`'s database reads it; an error when
/// it is not one statement.
fn literals_as_the_database_reads(dialect: Dialect, sql: &str) -> Result<Vec<String>, String> {
    let tokens = match dialect {
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, sql).tokenize(),
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize(),
        Dialect::Mysql => Tokenizer::new(&MySqlDialect {}, sql).tokenize(),
    }
    .map_err(|e| format!("{}: {e}\n{sql}", dialect.name()))?;
    let mut found = Vec::new();
    for token in tokens {
        match token {
            Token::SingleQuotedString(s) => found.push(s),
            Token::SemiColon => {
                return Err(format!("{}: a second statement in\n{sql}", dialect.name()));
            }
            _ => {}
        }
    }
    Ok(found)
}

/// What `migrate` writes, then a data statement a person adds by hand.
fn revision_section(declared: &Schema, values: &[String]) -> (Vec<Op>, String) {
    let ops = diff(&Schema::default(), declared);
    let mut text: String = ops.iter().map(|op| format!("{};\n", op.to_sql())).collect();
    let row: Vec<String> = values.iter().map(|v| literal(v)).collect();
    let names: Vec<String> = (0..values.len()).map(|i| format!("\"s{i}\"")).collect();
    text.push_str(&format!(
        "INSERT INTO \"t\" (\"id\", {}) VALUES (2, {});\n",
        names.join(", "),
        row.join(", ")
    ));
    (ops, text)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/literal_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn literals_reach_each_database_exactly(values in prop::collection::vec(strings_of(PIECES), 1..4)) {
        let declared = parse_schema_sql(&literals_schema("t", "t", &values), Path::new("schema.sql"))
            .map_err(|e| TestCaseError::fail(e.message))?;
        // Files are read with LF line endings, literals included: what schema.sql
        // declares, and what a revision file holds, is the normalized text.
        let values: Vec<String> = values.iter().map(|v| normalize_line_endings(v)).collect();
        let (ops, section) = revision_section(&declared, &values);
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let statements = split_statements(&section, 1, dialect)
                .map_err(|e| TestCaseError::fail(format!("{}: {}\n{section}", dialect.name(), e.message)))?;
            prop_assert_eq!(statements.len(), ops.len() + 1, "{}\n{}", dialect.name(), section);
            let mut schema = Schema::default();
            let mut run = Vec::new();
            for (statement, op) in statements.iter().zip(&ops) {
                let parsed = Op::parse(&statement.sql).map_err(|e| TestCaseError::fail(e.message))?;
                prop_assert_eq!(parsed.as_ref(), Some(op));
                let rendered = dialect.render(op, &schema).map_err(|e| TestCaseError::fail(e.message))?;
                op.apply(&mut schema).map_err(|e| TestCaseError::fail(e.message))?;
                run.extend(rendered.statements);
            }
            let insert = &statements[ops.len()].sql;
            prop_assert_eq!(Op::parse(insert).map_err(|e| TestCaseError::fail(e.message))?, None);
            run.push(dialect.verbatim(insert).into_owned());
            // Each value appears as a default, in a check and in the view, and in the
            // INSERT: what the database reads holds each declared value.
            let mut read = Vec::new();
            for sql in &run {
                read.extend(literals_as_the_database_reads(dialect, sql).map_err(TestCaseError::fail)?);
            }
            for value in &values {
                let times = read.iter().filter(|r| *r == value).count();
                prop_assert!(times >= 4, "{}: {:?} read {} times in\n{}", dialect.name(), value, times, run.join(";\n"));
            }
            if dialect == Dialect::Sqlite {
                sqlite_stores_exactly(&run, &values)?;
            }
        }
    }
}

/// Runs `run` in an SQLite database and reads the row the INSERT wrote, a row of
/// defaults, and the view.
fn sqlite_stores_exactly(run: &[String], values: &[String]) -> Result<(), TestCaseError> {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for sql in run {
        conn.execute_batch(sql)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
    }
    conn.execute("INSERT INTO \"t\" (\"id\") VALUES (1)", [])
        .unwrap();
    let read = |sql: &str| -> Vec<Vec<String>> {
        let mut statement = conn.prepare(sql).unwrap();
        let width = statement.column_count();
        statement
            .query_map([], |row| (0..width).map(|i| row.get(i)).collect())
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let columns: Vec<String> = (0..values.len()).map(|i| format!("\"s{i}\"")).collect();
    let rows = read(&format!(
        "SELECT {} FROM \"t\" ORDER BY \"id\"",
        columns.join(", ")
    ));
    prop_assert_eq!(&rows, &vec![values.to_vec(), values.to_vec()]);
    prop_assert_eq!(
        read("SELECT * FROM \"wt\""),
        vec![values.to_vec(), values.to_vec()]
    );
    Ok(())
}
