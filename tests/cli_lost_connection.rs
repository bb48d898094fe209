//! A connection the server ends while a revision runs (an administrator's
//! `pg_terminate_backend` or `KILL`, a failover): mb's error still names the revision
//! and the statement that ran, and says where the database was left — rolled back to the
//! last revision boundary by PostgreSQL, partly applied with its progress recorded on
//! MySQL — in one line, without a driver's debug text.

mod common;

use std::time::{Duration, Instant};

use common::{Db, TestProject, fails_after_progress};

/// The statement that keeps the revision running while the test ends its connection.
fn sleep_sql(db: Db) -> &'static str {
    match db {
        Db::Postgres => "SELECT pg_sleep(20)",
        _ => "SELECT SLEEP(20)",
    }
}

/// Ends, from another connection, the server connection that runs `sleep_sql`: waits
/// for it to show up and returns once it is gone.
fn end_the_sleeping_connection(p: &TestProject, db: Db) {
    let (find, end) = match db {
        Db::Postgres => (
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%' AND pid <> pg_backend_pid()",
            "SELECT pg_terminate_backend({})",
        ),
        _ => (
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%' AND ID <> CONNECTION_ID()",
            "KILL {}",
        ),
    };
    let started = Instant::now();
    loop {
        if let Some(row) = p.query(find).first() {
            p.execute(&end.replace("{}", &row[0]));
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the revision never ran its sleep"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn a_lost_connection_says_where_the_database_is(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("lc1", "");
    p.write_revision(
        "lc2",
        "lc1",
        "slow",
        &format!(
            "CREATE TABLE \"lc2\" (\"id\" INTEGER PRIMARY KEY);\n{};\nCREATE TABLE \"after\" (\"id\" INTEGER PRIMARY KEY);\n",
            sleep_sql(db)
        ),
        "DROP TABLE \"after\";\nDROP TABLE \"lc2\";\n",
    );
    p.ok(&["-q", "db", "upgrade", "lc1"]);
    let child = p.spawn(&["db", "upgrade"]);
    end_the_sleeping_connection(&p, db);
    let output = child.wait_with_output().expect("wait for mb");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(6), "{}: {stderr}", db.name());
    let last = stderr.lines().last().unwrap_or_default();
    let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
    assert_eq!(errors, 1, "{}: one error line: {stderr}", db.name());
    assert!(
        last.starts_with("error: migrations/versions/lc2_slow.sql:"),
        "{}: {last}",
        db.name()
    );
    assert!(
        last.contains(&format!("the statement was: {}", sleep_sql(db))),
        "{}: {last}",
        db.name()
    );
    for debug in ["IoError", "ioError", "DriverError", "{ ", "Error {"] {
        assert!(!last.contains(debug), "{}: {last}", db.name());
    }
    match db {
        Db::Postgres => {
            assert!(
                last.contains("revision lc2 was rolled back, the database is still at lc1"),
                "{last}"
            );
            assert_eq!(p.version_rows(), ["lc1"]);
            assert_eq!(p.tables(), ["t_lc1"]);
        }
        _ => {
            assert!(
                last.contains("revision lc2 is partly applied on top of lc1"),
                "{last}"
            );
            assert!(last.contains("mb db upgrade --resume"), "{last}");
            assert!(last.contains("mb db resolve"), "{last}");
            // Statement 1 ran and was recorded; the sleep is in doubt.
            assert_eq!(
                p.query("SELECT revision, statements_done FROM mb_progress"),
                [["lc2", "1"]]
            );
            let (_, refusal) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
            assert!(
                refusal.contains("stopped after statement 1 of 3"),
                "{refusal}"
            );
        }
    }
}

on_each_server!(a_lost_connection_says_where_the_database_is);
