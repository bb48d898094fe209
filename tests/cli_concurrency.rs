//! Concurrency: eight `mb db upgrade` processes started at once against one fresh
//! database, twenty rounds, on each database. The migration lock must serialize them:
//! every process succeeds, every revision runs exactly once (each one INSERTs a row with
//! a fixed key into a log table, so a second run would fail or show), and the schema
//! ends as the revisions build it.
//!
//! And commands that race: each plans, checks and runs under the lock from the database
//! as it finds it there, as if they had run one after another — a refusal is never
//! skipped because another process moved the database while this one waited.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Output};
use std::thread::JoinHandle;

use common::{Db, TestProject, fails_after_progress};

const PROCESSES: usize = 8;
const ROUNDS: usize = 20;
const IDS: [&str; 3] = ["cc1", "cc2", "cc3"];

/// A fresh database with a log table revision and one small revision per id that
/// creates a table and logs itself.
fn concurrency_project(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write_revision(
        "cc0",
        "",
        "log",
        "CREATE TABLE \"applied\" (\"revision\" VARCHAR(8) PRIMARY KEY);\n",
        "DROP TABLE \"applied\";\n",
    );
    let mut parent = "cc0";
    for id in IDS {
        p.write_revision(
            id,
            parent,
            id,
            &format!(
                "CREATE TABLE \"t_{id}\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"applied\" (\"revision\") VALUES ('{id}');\n"
            ),
            &format!("DROP TABLE \"t_{id}\";\nDELETE FROM \"applied\" WHERE \"revision\" = '{id}';\n"),
        );
        parent = id;
    }
    p
}

fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn eight_upgrades_at_once(db: Db) {
    for round in 0..ROUNDS {
        let p = concurrency_project(db);
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| p.spawn(&["db", "upgrade"]))
            .collect();
        let mut running = 0;
        for child in children {
            let output = child.wait_with_output().expect("wait for mb");
            assert!(
                output.status.success(),
                "{} round {round}: {}",
                db.name(),
                describe(&output)
            );
            running += String::from_utf8_lossy(&output.stderr)
                .matches("Running upgrade")
                .count();
        }
        // A process that waited for the lock says nothing about revisions another ran.
        assert_eq!(
            running,
            1 + IDS.len(),
            "{} round {round}: Running lines",
            db.name()
        );
        let mut upgraded: Vec<String> = p
            .history_ops()
            .into_iter()
            .filter(|(_, op)| op == "upgrade")
            .map(|(revision, _)| revision)
            .collect();
        upgraded.sort();
        assert_eq!(
            upgraded,
            ["cc0", "cc1", "cc2", "cc3"],
            "{} round {round}",
            db.name()
        );
        assert_eq!(
            p.first_column("SELECT \"revision\" FROM \"applied\" ORDER BY \"revision\""),
            IDS,
            "{} round {round}",
            db.name()
        );
        assert_eq!(p.version_rows(), ["cc3"], "{} round {round}", db.name());
        assert_eq!(
            p.tables(),
            ["applied", "t_cc1", "t_cc2", "t_cc3"],
            "{} round {round}",
            db.name()
        );
    }
}

on_each_database!(eight_upgrades_at_once);

/// A statement that keeps the database busy for about `seconds` inside a revision.
/// SQLite has no sleep: it counts instead.
fn sleep_sql(db: Db, seconds: u32) -> String {
    match db {
        Db::Postgres => format!("SELECT pg_sleep({seconds});\n"),
        Db::Mysql => format!("SELECT SLEEP({seconds});\n"),
        Db::Sqlite => format!(
            "WITH RECURSIVE \"n\"(\"x\") AS (SELECT 1 UNION ALL SELECT \"x\" + 1 FROM \"n\" WHERE \"x\" < {}) SELECT COUNT(*) FROM \"n\";\n",
            seconds * 10_000_000
        ),
    }
}

/// An `mb` process started in the background; its stderr is read as it comes.
struct Background {
    child: Child,
    stderr: JoinHandle<String>,
}

impl Background {
    /// Starts `mb ARGS` and returns once a line of its stderr contains `line` (it has
    /// got that far).
    fn start(p: &TestProject, args: &[&str], line: &str) -> Background {
        let mut child = p.spawn(args);
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut seen = String::new();
        while !seen.lines().any(|l| l.contains(line)) {
            let mut next = String::new();
            let read = stderr.read_line(&mut next).expect("read stderr");
            assert!(
                read > 0,
                "mb {args:?} ended before saying {line:?}:\n{seen}"
            );
            seen.push_str(&next);
        }
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            stderr.read_to_string(&mut rest).expect("read stderr");
            seen + &rest
        });
        Background { child, stderr }
    }

    /// Waits for the process; its exit code and all it said on stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().expect("wait for mb");
        (status.code(), self.stderr.join().expect("stderr reader"))
    }
}

/// a1 creates "legacy", a2 drops it (when it is empty nothing is lost), a2's down
/// recreates it with 2 rows (slowly), a3 adds an unrelated table.
fn legacy_project(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write_revision(
        "a1",
        "",
        "legacy",
        "CREATE TABLE \"legacy\" (\"id\" INTEGER PRIMARY KEY);\n",
        "DROP TABLE \"legacy\";\n",
    );
    p.write_revision(
        "a2",
        "a1",
        "drop legacy",
        "DROP TABLE \"legacy\";\n",
        &format!(
            "CREATE TABLE \"legacy\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"legacy\" (\"id\") VALUES (1), (2);\n{}",
            sleep_sql(db, 2)
        ),
    );
    p.write_revision(
        "a3",
        "a2",
        "other",
        "CREATE TABLE \"other\" (\"id\" INTEGER PRIMARY KEY);\n",
        "DROP TABLE \"other\";\n",
    );
    p.ok(&["-q", "db", "upgrade", "a2"]);
    p
}

/// An upgrade that waited for a downgrade's lock plans again from where the downgrade
/// left the database, and its data-loss check counts what is there then: it refuses to
/// drop the rows the downgrade put back, exactly as it does when run alone afterwards.
fn a_refusal_holds_for_a_process_that_waited_for_the_lock(db: Db) {
    let p = legacy_project(db);
    let downgrade = Background::start(&p, &["db", "downgrade", "a1"], "Running downgrade");
    let upgrade = p.mb().args(["db", "upgrade"]).output().expect("run mb");
    let (code, stderr) = downgrade.finish();
    assert_eq!(code, Some(0), "{} downgrade: {stderr}", db.name());
    let said = describe(&upgrade);
    assert_eq!(upgrade.status.code(), Some(8), "{}: {said}", db.name());
    assert!(
        said.contains("drops table \"legacy\", which holds 2 rows"),
        "{}: {said}",
        db.name()
    );
    assert_eq!(p.scalar("SELECT COUNT(*) FROM \"legacy\""), "2");
    assert_eq!(p.version_rows(), ["a1"], "{}", db.name());
    // Alone, the same upgrade refuses the same way.
    let (_, alone) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
    assert!(alone.contains("would lose the data above"), "{alone}");
}

/// A downgrade that waited while another process made the same downgrade finds the
/// database at its target, says so, and counts nothing in a table that changed under it.
fn a_downgrade_that_waited_plans_from_where_the_other_left_it(db: Db) {
    let p = TestProject::on(db);
    p.write_revision(
        "b1",
        "",
        "t",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"t\" (\"id\") VALUES (1);\n",
        "-- mb:allow-data-loss\nDROP TABLE \"t\";\n",
    );
    p.write_revision(
        "b2",
        "b1",
        "c",
        "ALTER TABLE \"t\" ADD COLUMN \"c\" INTEGER;\n",
        &format!("{}ALTER TABLE \"t\" DROP COLUMN \"c\";\n", sleep_sql(db, 2)),
    );
    p.ok(&["-q", "db", "upgrade"]);
    let first = Background::start(&p, &["db", "downgrade", "b1"], "Running downgrade");
    let second = p
        .mb()
        .args(["db", "downgrade", "b1"])
        .output()
        .expect("run mb");
    let (code, stderr) = first.finish();
    assert_eq!(code, Some(0), "{} first downgrade: {stderr}", db.name());
    let said = describe(&second);
    assert_eq!(second.status.code(), Some(0), "{}: {said}", db.name());
    assert!(
        said.contains("Another process migrated the database (from b2 (c) to b1 (t))")
            || said.contains("Nothing to downgrade"),
        "{}: {said}",
        db.name()
    );
    assert!(!said.contains("Running downgrade"), "{}: {said}", db.name());
    assert_eq!(p.version_rows(), ["b1"], "{}", db.name());
    let downgrades = p
        .history_ops()
        .into_iter()
        .filter(|(_, op)| op == "downgrade")
        .count();
    assert_eq!(downgrades, 1, "{}", db.name());
}

/// `+1` is resolved under the lock: eight `mb db upgrade +1` at once apply one revision
/// each, eight in all, one after another.
fn concurrent_plus_one_upgrades_apply_one_each(db: Db) {
    let p = TestProject::on(db);
    let ids: Vec<String> = (1..=PROCESSES).map(|i| format!("p{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    p.chain(&ids);
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| p.spawn(&["db", "upgrade", "+1"]))
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait for mb");
        let said = describe(&output);
        assert!(output.status.success(), "{}: {said}", db.name());
        assert_eq!(
            said.matches("Running upgrade").count(),
            1,
            "{}: each applies one: {said}",
            db.name()
        );
    }
    let upgraded: Vec<String> = p
        .history_ops()
        .into_iter()
        .filter(|(_, op)| op == "upgrade")
        .map(|(revision, _)| revision)
        .collect();
    assert_eq!(upgraded, ids, "{}", db.name());
    assert_eq!(p.version_rows(), [ids[PROCESSES - 1]], "{}", db.name());
}

on_each_database!(
    a_refusal_holds_for_a_process_that_waited_for_the_lock,
    a_downgrade_that_waited_plans_from_where_the_other_left_it,
    concurrent_plus_one_upgrades_apply_one_each,
);
