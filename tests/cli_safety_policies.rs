//! mb's safety policies on every database: the migration lock and its timeout, applied
//! revisions whose files changed (refused unless `--allow-changed`; `mb db rehash`), and
//! upgrades or downgrades that would lose data (refused unless `--allow-data-loss` or
//! `-- mb:allow-data-loss`).

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{Db, ServerConnection, TestProject, fails_after_progress};

// ----- the migration lock -----

/// A connection of the test that holds a project's migration lock until it is dropped,
/// as a crashed process's connection would.
enum LockHolder {
    Sqlite(rusqlite::Connection),
    Server(ServerConnection),
}

impl LockHolder {
    /// Closes the connection, as happens when the holder's process dies.
    fn release(self) {
        match self {
            LockHolder::Sqlite(conn) => conn.close().expect("close the connection"),
            LockHolder::Server(conn) => drop(conn),
        }
    }
}

/// Takes `p`'s migration lock the way mb does: SQLite's write lock, PostgreSQL's advisory
/// lock, MySQL's `GET_LOCK`, under the key mb uses for the version table (two versions
/// of mb must agree on it).
fn hold_migration_lock(p: &TestProject) -> LockHolder {
    let Some(server) = &p.server else {
        let conn = rusqlite::Connection::open(p.sqlite_path()).expect("open the database");
        conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
        return LockHolder::Sqlite(conn);
    };
    let key = |scope: &str| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("mb migration lock {scope}").as_bytes());
        i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
    };
    let mut conn = server.connect();
    let taken = match p.db {
        Db::Postgres => conn
            .query(&format!(
                "SELECT pg_try_advisory_lock({})",
                key("public.mb_version")
            ))
            .expect("pg_try_advisory_lock"),
        _ => conn
            .query(&format!(
                "SELECT GET_LOCK('mb_{:016x}', 0)",
                key(&format!("{}.mb_version", server.name))
            ))
            .expect("GET_LOCK"),
    };
    assert!(
        ["t", "1"].contains(&taken[0][0].as_str()),
        "lock taken: {taken:?}"
    );
    LockHolder::Server(conn)
}

/// The line mb prints before it waits for `p`'s lock, up to the holder's name.
fn waiting_line_start(p: &TestProject) -> String {
    format!("Waiting for another mb migrating {} (", p.location())
}

fn a_held_lock_fails_an_upgrade_after_its_lock_timeout_with_exit_7(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let holder = hold_migration_lock(&p);
    let (progress, message) =
        fails_after_progress(p.mb().args(["db", "upgrade", "--lock-timeout", "1"]), 7);
    let waiting = progress.last().expect("a waiting line");
    assert!(
        waiting.starts_with(&waiting_line_start(&p))
            && waiting.ends_with(" holds the migration lock; lock timeout 1 s)…"),
        "{progress:?}"
    );
    assert_eq!(
        message,
        format!(
            "another process held the migration lock on {} for more than 1 s; let it finish and run the command again, or wait longer with --lock-timeout SECONDS",
            p.location()
        )
    );
    holder.release();
    assert!(p.tables().is_empty(), "nothing ran");
    let upgrade = p.ok(&["db", "upgrade", "--lock-timeout", "1"]);
    assert!(!upgrade.stderr.contains("Waiting"), "{}", upgrade.stderr);
    assert_eq!(p.version_rows(), ["r1"]);
}

fn a_waiting_upgrade_goes_on_once_the_holder_is_gone(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let holder = hold_migration_lock(&p);
    let mut child = p
        .mb_process(".")
        .args(["db", "upgrade", "--lock-timeout", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mb");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = stderr.read_line(&mut line).expect("read stderr");
        assert!(read > 0, "mb ended without waiting: {seen}");
        seen.push_str(&line);
        if line.starts_with(&waiting_line_start(&p)) {
            assert!(line.ends_with("lock timeout 60 s)…\n"), "{line}");
            break;
        }
    }
    holder.release();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("read stderr");
    let status = child.wait().expect("wait for mb");
    assert!(status.success(), "{seen}{rest}");
    assert_eq!(p.version_rows(), ["r1"]);
    assert_eq!(p.tables(), ["t_r1"]);
}

#[test]
fn the_default_lock_timeout_is_60_seconds() {
    let p = TestProject::new();
    let help = p.ok(&["db", "upgrade", "--help"]).stdout;
    assert!(help.contains("[default: 60]"), "{help}");
}

crate::on_each_database!(
    a_held_lock_fails_an_upgrade_after_its_lock_timeout_with_exit_7,
    a_waiting_upgrade_goes_on_once_the_holder_is_gone,
);
