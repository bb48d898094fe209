//! Concurrency: eight `mb db upgrade` processes started at once against one fresh
//! database, twenty rounds, on each database. The migration lock must serialize them:
//! every process succeeds, every revision runs exactly once (each one INSERTs a row with
//! a fixed key into a log table, so a second run would fail or show), and the schema
//! ends as the revisions build it.

mod common;

use std::process::{Output, Stdio};

use common::{Db, TestProject};

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
            .map(|_| {
                p.mb_process(".")
                    .args(["db", "upgrade"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start mb")
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().expect("wait for mb");
            assert!(
                output.status.success(),
                "{} round {round}: {}",
                db.name(),
                describe(&output)
            );
        }
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
