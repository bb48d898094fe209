//! The parsers of user input never panic: the revision-file parser (with each section
//! split, parsed into operations and rendered for every database), the `schema.sql`
//! parser, the database-URL parser and the statement splitter. Random text here, built
//! from the pieces those inputs are made of so it gets past the first check; the long
//! runs are the cargo-fuzz targets in fuzz/ (DEVELOPERS.md, "Fuzzing"), and every input
//! that ever broke one is kept in `REGRESSIONS` below.

use std::path::Path;

use mb::config::DatabaseUrl;
use mb::config::mask::mask_passwords;
use mb::dialect::Dialect;
use mb::runtime::plan::Direction;
use mb::runtime::simulate::section_actions;
use mb::schema::Schema;
use mb::schema::parse::parse_schema_sql;
use mb::script::Revision;
use mb::script::split::split_statements;
use proptest::prelude::*;

const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

/// What `mb db upgrade` does with a revision file before it touches a database.
fn revision(text: &str) {
    let Ok(revision) = Revision::parse(text, Path::new("fuzz.sql")) else {
        return;
    };
    for dialect in DIALECTS {
        let mut schema = Schema::default();
        for direction in [Direction::Up, Direction::Down] {
            let _ = section_actions(&revision, direction, dialect, Some(dialect), &mut schema);
        }
    }
}

fn schema_sql(text: &str) {
    if let Ok(schema) = parse_schema_sql(text, Path::new("schema.sql")) {
        assert!(mb::autogenerate::diff(&schema, &schema).is_empty());
    }
}

fn database_url(raw: &str) {
    let _ = mask_passwords(raw, Some(raw));
    if let Ok(url) = DatabaseUrl::parse(raw, Path::new("/project")) {
        let _ = url.to_string();
    }
}

fn split(text: &str) {
    for dialect in DIALECTS {
        let _ = split_statements(text, 1, dialect);
    }
}

/// Inputs that once made a fuzz target fail, as (target, input).
const REGRESSIONS: &[(&str, &str)] = &[];

#[test]
fn inputs_that_once_broke_a_parser() {
    for (target, input) in REGRESSIONS {
        match *target {
            "revision" => revision(input),
            "schema_sql" => schema_sql(input),
            "database_url" => database_url(input),
            "split" => split(input),
            other => panic!("no fuzz target {other}"),
        }
    }
}

/// Inputs of the attack on mb (issue 17) that aborted it with a stack overflow: a CHECK of
/// 10,000 `AND`ed terms, and the other ways to build a deep tree. On the test's own
/// small stack they are refused before they are parsed.
#[test]
fn deep_inputs_that_once_overflowed_the_stack() {
    let deep = [
        format!("CHECK ({})", vec!["\"a\" > 0"; 10_000].join(" AND ")),
        format!(
            "CHECK (\"a\" > {}1{})",
            "(".repeat(10_000),
            ")".repeat(10_000)
        ),
    ];
    let views = [
        format!(
            "CREATE VIEW \"v\" AS SELECT {} AS \"s\"",
            vec!["1"; 20_000].join(" + ")
        ),
        format!(
            "CREATE VIEW \"u\" AS {}",
            vec!["SELECT 1"; 10_000].join(" UNION ")
        ),
    ];
    let statements = deep
        .iter()
        .map(|check| format!("CREATE TABLE \"t\" (\"a\" INTEGER, {check})"))
        .chain(views);
    for statement in statements {
        schema_sql(&statement);
        split(&statement);
        revision(&format!(
            "-- Revision ID: a1\n-- migrate:up\n{statement};\n-- migrate:down\n"
        ));
    }
}

/// Text made of SQL pieces (keywords, quotes, comments, section markers), so random
/// input reaches past the tokenizer.
fn sql_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("CREATE TABLE ".to_string()),
        Just("ALTER TABLE ".to_string()),
        Just("ADD COLUMN ".to_string()),
        Just("DROP ".to_string()),
        Just("INDEX ".to_string()),
        Just("VIEW ".to_string()),
        Just("AS SELECT ".to_string()),
        Just("PRIMARY KEY ".to_string()),
        Just("REFERENCES ".to_string()),
        Just("INTEGER ".to_string()),
        Just("VARCHAR(".to_string()),
        Just("DEFAULT ".to_string()),
        Just("\"t\" ".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("`".to_string()),
        Just("$$".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just(", ".to_string()),
        Just(";\n".to_string()),
        Just("\n".to_string()),
        Just("-- ".to_string()),
        Just("/*".to_string()),
        Just("*/".to_string()),
        Just("-- migrate:up\n".to_string()),
        Just("-- migrate:down\n".to_string()),
        Just("-- Revision ID: ab12\n".to_string()),
        Just("-- Revises: \n".to_string()),
        Just("-- mb:no-transaction\n".to_string()),
        "[a-z0-9_ ]{1,6}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn url_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("sqlite:".to_string()),
        Just("postgresql://".to_string()),
        Just("mysql+pymysql://".to_string()),
        Just("mariadb://".to_string()),
        Just("/".to_string()),
        Just("@".to_string()),
        Just(":".to_string()),
        Just("?".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("%".to_string()),
        Just("[::1]".to_string()),
        Just("\\".to_string()),
        Just("sslmode=require".to_string()),
        Just("mode=ro".to_string()),
        "[a-z0-9.]{1,8}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn revision_files_never_panic(text in sql_like(), noise in any::<String>()) {
        revision(&text);
        revision(&noise);
        revision(&format!("-- Revision ID: ab12\n-- migrate:up\n{text}\n-- migrate:down\n{noise}"));
    }

    #[test]
    fn schema_sql_never_panics(text in sql_like(), noise in any::<String>()) {
        schema_sql(&text);
        schema_sql(&noise);
    }

    #[test]
    fn database_urls_never_panic(raw in url_like(), noise in any::<String>()) {
        database_url(&raw);
        database_url(&noise);
    }

    #[test]
    fn statement_splitting_never_panics(text in sql_like(), noise in any::<String>()) {
        split(&text);
        split(&noise);
    }
}
