//! Crash safety: `mb db upgrade` killed (SIGKILL) at every point where a crash could
//! leave the database half-way — after each statement, inside an SQLite table rebuild,
//! between the version-table update and the commit — leaves the database consistent, and
//! the next command completes the upgrade.
//!
//! mb's test-only hook `MB_TEST_PAUSE_AT=N` (src/runtime/crash_point.rs) makes it stop at
//! its Nth crash point and say so on stderr; the test kills it there with
//! `Child::kill`. On SQLite and PostgreSQL the database is then at a revision boundary
//! and its version table tells which; on MySQL, whose DDL commits as it runs,
//! `mb_progress` says how many statements of the interrupted revision ran.
//!
//! What the database should look like after the first n statements comes from a
//! reference project whose revisions hold one statement each, migrated by mb.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{Db, TestProject, fails_after_progress};

/// Three revisions; each INSERT has a fixed key, so a statement run twice would fail.
/// r2's new column with a CURRENT_TIMESTAMP default is a table rebuild on SQLite.
const REVISIONS: [(&str, &[&str], &str); 3] = [
    (
        "cr1",
        &[
            "CREATE TABLE \"item\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(20))",
            "INSERT INTO \"item\" (\"id\", \"name\") VALUES (1, 'one')",
            "CREATE INDEX \"ix_item_name\" ON \"item\" (\"name\")",
        ],
        "DROP TABLE \"item\";\n",
    ),
    (
        "cr2",
        &[
            "ALTER TABLE \"item\" ADD COLUMN \"created\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP",
            "INSERT INTO \"item\" (\"id\", \"name\") VALUES (2, 'two')",
        ],
        "DELETE FROM \"item\" WHERE \"id\" = 2;\nALTER TABLE \"item\" DROP COLUMN \"created\";\n",
    ),
    (
        "cr3",
        &[
            "CREATE TABLE \"tag\" (\"id\" INTEGER PRIMARY KEY, \"item_id\" INTEGER REFERENCES \"item\" (\"id\"))",
            "INSERT INTO \"tag\" (\"id\", \"item_id\") VALUES (1, 2)",
        ],
        "DROP TABLE \"tag\";\n",
    ),
];

fn body(statements: &[&str]) -> String {
    statements.iter().map(|s| format!("{s};\n")).collect()
}

/// A project on `db` with the three revisions.
fn crash_project(db: Db) -> TestProject {
    let p = TestProject::on(db);
    let mut parent = "";
    for (id, up, down) in REVISIONS {
        p.write_revision(id, parent, id, &body(up), down);
        parent = id;
    }
    p
}

/// The user's tables with their columns, indexes and row counts.
fn fingerprint(p: &TestProject) -> Vec<String> {
    p.tables()
        .into_iter()
        .map(|table| {
            let rows = p.scalar(&format!("SELECT COUNT(*) FROM \"{table}\""));
            format!(
                "{table}({}) indexes {:?} rows {rows}",
                p.columns(&table).join(", "),
                p.indexes(&table)
            )
        })
        .collect()
}

/// The fingerprint after the first n statements of the three revisions, for every n.
fn reference(db: Db) -> Vec<Vec<String>> {
    let p = TestProject::on(db);
    let mut parent = String::new();
    for (id, up, _) in REVISIONS {
        for (n, statement) in up.iter().enumerate() {
            let single = format!("{id}s{n}");
            p.write_revision(&single, &parent, &single, &format!("{statement};\n"), "");
            parent = single;
        }
    }
    let mut states = vec![Vec::new()];
    for _ in REVISIONS.iter().flat_map(|(_, up, _)| up.iter()) {
        p.ok(&["-q", "db", "upgrade", "+1"]);
        states.push(fingerprint(&p));
    }
    states
}

/// How many statements the revisions before revision `k` have.
fn statements_before(k: usize) -> usize {
    REVISIONS[..k].iter().map(|(_, up, _)| up.len()).sum()
}

/// Runs `mb db upgrade` until its crash point `point` and kills it there; returns the
/// point's description, or `None` when the upgrade finished before reaching it.
fn upgrade_killed_at(p: &TestProject, point: usize) -> Option<String> {
    let mut child = p
        .mb_process(".")
        .args(["db", "upgrade"])
        .env("MB_TEST_PAUSE_AT", point.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mb");
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.expect("read stderr");
        if let Some(place) = line.strip_prefix(&format!("mb-test-pause: {point} ")) {
            child.kill().expect("kill mb");
            child.wait().expect("wait for mb");
            return Some(place.to_string());
        }
        seen.push(line);
    }
    let status = child.wait().expect("wait for mb");
    assert!(
        status.success(),
        "upgrade failed: {status}\n{}",
        seen.join("\n")
    );
    None
}

fn crash_at_every_point(db: Db) {
    let states = reference(db);
    let final_state = states.last().unwrap().clone();
    let mut points = 0;
    let mut in_doubt = 0;
    for point in 1.. {
        let p = crash_project(db);
        let Some(place) = upgrade_killed_at(&p, point) else {
            assert_eq!(fingerprint(&p), final_state);
            break;
        };
        points += 1;
        let context = format!("{} killed at point {point} ({place})", db.name());
        if db == Db::Mysql {
            in_doubt += usize::from(check_and_resume_in_parts(&p, &states, &place, &context));
        } else {
            check_at_boundary(&p, &states, &context);
            p.ok(&["-q", "db", "upgrade"]);
        }
        assert_eq!(fingerprint(&p), final_state, "{context}: after recovery");
        assert_eq!(p.version_rows(), ["cr3"], "{context}: after recovery");
        let upgrades: Vec<String> = p
            .history_ops()
            .into_iter()
            .filter(|(_, op)| op == "upgrade" || op == "stamp")
            .map(|(revision, _)| revision)
            .collect();
        assert_eq!(
            upgrades,
            ["cr1", "cr2", "cr3"],
            "{context}: each revision once"
        );
    }
    // After each statement and before each commit, at least.
    let at_least = statements_before(REVISIONS.len()) + REVISIONS.len();
    assert!(points >= at_least, "only {points} crash points");
    if db == Db::Mysql {
        assert!(
            in_doubt > 0,
            "no kill fell between a DDL statement and its record"
        );
    }
}

/// How many of the revisions the version table records as applied.
fn revisions_applied(p: &TestProject, context: &str) -> usize {
    match p.version_rows().as_slice() {
        [] => 0,
        [id] => {
            1 + REVISIONS
                .iter()
                .position(|(r, _, _)| r == id)
                .expect("known")
        }
        more => panic!("{context}: version rows {more:?}"),
    }
}

/// SQLite and PostgreSQL: the version table names a revision boundary and the schema
/// and rows are exactly those of that revision.
fn check_at_boundary(p: &TestProject, states: &[Vec<String>], context: &str) {
    let applied = revisions_applied(p, context);
    assert_eq!(
        fingerprint(p),
        states[statements_before(applied)],
        "{context}: the database should be at revision boundary {applied}"
    );
}

/// MySQL: `mb_progress` says exactly how many statements of the interrupted revision
/// ran; mb refuses a plain upgrade with that account, and `--resume` (or finishing by
/// hand and `mb db resolve done`, when the interrupted DDL statement took effect
/// before mb could record it) completes the upgrade. Returns whether it was such a case.
fn check_and_resume_in_parts(
    p: &TestProject,
    states: &[Vec<String>],
    place: &str,
    context: &str,
) -> bool {
    let applied = revisions_applied(p, context);
    let progress =
        p.query("SELECT revision, statements_done, statements_total, error FROM mb_progress");
    let Some(row) = progress.first() else {
        assert_eq!(
            fingerprint(p),
            states[statements_before(applied)],
            "{context}: no progress row, so the database should be at a boundary"
        );
        p.ok(&["-q", "db", "upgrade"]);
        return false;
    };
    let (id, up, _) = REVISIONS[applied];
    assert_eq!(
        row[0], id,
        "{context}: the interrupted revision follows the applied one"
    );
    let done: usize = row[1].parse().unwrap();
    assert_eq!(row[2], up.len().to_string(), "{context}");
    assert_eq!(row[3], "NULL", "{context}: nothing failed, mb was killed");
    let base = statements_before(applied);
    let state = fingerprint(p);
    // A DDL statement commits by itself, so one killed right after it ran, before its
    // progress was recorded, took effect although mb_progress cannot say so.
    let ddl_in_doubt = place.starts_with("after ")
        && !place.starts_with("after INSERT")
        && done < up.len()
        && state == states[base + done + 1];
    if !ddl_in_doubt {
        assert_eq!(
            state,
            states[base + done],
            "{context}: {done} statements ran"
        );
    }

    let (_, refusal) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
    let ran = match done {
        0 => format!("stopped after 0 of {} statements", up.len()),
        1 => format!("stopped after statement 1 of {}", up.len()),
        n => format!("stopped after statements 1-{n} of {}", up.len()),
    };
    assert!(refusal.contains(&ran), "{context}: {refusal}");
    if done == up.len() {
        assert!(
            refusal.contains("all its statements ran"),
            "{context}: {refusal}"
        );
    } else {
        let next = format!("mb stopped while statement {} (line", done + 1);
        assert!(refusal.contains(&next), "{context}: {refusal}");
    }

    if ddl_in_doubt {
        for statement in &up[done + 1..] {
            p.execute(statement);
        }
        p.ok(&["-q", "db", "resolve", "done"]);
        p.ok(&["-q", "db", "upgrade"]);
    } else {
        p.ok(&["-q", "db", "upgrade", "--resume"]);
    }
    ddl_in_doubt
}

on_each_database!(crash_at_every_point);

/// MySQL: mb killed right after statement `point` ran (DDL, which commits by itself),
/// before it could record it: the statement is in doubt. Returns the project.
fn killed_in_doubt(test: &str, up: &str, point: usize, statement: &str) -> Option<TestProject> {
    if !Db::Mysql.available(test) {
        return None;
    }
    let p = TestProject::on(Db::Mysql);
    p.write_revision("d1", "", "d1", up, "DROP TABLE \"d1\";\n");
    let place = upgrade_killed_at(&p, point).expect("the crash point");
    assert!(place.starts_with(&format!("after {statement}")), "{place}");
    Some(p)
}

/// The progress record: revision, statements done, error.
fn progress_record(p: &TestProject) -> Vec<Vec<String>> {
    p.query("SELECT revision, statements_done, error FROM mb_progress")
}

/// A `CREATE TABLE` in doubt is settled from the catalog: the table exists, so
/// `--resume` counts it as run and goes on after it.
#[test]
fn an_in_doubt_create_table_is_settled_from_the_catalog() {
    let Some(p) = killed_in_doubt(
        "an_in_doubt_create_table_is_settled_from_the_catalog",
        "CREATE TABLE \"d1\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"d1\" (\"id\") VALUES (1);\n",
        1,
        "CREATE TABLE",
    ) else {
        return;
    };
    assert_eq!(p.tables(), ["d1"], "the DDL took effect");
    assert_eq!(progress_record(&p), [["d1", "0", "NULL"]]);
    let resumed = p.ok(&["db", "upgrade", "--resume"]);
    assert!(
        resumed.stderr.contains("Statement 1 (migrations/versions/d1_d1.sql:8) took effect before mb was stopped (table \"d1\" exists); going on after it."),
        "{}",
        resumed.stderr
    );
    assert_eq!(p.version_rows(), ["d1"]);
    assert_eq!(p.scalar("SELECT COUNT(*) FROM \"d1\""), "1");
    assert!(progress_record(&p).is_empty());
}

/// A statement in doubt that the catalog cannot settle (an index) stays in doubt:
/// `--resume` runs it again, which fails, and the progress record stays exactly as it
/// was (never "rolled back, still at base" while the change is there); `current` says
/// the revision is partly applied; finishing it by hand and `mb db resolve done`
/// settles it.
#[test]
fn an_in_doubt_statement_stays_in_doubt_until_resolved() {
    let Some(p) = killed_in_doubt(
        "an_in_doubt_statement_stays_in_doubt_until_resolved",
        "CREATE TABLE \"d1\" (\"id\" INTEGER PRIMARY KEY, \"v\" INTEGER);\nCREATE INDEX \"ix_d1_v\" ON \"d1\" (\"v\");\nINSERT INTO \"d1\" (\"id\") VALUES (1);\n",
        3,
        "CREATE INDEX",
    ) else {
        return;
    };
    assert_eq!(p.indexes("d1"), ["ix_d1_v"], "the DDL took effect");
    let in_doubt = [["d1", "1", "NULL"]];
    assert_eq!(progress_record(&p), in_doubt);

    let (_, resumed) = fails_after_progress(p.mb().args(["db", "upgrade", "--resume"]), 6);
    assert!(
        resumed.contains(
            "an earlier attempt was stopped while statement 2 ran, so it may have taken effect then"
        ),
        "{resumed}"
    );
    assert!(!resumed.contains("rolled back"), "{resumed}");
    assert_eq!(
        progress_record(&p),
        in_doubt,
        "the record is kept as it was"
    );
    let current = p.ok(&["db", "current"]);
    assert!(
        current
            .stderr
            .contains("revision d1 (d1) is partly applied"),
        "{}",
        current.stderr
    );
    let (_, refusal) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
    assert!(
        refusal.contains("mb stopped while statement 2"),
        "{refusal}"
    );

    p.execute("INSERT INTO \"d1\" (\"id\") VALUES (1)");
    p.ok(&["-q", "db", "resolve", "done"]);
    assert_eq!(p.version_rows(), ["d1"]);
    assert!(progress_record(&p).is_empty());
}
