//! Transaction control in a revision (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`,
//! `SET autocommit`, …) would end or split the transaction mb runs the revision in, and
//! with it mb's record of the revision: it is refused wherever a revision is read for
//! running or checking, before anything runs. The `BEGIN … END` of a trigger, function
//! or procedure body is not transaction control and runs.

mod common;

use common::{Db, TestProject};

/// Statements that start, end or split a transaction on one database or another.
const TRANSACTION_CONTROL: &[&str] = &[
    "BEGIN",
    "begin transaction",
    "START TRANSACTION",
    "COMMIT",
    "END",
    "ROLLBACK",
    "SAVEPOINT s1",
    "RELEASE SAVEPOINT s1",
    "ROLLBACK TO SAVEPOINT s1",
    "SET autocommit = 1",
    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
];

/// mb's refusal of `statement` at `line` of `file`.
fn refusal(file: &str, line: usize, statement: &str) -> String {
    format!(
        "{file}:{line}: `{statement}` controls the transaction, which mb does itself: it runs each revision in a transaction of its own and records the revision in it (on MySQL/MariaDB, whose DDL commits by itself, statement by statement); remove the statement, and give a revision whose statements cannot run inside a transaction (CREATE INDEX CONCURRENTLY, VACUUM) the line '-- mb:no-transaction' in its header"
    )
}

fn transaction_control_in_a_revision_is_refused_before_anything_runs(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("a1", "");
    p.ok(&["db", "upgrade"]);
    for statement in TRANSACTION_CONTROL {
        // Without the refusal: on PostgreSQL `ROLLBACK` undid "t2" and the upgrade went
        // on to exit 0; on SQLite `COMMIT` kept "t2" and the version row of a failing
        // revision.
        let file = p.write_revision(
            "b2",
            "a1",
            "tx",
            &format!(
                "CREATE TABLE \"t2\" (\"id\" INTEGER PRIMARY KEY);\n{statement};\nCREATE TABLE \"t3\" (\"id\" INTEGER PRIMARY KEY);\nSELECT * FROM \"no_such_table\";\n"
            ),
            "DROP TABLE \"t3\";\nDROP TABLE \"t2\";\n",
        );
        let expected = refusal(&file, 9, statement);
        for verb in [
            &["db", "upgrade"][..],
            &["db", "upgrade", "--sql"],
            &["db", "upgrade", "--sql", "a1:head"],
            &["db", "check", "--offline"],
        ] {
            assert_eq!(p.fails(verb, 4), expected, "{verb:?}");
        }
        assert_eq!(p.tables(), ["t_a1"], "after {statement}");
        assert_eq!(p.version_rows(), ["a1"], "after {statement}");
    }

    // `migrate` reads every revision to know the schema they build.
    p.ok(&["db", "stamp", "head"]);
    p.write(
        "schema.sql",
        "CREATE TABLE \"t4\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    let file = "migrations/versions/b2_tx.sql";
    assert_eq!(
        p.fails(&["db", "migrate", "-m", "more"], 4),
        refusal(file, 9, TRANSACTION_CONTROL[TRANSACTION_CONTROL.len() - 1])
    );
    assert_eq!(p.revision_files().len(), 2, "no revision was written");

    // A revision that runs outside a transaction may not make one either.
    p.write(
        file,
        "-- tx\n--\n-- Revision ID: b2\n-- Revises: a1\n-- mb:no-transaction\n-- migrate:up\nCREATE INDEX \"ix\" ON \"t_a1\" (\"id\");\nBEGIN;\nCOMMIT;\n-- migrate:down\nDROP INDEX \"ix\";\n",
    );
    assert_eq!(
        p.fails(&["db", "check", "--offline"], 4),
        refusal(file, 8, "BEGIN")
    );
}
on_each_database!(transaction_control_in_a_revision_is_refused_before_anything_runs);

/// The bodies of triggers, functions and procedures hold `BEGIN … END` and may hold
/// `COMMIT`: they are part of a `CREATE` statement, which runs.
fn bodies_that_say_begin_and_commit_run(db: Db) {
    let p = TestProject::on(db);
    let (up, down) = match db {
        Db::Sqlite => (
            "CREATE TABLE \"log\" (\"msg\" TEXT);\nCREATE TRIGGER \"log_insert\" AFTER INSERT ON \"log\" WHEN NEW.\"msg\" = 'begin'\nBEGIN\n  INSERT INTO \"log\" (\"msg\") VALUES ('commit');\nEND;\nINSERT INTO \"log\" (\"msg\") VALUES ('begin');\n",
            "DROP TRIGGER \"log_insert\";\n-- mb:allow-data-loss\nDROP TABLE \"log\";\n",
        ),
        Db::Postgres => (
            "CREATE TABLE \"log\" (\"msg\" TEXT);\nCREATE PROCEDURE \"note\"() LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO \"log\" (\"msg\") VALUES ('begin');\n  COMMIT;\nEND\n$$;\nDO $$\nBEGIN\n  INSERT INTO \"log\" (\"msg\") VALUES ('begin'), ('commit');\nEND\n$$;\n",
            "DROP PROCEDURE \"note\";\n-- mb:allow-data-loss\nDROP TABLE \"log\";\n",
        ),
        Db::Mysql => (
            "CREATE TABLE \"log\" (\"msg\" TEXT);\nCREATE PROCEDURE note()\nBEGIN\n  START TRANSACTION;\n  INSERT INTO log (msg) VALUES ('begin');\n  COMMIT;\nEND;\nINSERT INTO \"log\" (\"msg\") VALUES ('begin'), ('commit');\n",
            "DROP PROCEDURE note;\n-- mb:allow-data-loss\nDROP TABLE \"log\";\n",
        ),
    };
    p.write_revision("a1", "", "bodies", up, down);
    p.write("schema.sql", "CREATE TABLE \"log\" (\"msg\" TEXT);\n");
    p.ok(&["db", "upgrade", "--sql"]);
    p.ok(&["db", "check", "--offline"]);
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["a1"]);
    assert_eq!(
        p.first_column("SELECT \"msg\" FROM \"log\" ORDER BY \"msg\""),
        ["begin", "commit"]
    );
    p.ok(&["db", "downgrade", "base"]);
    assert!(p.tables().is_empty(), "{:?}", p.tables());
}
on_each_database!(bodies_that_say_begin_and_commit_run);
