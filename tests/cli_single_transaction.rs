//! `--single-transaction`: every pending revision in one transaction, so an upgrade or
//! downgrade applies completely or not at all; refused where DDL commits by itself
//! (MySQL) and for revisions that must run outside a transaction.

mod common;

use common::{Db, TestProject, fails_after_progress};

const MYSQL_REFUSAL: &str = "--single-transaction needs DDL that can be rolled back, and MySQL commits each DDL statement by itself; run without it (each revision then records its progress so an interrupted one can be resumed)";

/// r1, r2 and r4 create a table each; r3 creates `t3`, then inserts into a table that
/// does not exist (line 11 of its file).
fn project_whose_third_revision_fails(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.chain(&["r1", "r2"]);
    p.write_revision(
        "r3",
        "r2",
        "three",
        "CREATE TABLE \"t3\" (\"id\" INTEGER);\nINSERT INTO \"t3\" VALUES (1);\n\nINSERT INTO \"missing\"\n    VALUES (1);\n",
        "DROP TABLE \"t3\";\n",
    );
    p.table_revision("r4", "r3");
    p
}

fn all_revisions_apply_in_one_transaction(db: Db) {
    let p = TestProject::on(db);
    p.chain(&["r1", "r2", "r3"]);
    if db == Db::Mysql {
        let message = p.fails(&["db", "upgrade", "--single-transaction"], 8);
        assert_eq!(message, MYSQL_REFUSAL);
        assert!(p.tables().is_empty());
        return;
    }
    let run = p.ok(&["db", "upgrade", "--single-transaction"]);
    assert_eq!(
        run.stderr_lines(),
        [
            p.using_line(true).as_str(),
            "Running upgrade <base> -> r1, create t_r1",
            "Running upgrade r1 -> r2, create t_r2",
            "Running upgrade r2 -> r3, create t_r3",
            "Upgraded 3 revisions; the database is at r3 (create t_r3).",
        ]
    );
    assert_eq!(p.tables(), ["t_r1", "t_r2", "t_r3"]);
    assert_eq!(p.version_rows(), ["r3"]);
    let upgrade = |id: &str| (id.to_string(), "upgrade".to_string());
    assert_eq!(
        p.history_ops(),
        [upgrade("r1"), upgrade("r2"), upgrade("r3")]
    );

    p.ok(&["db", "downgrade", "base", "--single-transaction"]);
    assert!(p.tables().is_empty());
    assert!(p.version_rows().is_empty());
}

fn a_failure_in_the_third_revision_rolls_back_all(db: Db) {
    let p = project_whose_third_revision_fails(db);
    if db == Db::Mysql {
        let message = p.fails(&["db", "upgrade", "--single-transaction"], 8);
        assert_eq!(message, MYSQL_REFUSAL);
        assert!(p.tables().is_empty());
        return;
    }
    let (progress, message) =
        fails_after_progress(p.mb().args(["db", "upgrade", "--single-transaction"]), 6);
    assert_eq!(
        message,
        format!(
            "migrations/versions/r3_three.sql:11: {}; the statement was: INSERT INTO \"missing\" VALUES (1); all 4 revisions were rolled back (--single-transaction), the database is still at base (no revision applied)",
            p.no_such_table("missing")
        )
    );
    assert_eq!(progress.last().unwrap(), "Running upgrade r2 -> r3, three");
    assert!(p.tables().is_empty());
    assert!(p.version_rows().is_empty());
    assert!(p.history_ops().is_empty());

    // Without the flag, the revisions before the failing one stay applied.
    fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(p.tables(), ["t_r1", "t_r2"]);
    assert_eq!(p.version_rows(), ["r2"]);
}

fn a_no_transaction_revision_is_refused(db: Db) {
    let p = TestProject::on(db);
    p.chain(&["r1"]);
    let file = p.table_revision("r2", "r1");
    p.write(
        &file,
        p.read(&file)
            .replace("-- migrate:up\n", "-- mb:no-transaction\n-- migrate:up\n"),
    );
    p.table_revision("r3", "r2");
    let message = p.fails(&["db", "upgrade", "--single-transaction"], 8);
    let expected = match db {
        Db::Mysql => MYSQL_REFUSAL.to_string(),
        _ => format!(
            "{file}: the revision is marked -- mb:no-transaction and cannot run inside one transaction with the others; run without --single-transaction, or up to the revision before it first"
        ),
    };
    assert_eq!(message, expected);
    match db {
        // Refused while planning, before the database file is made.
        Db::Sqlite => assert!(!p.exists("app.db")),
        _ => assert!(p.tables().is_empty()),
    }
}

/// The version rows are written after every revision's statements: across branches they
/// still end as the heads, with a history row for each revision in the order it ran.
fn branches_end_with_every_head_recorded(db: Db) {
    let p = TestProject::with_fork(db);
    let args = ["db", "upgrade", "heads", "--single-transaction"];
    if db == Db::Mysql {
        assert_eq!(p.fails(&args, 8), MYSQL_REFUSAL);
        assert!(p.tables().is_empty());
        return;
    }
    p.ok(&args);
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
    let ran: Vec<String> = p.history_ops().into_iter().map(|(id, _)| id).collect();
    assert_eq!(ran.len(), 3);
    assert_eq!(ran[0], "aaa111");
    assert_eq!(
        p.ok(&["db", "current"]).stdout,
        "bbb222 (head)\nccc333 (head)\n"
    );
}

on_each_database!(
    branches_end_with_every_head_recorded,
    all_revisions_apply_in_one_transaction,
    a_failure_in_the_third_revision_rolls_back_all,
    a_no_transaction_revision_is_refused,
);

/// `--sql --single-transaction` prints one transaction around every revision, with a
/// table rebuild's foreign-key switch outside it and its check before the commit.
#[test]
fn the_offline_script_has_one_transaction() {
    let p = TestProject::new();
    p.write_revision(
        "r1",
        "",
        "one",
        "CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY, \"n\" INTEGER);\n",
        "DROP TABLE \"a\";\n",
    );
    p.write_revision(
        "r2",
        "r1",
        "two",
        "ALTER TABLE \"a\" ALTER COLUMN \"n\" TYPE BIGINT;\n",
        "ALTER TABLE \"a\" ALTER COLUMN \"n\" TYPE INTEGER;\n",
    );
    let run = p.ok(&["db", "upgrade", "--sql", "--single-transaction"]);
    insta::assert_snapshot!(without_timestamps(&run.stdout));
    assert!(!p.exists("app.db"));

    let message = p.fails(
        &[
            "--database-url",
            "mysql://root@127.0.0.1:3306/x",
            "db",
            "upgrade",
            "--sql",
            "--single-transaction",
        ],
        8,
    );
    assert_eq!(message, MYSQL_REFUSAL);
}

/// The script with `<now>` for the time each history row records.
fn without_timestamps(script: &str) -> String {
    script
        .lines()
        .map(
            |line| match line.starts_with("INSERT INTO \"mb_history\"") {
                true => {
                    let mut parts: Vec<&str> = line.split('\'').collect();
                    parts[7] = "<now>";
                    parts.join("'")
                }
                false => line.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}
