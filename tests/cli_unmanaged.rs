//! Objects mb does not model, on the database: named in a warning by every command that
//! reads the live schema, left as they are, and never lost to a change mb makes.
//! (The constructs of each server are in cli_postgres and cli_mysql, the sample
//! databases in cli_samples.)

mod common;

use common::{Db, TestProject};

/// SQLite re-creates a table to change a column; a table with a part mb leaves out
/// (here a foreign key to a table it cannot read) is not rebuilt, and what mb can do
/// in place still works.
#[test]
fn sqlite_never_rebuilds_a_table_that_has_a_part_mb_leaves_out() {
    let p = TestProject::empty_on(Db::Sqlite);
    p.execute(
        "CREATE TABLE box (id INTEGER PRIMARY KEY, w INTEGER, area INTEGER GENERATED ALWAYS AS (w * w) STORED);
         CREATE TABLE item (id INTEGER PRIMARY KEY, box_id INTEGER CONSTRAINT fk_item_box REFERENCES box (id), name TEXT);
         CREATE TRIGGER item_named AFTER INSERT ON item BEGIN SELECT 1; END;",
    );
    let url = p.database_url().to_string();
    p.ok(&["--database-url", &url, "db", "init", "--from-database"]);
    let adopted = p.read("schema.sql");
    let warnings = [
        "foreign key \"fk_item_box\" on \"item\" uses a column or table that mb leaves out",
        "table \"box\" has column \"area\"",
        "trigger \"item_named\" on \"item\" is a trigger",
    ];
    let check = p.ok(&["db", "check"]);
    common::assert_warned(&check.stderr, &warnings);

    let with = |from: &str, to: &str| {
        assert!(adopted.contains(from), "{adopted}");
        p.write("schema.sql", adopted.replace(from, to));
    };
    with("\"name\" TEXT", "\"name\" TEXT NOT NULL DEFAULT 'x'");
    let (warned, error) =
        common::fails_after_progress(p.mb().args(["db", "migrate", "-m", "named"]), 8);
    assert_eq!(warned.len(), warnings.len(), "{warned:?}");
    assert_eq!(
        error,
        "cannot generate a revision that rebuilds table \"item\" on SQLite (to apply: changed column \"item\".\"name\": NOT NULL, default to 'x'): the rebuild re-creates the table from mb's model and would lose foreign key \"fk_item_box\", which mb does not manage — drop or change that by hand first, or make this change by hand"
    );
    assert_eq!(p.revision_files().len(), 1, "only the baseline");

    // A column added in place leaves the rest as it is.
    with("\"name\" TEXT", "\"name\" TEXT,\n    \"note\" TEXT");
    p.ok(&["db", "migrate", "-m", "note"]);
    p.ok(&["db", "upgrade"]);
    common::assert_warned(&p.ok(&["db", "check"]).stderr, &warnings);
    assert_eq!(
        p.first_column("SELECT name FROM pragma_table_xinfo('box')"),
        ["id", "w", "area"]
    );
    assert_eq!(
        p.scalar("SELECT count(*) FROM pragma_foreign_key_list('item')"),
        "1"
    );
}

/// `exclude` in mb.toml: what matches is ignored by every command, in the database and in
/// schema.sql (which gets a warning for it); a qualified pattern names the schema mb
/// works in.
fn exclude_patterns_hide_objects_on_both_sides(db: Db) {
    let p = TestProject::empty_on(db);
    for sql in [
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note VARCHAR(20))",
        "CREATE TABLE legacy_users (id INTEGER PRIMARY KEY)",
        "CREATE TABLE audit_log (id INTEGER PRIMARY KEY)",
        "CREATE INDEX legacy_ix ON orders (note)",
        "CREATE VIEW legacy_view AS SELECT id FROM orders",
    ] {
        p.execute(sql);
    }
    let namespace = match &p.server {
        None => "main".to_string(),
        Some(_) if db == Db::Postgres => "public".to_string(),
        Some(server) => server.name.clone(),
    };
    p.write(
        "mb.toml",
        format!(
            "database_url = \"{}\"\nexclude = [\"legacy_*\", \"{namespace}.audit_*\"]\n",
            p.database_url()
        ),
    );
    let adopted = p.ok(&["db", "init", "--from-database"]);
    assert!(!adopted.stderr.contains("warning"), "{adopted:?}");
    let schema = p.read("schema.sql");
    assert!(schema.contains("CREATE TABLE \"orders\""), "{schema}");
    for excluded in ["legacy", "audit_log"] {
        assert!(!schema.contains(excluded), "{schema}");
    }
    let check = p.ok(&["db", "check"]);
    assert!(!check.stderr.contains("warning"), "{check:?}");

    // Declared, an excluded table is ignored too, with a warning.
    p.write(
        "schema.sql",
        format!("{schema}\nCREATE TABLE \"audit_log\" (\"id\" INTEGER PRIMARY KEY, \"extra\" INTEGER);\n"),
    );
    for args in [&["db", "check"][..], &["db", "migrate", "-m", "x"]] {
        let run = p.ok(args);
        assert!(
            run.stderr.starts_with(&format!("warning: schema.sql declares table \"audit_log\", which exclude pattern \"{namespace}.audit_*\" in mb.toml excludes; mb ignores it\n")),
            "{run:?}"
        );
        assert!(run.stderr.contains("No changes"), "{run:?}");
    }
    assert_eq!(p.revision_files().len(), 1, "only the baseline");
    let tables = p.tables();
    for kept in ["audit_log", "legacy_users", "orders"] {
        assert!(tables.iter().any(|t| t == kept), "{tables:?}");
    }
}

on_each_database!(exclude_patterns_hide_objects_on_both_sides);
