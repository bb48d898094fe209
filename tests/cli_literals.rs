//! String literals from `schema.sql` reach every database exactly as declared. Portable
//! SQL has standard literals (a quote is doubled, a backslash is an ordinary character);
//! `migrate` writes them so, the revision is split and parsed by the same rules, and
//! MySQL gets its backslashes doubled. Text in a literal never ends it early, so the SQL
//! hidden in one never runs (the table it would empty keeps its rows).

mod common;

use common::literals::{literal, literals_schema, strings_of};
use common::{Db, TestProject};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};

const VICTIM: &str = "CREATE TABLE \"victim\" (\"id\" INTEGER PRIMARY KEY);\n";

/// A project on `db` whose table "victim" holds three rows.
fn project_with_victim(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write("schema.sql", VICTIM);
    p.ok(&["-q", "db", "migrate", "-m", "victim"]);
    p.ok(&["-q", "db", "upgrade"]);
    p.execute("INSERT INTO \"victim\" (\"id\") VALUES (1), (2), (3)");
    p
}

fn victim_rows(p: &TestProject) -> String {
    p.scalar("SELECT COUNT(*) FROM \"victim\"")
}

/// Issue 17's reproduction: a view whose literal holds `\'` followed by SQL.
fn a_literal_never_ends_early_and_runs_as_sql(db: Db) {
    let p = project_with_victim(db);
    let hidden = "x\\'; DELETE FROM \"victim\"; --";
    let default = "d\\'); DROP TABLE \"victim\"; --";
    let check = "c\\'); DROP TABLE \"victim\"; --";
    p.write(
        "schema.sql",
        format!(
            "{VICTIM}CREATE VIEW \"w\" AS SELECT {} AS \"c\" FROM \"victim\";\n\
             CREATE TABLE \"d\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"s\" VARCHAR(100) DEFAULT {},\n    CHECK (\"s\" <> {})\n);\n",
            literal(hidden),
            literal(default),
            literal(check)
        ),
    );
    p.ok(&["-q", "db", "migrate", "-m", "view"]);
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(victim_rows(&p), "3", "{}", db.name());
    assert_eq!(
        p.first_column("SELECT \"c\" FROM \"w\""),
        [hidden, hidden, hidden],
        "{}",
        db.name()
    );
    p.execute("INSERT INTO \"d\" (\"id\") VALUES (1)");
    assert_eq!(
        p.scalar("SELECT \"s\" FROM \"d\""),
        default,
        "{}",
        db.name()
    );
    // The check holds the declared text: the value it names is refused.
    let violation = "UPDATE \"d\" SET \"s\" = REPLACE(\"s\", 'd', 'c')";
    assert!(p.try_execute(violation).is_err(), "{}", db.name());
    // What the database stored reads back as declared: nothing to migrate.
    p.ok(&["-q", "db", "check"]);
    p.execute("DELETE FROM \"d\"");
    p.ok(&["-q", "db", "downgrade", "-1"]);
    assert_eq!(victim_rows(&p), "3", "{}", db.name());
}

/// A data statement written by hand runs as written, with its literals read as portable
/// SQL on every database: on MySQL, whose own rules read `\'` as an escaped quote, the
/// backslashes are doubled (and `upgrade --sql` prints them so).
fn a_literal_in_a_data_statement_is_read_as_written(db: Db) {
    let p = TestProject::on(db);
    let values = ["x\\'); DELETE FROM \"victim\"; --", "\\", "a''b\\n"];
    let inserts: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("INSERT INTO \"note\" VALUES ({}, {});\n", i + 1, literal(v)))
        .collect();
    p.write_revision(
        "dd1",
        "",
        "notes",
        &format!(
            "CREATE TABLE \"victim\" (\"id\" INTEGER PRIMARY KEY);\n\
             INSERT INTO \"victim\" (\"id\") VALUES (1), (2), (3);\n\
             CREATE TABLE \"note\" (\"id\" INTEGER PRIMARY KEY, \"s\" VARCHAR(100));\n{inserts}"
        ),
        "-- mb:allow-data-loss\nDROP TABLE \"note\";\nDROP TABLE \"victim\";\n",
    );
    let offline = p.ok(&["db", "upgrade", "--sql"]).stdout;
    let doubled = match db {
        Db::Mysql => "'x\\\\''); DELETE FROM \"victim\"; --'",
        Db::Sqlite | Db::Postgres => "'x\\''); DELETE FROM \"victim\"; --'",
    };
    assert!(offline.contains(doubled), "{}: {offline}", db.name());
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(victim_rows(&p), "3", "{}", db.name());
    assert_eq!(
        p.first_column("SELECT \"s\" FROM \"note\" ORDER BY \"id\""),
        values,
        "{}",
        db.name()
    );
}

/// A NUL character cannot be stored in text on PostgreSQL: refused where it is written,
/// before anything is generated, on every database alike.
fn a_nul_in_a_literal_is_refused_where_it_is_written(db: Db) {
    let p = project_with_victim(db);
    p.write(
        "schema.sql",
        format!("{VICTIM}CREATE TABLE \"t\" (\n    \"s\" TEXT DEFAULT 'a\0b'\n);\n"),
    );
    let error = p.fails(&["-q", "db", "migrate", "-m", "nul"], 5);
    assert!(
        error.contains("schema.sql:3:24: a NUL character (byte 0) is not SQL text"),
        "{error}"
    );
    assert!(p.revision_files().len() == 1, "{:?}", p.revision_files());
    let error = p.fails(&["-q", "db", "check"], 5);
    assert!(error.contains("schema.sql:3:24:"), "{error}");
}

/// Pieces that mean something to some SQL tokenizer.
const PIECES: &[&str] = &[
    "'", "''", "\\", "\\'", "\\\\", ";", "--", "/*", "*/", "\n", "\"", "`", "$$", "#", "x", " ",
    "é", "%", "_", "\t",
];

/// Literals with quotes, backslashes, `;`, comment starts and newlines, as defaults, in
/// a view and in checks, through migrate → revision file → split → parse → upgrade:
/// each is stored as declared, `check` finds nothing to migrate, and nothing else ran.
fn generated_literals_are_stored_exactly(db: Db) {
    let p = project_with_victim(db);
    // Few cases: each is a migrate and an upgrade on a real database; the in-process
    // property test in the library's tests covers many more strings.
    let mut runner = TestRunner::new(Config {
        cases: 4,
        max_shrink_iters: 16,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/cli_literals.txt",
        ))),
        ..Config::default()
    });
    let round = std::cell::Cell::new(0);
    runner
        .run(&prop::collection::vec(strings_of(PIECES), 3), |values| {
            round.set(round.get() + 1);
            let table = format!("t{}", round.get());
            p.write(
                "schema.sql",
                format!("{VICTIM}{}", literals_schema(&table, "victim", &values)),
            );
            p.ok(&["-q", "db", "migrate", "-m", &table]);
            // The previous case's table goes, with its row.
            p.ok(&["-q", "db", "upgrade", "--allow-data-loss"]);
            prop_assert_eq!(victim_rows(&p), "3");
            p.execute(&format!("INSERT INTO \"{table}\" (\"id\") VALUES (1)"));
            let row = &p.query(&format!("SELECT * FROM \"{table}\""))[0];
            prop_assert_eq!(&row[1..], &values[..]);
            let read = p.query(&format!("SELECT * FROM \"w{table}\""));
            prop_assert_eq!(read.len(), 3);
            prop_assert_eq!(&read[0], &values);
            // Each check refuses exactly the value its literal spells (with the `!`).
            for (i, value) in values.iter().enumerate() {
                let set = |end: &str| {
                    p.try_execute(&format!(
                        "UPDATE \"{table}\" SET \"s{i}\" = (SELECT CONCAT(\"v{i}\", '{end}') FROM \"w{table}\" LIMIT 1)"
                    ))
                };
                prop_assert!(set("!").is_err(), "s{} = {:?} || '!' was let through", i, value);
                prop_assert_eq!(set("?"), Ok(()));
            }
            p.ok(&["-q", "db", "check"]);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", db.name()));
}

on_each_database!(
    a_literal_never_ends_early_and_runs_as_sql,
    a_literal_in_a_data_statement_is_read_as_written,
    a_nul_in_a_literal_is_refused_where_it_is_written,
    generated_literals_are_stored_exactly,
);
