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

/// Where `p`'s database is, for a process that takes its lock: the SQLite file or the
/// server URL.
fn lock_target(p: &TestProject) -> String {
    match &p.server {
        None => p.sqlite_path().display().to_string(),
        Some(server) => server.url.clone(),
    }
}

/// Takes `p`'s migration lock the way mb does.
fn hold_migration_lock(p: &TestProject) -> LockHolder {
    hold_lock_on(p.db, &lock_target(p))
}

/// Takes the migration lock of the database at `target` (see [`lock_target`]) the way mb
/// does: SQLite's write lock, PostgreSQL's advisory lock, MySQL's `GET_LOCK`, under the
/// key mb uses for the version table (two versions of mb must agree on it).
fn hold_lock_on(db: Db, target: &str) -> LockHolder {
    if db == Db::Sqlite {
        let conn = rusqlite::Connection::open(target).expect("open the database");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        return LockHolder::Sqlite(conn);
    }
    let key = |scope: &str| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(format!("mb migration lock {scope}").as_bytes());
        i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
    };
    let mut conn = ServerConnection::open(db, target).expect("connect to the server");
    let taken = match db {
        Db::Postgres => conn
            .query(&format!(
                "SELECT pg_try_advisory_lock({})",
                key("public.mb_version")
            ))
            .expect("pg_try_advisory_lock"),
        _ => {
            let url = url::Url::parse(target).expect("a server URL");
            let database = url.path().trim_start_matches('/');
            conn.query(&format!(
                "SELECT GET_LOCK('mb_{:016x}', 0)",
                key(&format!("{database}.mb_version"))
            ))
            .expect("GET_LOCK")
        }
    };
    assert!(
        ["t", "1"].contains(&taken[0][0].as_str()),
        "lock taken: {taken:?}"
    );
    LockHolder::Server(conn)
}

/// Run as a child process by [`a_lock_dies_with_the_process_holding_it`]: takes the lock
/// of the database its environment names and holds it until killed.
#[test]
#[ignore = "a child process of a_lock_dies_with_the_process_holding_it"]
fn hold_the_lock_until_killed() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let db = match var("MB_TEST_LOCK_DB").as_str() {
        "sqlite" => Db::Sqlite,
        "postgres" => Db::Postgres,
        _ => Db::Mysql,
    };
    let _holder = hold_lock_on(db, &var("MB_TEST_LOCK_TARGET"));
    println!("holding the lock");
    std::thread::sleep(std::time::Duration::from_secs(300));
}

fn a_lock_dies_with_the_process_holding_it(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let mut holder = std::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--ignored",
            "--exact",
            "hold_the_lock_until_killed",
            "--nocapture",
        ])
        .env(
            "MB_TEST_LOCK_DB",
            match db {
                Db::Sqlite => "sqlite",
                Db::Postgres => "postgres",
                Db::Mysql => "mysql",
            },
        )
        .env("MB_TEST_LOCK_TARGET", lock_target(&p))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the holding process");
    let stdout = BufReader::new(holder.stdout.take().expect("stdout"));
    let held = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("holding the lock"));
    assert!(held, "the holding process did not take the lock");
    fails_after_progress(p.mb().args(["db", "upgrade", "--lock-timeout", "1"]), 7);
    // The holder dies without letting go: its connection (or file lock) goes with it.
    holder.kill().expect("kill the holding process");
    holder.wait().expect("reap the holding process");
    p.ok(&["db", "upgrade", "--lock-timeout", "20"]);
    assert_eq!(p.version_rows(), ["r1"]);
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
    a_lock_dies_with_the_process_holding_it,
    a_waiting_upgrade_goes_on_once_the_holder_is_gone,
);

// ----- applied revisions whose files changed -----

/// A project on `db` with `r1` and `r2` applied and `r1`'s file edited since.
fn project_with_an_edited_revision(db: Db) -> (TestProject, String) {
    let p = TestProject::on(db);
    let r1 = p.table_revision("r1", "");
    p.table_revision("r2", "r1");
    p.table_revision("r3", "r2");
    p.ok(&["db", "upgrade", "r2"]);
    p.write(&r1, p.read(&r1).replace("VALUES (1);", "VALUES (7);"));
    (p, r1)
}

fn a_changed_applied_revision_stops_upgrade_and_downgrade_with_exit_8(db: Db) {
    let (p, r1) = project_with_an_edited_revision(db);
    let refusal = format!(
        "{r1} changed since revision r1 was applied, so the database ran other SQL than the file now holds; restore the file, or if the edit is deliberate and the database already matches it, record the new text with `mb db rehash r1`; --allow-changed runs anyway"
    );
    assert_eq!(p.refused(&["db", "upgrade"]), (vec![], refusal.clone()));
    assert_eq!(p.refused(&["db", "downgrade"]), (vec![], refusal));
    assert_eq!(p.version_rows(), ["r2"], "nothing ran");
    assert_eq!(p.tables(), ["t_r1", "t_r2"]);
    assert_eq!(p.history_ops().len(), 2);

    // Two changed files are named together.
    let r2 = "migrations/versions/r2_create_t_r2.sql";
    p.write(r2, p.read(r2).replace("VALUES (1);", "VALUES (8);"));
    assert_eq!(
        p.refused(&["db", "upgrade"]).1,
        format!(
            "{r1}, {r2} changed since revisions r1, r2 were applied, so the database ran other SQL than the files now hold; restore the files, or if the edit is deliberate and the database already matches it, record the new text with `mb db rehash r1 r2`; --allow-changed runs anyway"
        )
    );
}

fn an_upgrade_with_nothing_to_run_does_not_check_the_files(db: Db) {
    let (p, r1) = project_with_an_edited_revision(db);
    let run = p.ok(&["db", "upgrade", "r2"]);
    assert!(
        run.stderr
            .contains("Nothing to upgrade: the database is at r2"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    // Going further still refuses.
    assert!(p.refused(&["db", "upgrade"]).1.starts_with(&r1));
}

fn allow_changed_warns_and_goes_on(db: Db) {
    let (p, r1) = project_with_an_edited_revision(db);
    let run = p.ok(&["db", "upgrade", "--allow-changed"]);
    assert_eq!(
        run.stderr_lines()[1],
        format!(
            "warning: {r1} was edited after revision r1 was applied; the database ran the earlier text"
        )
    );
    assert_eq!(p.version_rows(), ["r3"]);
}

fn rehash_records_the_new_text_and_upgrade_goes_on(db: Db) {
    let (p, r1) = project_with_an_edited_revision(db);
    let rehash = p.ok(&["db", "rehash"]);
    assert_eq!(
        rehash.stderr_lines().last().copied(),
        Some(
            format!("Recorded the current text of {r1} as what revision r1 ran; no SQL was run.")
                .as_str()
        ),
        "{}",
        rehash.stderr
    );
    let last = p.history_rows().pop().expect("a history row");
    assert_eq!(
        (last.revision.as_str(), last.operation.as_str()),
        ("r1", "rehash")
    );
    assert_eq!(last.checksum, common::sha256_hex(&p.read(&r1)));
    assert_eq!(p.tables(), ["t_r1", "t_r2"], "rehash runs no SQL");
    let current = p.ok(&["db", "current", "-v"]);
    assert!(!current.stderr.contains("warning"), "{}", current.stderr);
    assert!(
        current.stdout.contains(" by upgrade in "),
        "when and how it ran stay: {}",
        current.stdout
    );

    // Nothing left to rehash; a named revision that is unchanged records nothing.
    let again = p.ok(&["db", "rehash", "r1"]);
    assert!(
        again.stderr.contains("Nothing to rehash"),
        "{}",
        again.stderr
    );
    assert_eq!(p.history_ops().len(), 3);

    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["r3"]);
}

fn rehash_names_only_applied_revisions(db: Db) {
    let (p, _) = project_with_an_edited_revision(db);
    assert_eq!(
        p.fails(&["db", "rehash", "r3"], 4),
        "revision r3 is not applied to the database; rehash records the text of applied revisions only"
    );
    assert_eq!(p.history_ops().len(), 2);
}

#[test]
fn rehash_without_a_database_creates_none() {
    let p = TestProject::with_chain(Db::Sqlite, &["r1"]);
    let run = p.ok(&["db", "rehash"]);
    assert!(run.stderr.contains("Nothing to rehash"), "{}", run.stderr);
    assert!(!p.exists("app.db"));
}

fn a_deleted_applied_revision_stops_upgrade_with_exit_8(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let r2 = p.table_revision("r2", "r1");
    p.ok(&["db", "upgrade"]);
    std::fs::remove_file(p.path(&r2)).expect("delete the file");
    p.table_revision("r3", "r1");
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
    assert_eq!(
        message,
        "the database is at revision r2, which is not in the migrations; restore its file, or record where the database really is with `mb db stamp --purge REV`"
    );
    assert_eq!(p.version_rows(), ["r2"]);
    assert_eq!(p.tables(), ["t_r1", "t_r2"]);
}

crate::on_each_database!(
    a_changed_applied_revision_stops_upgrade_and_downgrade_with_exit_8,
    an_upgrade_with_nothing_to_run_does_not_check_the_files,
    allow_changed_warns_and_goes_on,
    rehash_records_the_new_text_and_upgrade_goes_on,
    rehash_names_only_applied_revisions,
    a_deleted_applied_revision_stops_upgrade_with_exit_8,
);

// ----- upgrades and downgrades that would lose data -----

/// `r1` creates table `t` (`id`, `note TEXT`) holding `rows` rows whose notes are `notes`
/// (NULL when `None`); it is applied, and `r2`, revising it, does `up` and `down`.
/// Returns the project and `r2`'s path.
fn project_with_rows(
    db: Db,
    notes: &[Option<&str>],
    up: &str,
    down: &str,
) -> (TestProject, String) {
    let p = TestProject::on(db);
    p.write_revision(
        "r1",
        "",
        "create t",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"note\" TEXT);\n",
        "-- mb:allow-data-loss\nDROP TABLE \"t\";\n",
    );
    p.ok(&["db", "upgrade"]);
    for (i, note) in notes.iter().enumerate() {
        let value = note.map_or("NULL".to_string(), |n| format!("'{n}'"));
        p.execute(&format!(
            "INSERT INTO \"t\" (\"id\", \"note\") VALUES ({}, {value})",
            i + 1
        ));
    }
    let r2 = p.write_revision("r2", "r1", "change t", up, down);
    (p, r2)
}

const DROP_T: &str = "DROP TABLE \"t\";\n";
const RECREATE_T: &str = "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"note\" TEXT);\n";

/// Asserts that the upgrade (or downgrade) `args` was refused with `findings` and
/// nothing ran: the version table, the history and `t`'s rows are as before.
fn assert_refused(p: &TestProject, args: &[&str], findings: &[String], section: &str) {
    let history = p.history_ops();
    let rows = p.scalar("SELECT COUNT(*) FROM \"t\"");
    let versions = p.version_rows();
    let (progress, message) = p.refused(args);
    assert_eq!(progress, findings, "{message}");
    let verb = args[1];
    assert_eq!(
        message,
        format!(
            "the {verb} would lose the data above ({} finding{}), so nothing was run; if the loss is intended, add the line '-- mb:allow-data-loss' to {section}, or run again with --allow-data-loss",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" }
        )
    );
    assert_eq!(p.history_ops(), history);
    assert_eq!(p.version_rows(), versions);
    assert_eq!(p.scalar("SELECT COUNT(*) FROM \"t\""), rows);
    assert_eq!(p.columns("t"), ["id", "note"]);
}

fn dropping_a_table_with_rows_is_refused_unless_allowed(db: Db) {
    let (p, r2) = project_with_rows(db, &[Some("a"), None, Some("c")], DROP_T, RECREATE_T);
    assert_refused(
        &p,
        &["db", "upgrade"],
        &[format!("{r2}:8: drops table \"t\", which holds 3 rows")],
        &format!("the up section of {r2}"),
    );
    let run = p.ok(&["db", "upgrade", "--allow-data-loss"]);
    assert_eq!(
        run.stderr_lines()[1],
        format!(
            "warning: {r2}:8: drops table \"t\", which holds 3 rows (allowed by --allow-data-loss)"
        )
    );
    assert_eq!(p.version_rows(), ["r2"]);
    assert!(p.tables().is_empty());
}

fn the_marker_in_the_section_allows_the_loss(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[Some("a")],
        &format!("-- mb:allow-data-loss\n{DROP_T}"),
        RECREATE_T,
    );
    // The author's word needs no warning; -v tells what it let go.
    let run = p.ok(&["db", "upgrade", "-v"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(
        run.stderr_lines().contains(
            &format!(
                "{r2}:9: drops table \"t\", which holds 1 row (allowed by -- mb:allow-data-loss)"
            )
            .as_str()
        ),
        "{}",
        run.stderr
    );
    assert!(p.tables().is_empty());
}

fn the_marker_in_the_header_allows_the_loss(db: Db) {
    let (p, r2) = project_with_rows(db, &[Some("a")], DROP_T, RECREATE_T);
    p.write(
        &r2,
        p.read(&r2).replace(
            "--\n-- migrate:up",
            "-- mb:allow-data-loss\n--\n-- migrate:up",
        ),
    );
    p.ok(&["db", "upgrade"]);
    assert!(p.tables().is_empty());
}

fn an_empty_table_or_column_goes_without_a_word(db: Db) {
    let (p, _) = project_with_rows(
        db,
        &[None, None],
        "ALTER TABLE \"t\" DROP COLUMN \"note\";\n",
        "ALTER TABLE \"t\" ADD COLUMN \"note\" TEXT;\n",
    );
    let run = p.ok(&["db", "upgrade"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(p.columns("t"), ["id"]);
    p.execute("DELETE FROM \"t\"");
    p.write_revision(
        "r3",
        "r2",
        "drop t",
        DROP_T,
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    let run = p.ok(&["db", "upgrade"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert!(p.tables().is_empty());
}

fn dropping_a_column_with_values_is_refused(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[Some("a"), None, Some("c")],
        "ALTER TABLE \"t\" DROP COLUMN \"note\";\n",
        "ALTER TABLE \"t\" ADD COLUMN \"note\" TEXT;\n",
    );
    assert_refused(
        &p,
        &["db", "upgrade"],
        &[format!(
            "{r2}:8: drops column \"t\".\"note\", which holds 2 non-NULL values"
        )],
        &format!("the up section of {r2}"),
    );
}

fn narrowing_a_column_is_refused_when_values_do_not_fit(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[Some("short"), Some("much too long"), None],
        "ALTER TABLE \"t\" ALTER COLUMN \"note\" TYPE VARCHAR(10);\n",
        "ALTER TABLE \"t\" ALTER COLUMN \"note\" TYPE TEXT;\n",
    );
    assert_refused(
        &p,
        &["db", "upgrade"],
        &[format!(
            "{r2}:8: changes \"t\".\"note\" from TEXT to VARCHAR(10), and 1 value is longer than 10 characters"
        )],
        &format!("the up section of {r2}"),
    );
    // Once every value fits, nothing is lost.
    p.execute("UPDATE \"t\" SET \"note\" = 'now short' WHERE \"id\" = 2");
    let run = p.ok(&["db", "upgrade"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(p.version_rows(), ["r2"]);
    // Widening back loses nothing.
    let run = p.ok(&["db", "downgrade"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(
        p.scalar("SELECT \"note\" FROM \"t\" WHERE \"id\" = 1"),
        "short"
    );
}

fn narrowing_an_integer_counts_values_out_of_range(db: Db) {
    let p = TestProject::on(db);
    p.write_revision(
        "r1",
        "",
        "create n",
        "CREATE TABLE \"n\" (\"id\" INTEGER PRIMARY KEY, \"big\" BIGINT);\n",
        "-- mb:allow-data-loss\nDROP TABLE \"n\";\n",
    );
    let r2 = p.write_revision(
        "r2",
        "r1",
        "narrow big",
        "ALTER TABLE \"n\" ALTER COLUMN \"big\" TYPE INTEGER;\n",
        "ALTER TABLE \"n\" ALTER COLUMN \"big\" TYPE BIGINT;\n",
    );
    p.ok(&["db", "upgrade", "r1"]);
    p.execute(
        "INSERT INTO \"n\" (\"id\", \"big\") VALUES (1, 5000000000), (2, -5000000000), (3, 7)",
    );
    let (progress, _) = p.refused(&["db", "upgrade"]);
    assert_eq!(
        progress,
        [format!(
            "{r2}:8: changes \"n\".\"big\" from BIGINT to INTEGER, and 2 values are out of its range"
        )]
    );
    assert_eq!(p.version_rows(), ["r1"]);
}

fn changing_a_type_mb_cannot_compare_counts_every_value(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[Some("1"), None],
        "ALTER TABLE \"t\" ALTER COLUMN \"note\" TYPE INTEGER;\n",
        "ALTER TABLE \"t\" ALTER COLUMN \"note\" TYPE TEXT;\n",
    );
    assert_refused(
        &p,
        &["db", "upgrade"],
        &[format!(
            "{r2}:8: changes \"t\".\"note\" from TEXT to INTEGER, which can truncate or reject its 1 non-NULL value"
        )],
        &format!("the up section of {r2}"),
    );
}

fn a_downgrade_that_drops_data_is_refused(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[],
        "CREATE TABLE \"u\" (\"id\" INTEGER PRIMARY KEY);\n",
        "DROP TABLE \"u\";\n",
    );
    p.ok(&["db", "upgrade"]);
    p.execute("INSERT INTO \"u\" (\"id\") VALUES (1)");
    p.execute("INSERT INTO \"u\" (\"id\") VALUES (2)");
    assert_refused(
        &p,
        &["db", "downgrade"],
        &[format!("{r2}:11: drops table \"u\", which holds 2 rows")],
        &format!("the down section of {r2}"),
    );
    assert_eq!(p.tables(), ["t", "u"]);
    p.ok(&["db", "downgrade", "--allow-data-loss"]);
    assert_eq!(p.tables(), ["t"]);
}

fn a_table_made_earlier_in_the_same_run_is_not_counted(db: Db) {
    let p = TestProject::on(db);
    p.write_revision(
        "r1",
        "",
        "create t",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"t\" (\"id\") VALUES (1);\n",
        DROP_T,
    );
    p.write_revision(
        "r2",
        "r1",
        "drop t",
        DROP_T,
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    let run = p.ok(&["db", "upgrade"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(p.version_rows(), ["r2"]);
}

fn offline_sql_says_it_cannot_count(db: Db) {
    let (p, _) = project_with_rows(db, &[Some("a")], DROP_T, RECREATE_T);
    let sql = p.ok(&["db", "upgrade", "--sql", "r1:r2"]).stdout;
    assert!(
        sql.contains("-- WARNING: this drops table \"t\" and all its rows; mb cannot count rows without a database, so check before running it\n"),
        "{sql}"
    );
}

crate::on_each_database!(
    dropping_a_table_with_rows_is_refused_unless_allowed,
    the_marker_in_the_section_allows_the_loss,
    the_marker_in_the_header_allows_the_loss,
    an_empty_table_or_column_goes_without_a_word,
    dropping_a_column_with_values_is_refused,
    narrowing_a_column_is_refused_when_values_do_not_fit,
    narrowing_an_integer_counts_values_out_of_range,
    changing_a_type_mb_cannot_compare_counts_every_value,
    a_downgrade_that_drops_data_is_refused,
    a_table_made_earlier_in_the_same_run_is_not_counted,
    offline_sql_says_it_cannot_count,
);

fn a_table_renamed_earlier_in_the_run_is_counted_under_its_live_name(db: Db) {
    let (p, r2) = project_with_rows(
        db,
        &[Some("a"), Some("b")],
        "ALTER TABLE \"t\" RENAME TO \"old_t\";\n",
        "ALTER TABLE \"old_t\" RENAME TO \"t\";\n",
    );
    let r3 = p.write_revision(
        "r3",
        "r2",
        "drop old t",
        "ALTER TABLE \"old_t\" RENAME COLUMN \"note\" TO \"remark\";\nALTER TABLE \"old_t\" DROP COLUMN \"remark\";\n",
        "ALTER TABLE \"old_t\" ADD COLUMN \"remark\" TEXT;\n",
    );
    assert_refused(
        &p,
        &["db", "upgrade"],
        &[format!(
            "{r3}:9: drops column \"old_t\".\"remark\", which holds 2 non-NULL values"
        )],
        &format!("the up section of {r3}"),
    );
    assert_eq!(p.tables(), ["t"], "{r2} did not run either");
}

crate::on_each_database!(a_table_renamed_earlier_in_the_run_is_counted_under_its_live_name);
