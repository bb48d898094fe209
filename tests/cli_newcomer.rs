//! What a newcomer hits first: a `db` verb typed without `db`, a message without `-m`,
//! a downgrade that would lose rows asked about at a terminal, and messages that name
//! the database (in memory, MariaDB, the one `check` compared) and say what to do.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Db, TestProject};

/// Runs `mb ARGS` and returns (exit code, stderr).
fn usage_error(p: &TestProject, args: &[&str]) -> (Option<i32>, String) {
    let output = p.mb_process(".").args(args).output().expect("run mb");
    assert!(output.stdout.is_empty());
    (
        output.status.code(),
        String::from_utf8(output.stderr).expect("UTF-8"),
    )
}

#[test]
fn a_forgotten_db_and_a_forgotten_m_get_a_did_you_mean() {
    let p = TestProject::new();
    let (code, stderr) = usage_error(&p, &["upgrade"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: unrecognized subcommand 'upgrade'")
            && stderr.contains("tip: did you mean `mb db upgrade`?"),
        "{stderr}"
    );
    let (code, stderr) = usage_error(&p, &["db", "migrate", "posts table"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("tip: did you mean `mb db migrate -m \"posts table\"`?"),
        "{stderr}"
    );
    assert!(p.revision_files().is_empty());
}

#[test]
fn a_memory_database_is_called_so() {
    let p = TestProject::new();
    let run = p.ok(&["--database-url", "sqlite://", "db", "current"]);
    assert_eq!(
        run.stderr,
        "The database in memory is at base: no revision applied.\n"
    );
}

fn check_names_the_database_it_compared(db: Db) {
    let p = TestProject::on(db);
    p.write(
        "schema.sql",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    p.ok(&["db", "migrate", "-m", "t"]);
    p.ok(&["db", "upgrade"]);
    let product = p.product();
    let run = p.ok(&["db", "check"]);
    assert_eq!(
        run.stderr,
        format!(
            "No changes: schema.sql matches {product} database {}.\n",
            p.location()
        )
    );
    let run = p.ok(&["db", "upgrade"]);
    assert!(
        run.stderr
            .starts_with(&format!("Using {product} database {}", p.location())),
        "{}",
        run.stderr
    );
}

#[test]
fn an_sqlite_file_in_a_directory_mb_cannot_write_says_what_to_do() {
    let p = TestProject::new();
    p.table_revision("r1", "");
    // /proc exists and nobody may create files in it, root included.
    assert_eq!(
        p.fails(
            &["--database-url", "sqlite:////proc/app.db", "db", "upgrade"],
            6
        ),
        "cannot open SQLite database /proc/app.db: unable to open database file: /proc/app.db (mb creates the file there, and the directory /proc is not writable for this user); make it writable, or point the URL at a directory that is"
    );
}

#[test]
fn a_postgresql_url_on_a_mysql_port_says_to_check_the_port() {
    if !Db::Mysql.available("a_postgresql_url_on_a_mysql_port_says_to_check_the_port") {
        return;
    }
    let mysql = std::env::var("MB_TEST_MYSQL_URL").unwrap();
    let address = mysql
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("host:port in MB_TEST_MYSQL_URL")
        .to_string();
    let p = TestProject::new();
    let url = format!("postgresql://root@{address}/app");
    let error = p.fails(&["--database-url", &url, "db", "current"], 6);
    assert!(
        error.starts_with(&format!("cannot connect to {url}: "))
            && error.ends_with(&format!(
                "the server listening on {address} does not answer in PostgreSQL's protocol (is it another database's port? PostgreSQL's default is 5432, MySQL's 3306); fix the port in the URL"
            )),
        "{error}"
    );
}

/// A project whose one revision creates table "u", holding two rows.
fn downgrade_would_lose_rows(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write_revision(
        "r1",
        "",
        "u",
        "CREATE TABLE \"u\" (\"id\" INTEGER PRIMARY KEY);\n",
        "DROP TABLE \"u\";\n",
    );
    p.ok(&["db", "upgrade"]);
    p.execute("INSERT INTO \"u\" (\"id\") VALUES (1)");
    p.execute("INSERT INTO \"u\" (\"id\") VALUES (2)");
    p
}

/// `mb db downgrade` on a pseudo-terminal (`script` gives stdin and stderr one), with
/// `answer` typed; returns its exit code and what the terminal showed.
fn downgrade_at_a_terminal(p: &TestProject, answer: &str) -> (Option<i32>, String) {
    let mb = env!("CARGO_BIN_EXE_mb");
    let mut child = Command::new("script")
        .args(["-qec", &format!("{mb} db downgrade"), "/dev/null"])
        .current_dir(p.root())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script(1)");
    // Typed after the question is up: what the terminal has before mb reads is echoed
    // and kept for it, so the order does not matter.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{answer}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).replace('\r', ""),
    )
}

fn a_downgrade_that_would_lose_rows_asks_at_a_terminal(db: Db) {
    let p = downgrade_would_lose_rows(db);
    let finding = "migrations/versions/r1_u.sql:11: drops table \"u\", which holds 2 rows";
    let question = "The downgrade would lose the data above (1 finding). Run it anyway? [y/N] ";

    let (code, screen) = downgrade_at_a_terminal(&p, "n");
    assert_eq!(code, Some(8), "{screen}");
    assert!(
        screen.contains(finding) && screen.contains(question),
        "{screen}"
    );
    assert_eq!(p.tables(), ["u"]);

    let (code, screen) = downgrade_at_a_terminal(&p, "y");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Downgraded 1 revision"), "{screen}");
    assert!(p.tables().is_empty(), "{:?}", p.tables());
}

fn without_a_terminal_the_downgrade_is_refused(db: Db) {
    let p = downgrade_would_lose_rows(db);
    // The plan is checked under the migration lock, after the line naming the database.
    let (findings, error) = p.refused(&["db", "downgrade"]);
    assert_eq!(
        findings,
        ["migrations/versions/r1_u.sql:11: drops table \"u\", which holds 2 rows"]
    );
    assert!(
        error
            .starts_with("the downgrade would lose the data above (1 finding), so nothing was run"),
        "{error}"
    );
    assert_eq!(p.tables(), ["u"]);
}

crate::on_each_database!(
    check_names_the_database_it_compared,
    a_downgrade_that_would_lose_rows_asks_at_a_terminal,
    without_a_terminal_the_downgrade_is_refused,
);
