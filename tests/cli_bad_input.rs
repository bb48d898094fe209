//! Bad input that the other error tests (cli_errors.rs, cli_config.rs, cli_servers.rs,
//! cli_targets.rs, cli_autogen.rs) leave out: files that are not UTF-8 or are empty, a
//! 10 MB statement, a read-only database file, a full disk. Each gets one error line and
//! its exit code, and the database stays as it was. docs/safety.md lists them all.

mod common;

use std::os::unix::process::CommandExt as _;
use std::path::Path;

use common::{Db, TestProject, fails, fails_after_progress};

/// `text` with every `#` replaced by 0xE9, 'é' in Latin-1.
fn latin1(text: &str) -> Vec<u8> {
    text.bytes()
        .map(|b| if b == b'#' { 0xE9 } else { b })
        .collect()
}

#[test]
fn a_schema_sql_that_is_not_utf8_names_its_line() {
    let p = TestProject::new();
    p.write(
        "schema.sql",
        latin1("CREATE TABLE \"a\" (\"id\" INTEGER PRIMARY KEY);\nCREATE TABLE \"caf#\" (\"id\" INTEGER PRIMARY KEY);\n"),
    );
    for verb in [
        &["db", "migrate", "-m", "x"][..],
        &["db", "check", "--offline"],
    ] {
        assert_eq!(
            p.fails(verb, 5),
            "schema.sql:2: the file is not UTF-8 text; save it as UTF-8"
        );
    }
    assert!(!p.exists("app.db"));
}

#[test]
fn an_mb_toml_that_is_not_utf8_names_its_line() {
    let p = TestProject::new();
    p.write(
        "mb.toml",
        latin1("# caf#\ndatabase_url = \"sqlite:///app.db\"\n"),
    );
    assert_eq!(
        p.fails(&["db", "current"], 3),
        format!(
            "{}:1: the file is not UTF-8 text; save it as UTF-8",
            p.abs("mb.toml")
        )
    );
}

/// An empty `schema.sql` declares no tables: on an empty database nothing changes, and
/// nothing is written.
#[test]
fn an_empty_schema_sql_declares_nothing() {
    let p = TestProject::new();
    p.write("schema.sql", "");
    let run = p.ok(&["db", "migrate", "-m", "x"]);
    assert!(
        run.stderr.contains("No changes in schema detected."),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_dir(p.path("migrations/versions"))
            .unwrap()
            .count(),
        0
    );
}

/// One INSERT of 10 MB (100,000 rows) runs like any other statement.
fn a_ten_megabyte_statement_runs(db: Db) {
    let p = TestProject::on(db);
    let rows: Vec<String> = (1..=100_000)
        .map(|i| format!("({i}, '{}')", "x".repeat(90)))
        .collect();
    let insert = format!(
        "INSERT INTO \"big\" (\"id\", \"v\") VALUES {};\n",
        rows.join(",")
    );
    assert!(insert.len() > 10_000_000);
    p.write_revision(
        "big111",
        "",
        "big",
        &format!(
            "CREATE TABLE \"big\" (\"id\" INTEGER PRIMARY KEY, \"v\" VARCHAR(100));\n{insert}"
        ),
        "DROP TABLE \"big\";\n",
    );
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(p.scalar("SELECT COUNT(*) FROM \"big\""), "100000");
    assert_eq!(p.version_rows(), ["big111"]);
}

on_each_database!(a_ten_megabyte_statement_runs);

/// Lets a user other than root run mb in `p` (root may write any file).
fn open_to_others(p: &TestProject) {
    use std::os::unix::fs::PermissionsExt as _;
    for dir in [
        p.root().to_path_buf(),
        p.path("migrations"),
        p.path("migrations/versions"),
    ] {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// `mb ARGS` as a user who may not write `app.db`: as nobody when the tests run as root.
fn as_reader(p: &TestProject, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = p.mb_process(".");
    cmd.args(args);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    assert_cmd::Command::from_std(cmd)
}

#[test]
fn a_read_only_database_file_is_named_before_anything_runs() {
    use std::os::unix::fs::PermissionsExt as _;
    let p = TestProject::new();
    p.table_revision("aaa111", "");
    p.ok(&["-q", "db", "stamp", "base"]);
    let file = p.path("app.db");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    open_to_others(&p);
    let expected = format!(
        "cannot write SQLite database {}: it is open read-only (the file is not writable for this user, or the URL says mode=ro); make the file writable or remove ?mode=ro",
        file.display()
    );
    for verb in [&["db", "upgrade"][..], &["db", "stamp", "head"]] {
        let (_, message) = fails_after_progress(&mut as_reader(&p, verb), 6);
        assert_eq!(message, expected);
    }
    // Reading still works, and nothing changed.
    let run = common::ok(&mut as_reader(&p, &["db", "current"]));
    assert!(run.stderr.contains("at base"), "{run:?}");
    assert_eq!(p.tables(), Vec::<String>::new());
    // The same words for a URL that asks for read-only access.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_, message) = fails_after_progress(
        p.mb().args([
            "--database-url",
            "sqlite:///app.db?mode=ro",
            "db",
            "upgrade",
        ]),
        6,
    );
    assert_eq!(message, expected);
}

/// `mb ARGS` that may write files of at most `bytes` bytes, like on a full disk: the
/// write fails with EFBIG (SIGXFSZ is ignored, so it does not kill mb).
fn with_file_size_limit(p: &TestProject, bytes: u64, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = p.mb_process(".");
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    assert_cmd::Command::from_std(cmd)
}

#[test]
fn a_full_disk_rolls_the_revision_back() {
    let p = TestProject::new();
    p.ok(&["-q", "db", "stamp", "base"]);
    let rows: Vec<String> = (1..=20_000)
        .map(|i| format!("({i}, '{}')", "x".repeat(90)))
        .collect();
    p.write_revision(
        "big111",
        "",
        "big",
        &format!(
            "CREATE TABLE \"big\" (\"id\" INTEGER PRIMARY KEY, \"v\" VARCHAR(100));\nINSERT INTO \"big\" (\"id\", \"v\") VALUES {};\n",
            rows.join(",")
        ),
        "DROP TABLE \"big\";\n",
    );
    let (_, message) = fails_after_progress(
        &mut with_file_size_limit(&p, 256 * 1024, &["db", "upgrade"]),
        6,
    );
    // Where the write fails (the revision's statement, or mb's own records before the
    // commit) depends on SQLite's page cache; either way it is rolled back.
    assert!(
        message.contains("disk I/O error (check that the disk has room and the file can grow)"),
        "{message}"
    );
    // SQLite may leave its journal behind for the next connection to roll back: mb's
    // next command does, and finds the database as it was.
    let run = p.ok(&["db", "current"]);
    assert!(run.stderr.contains("is at base"), "{run:?}");
    assert_eq!(p.version_rows(), Vec::<String>::new());
    assert_eq!(p.tables(), Vec::<String>::new());
    // With room again, the same upgrade goes through.
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(p.scalar("SELECT COUNT(*) FROM \"big\""), "20000");
}

#[test]
fn a_full_disk_leaves_no_half_written_revision() {
    let p = TestProject::new();
    let versions = p.path("migrations/versions");
    let message = fails(
        &mut with_file_size_limit(&p, 64, &["db", "revision", "-m", "posts table"]),
        9,
    );
    let written: Vec<_> = std::fs::read_dir(&versions).unwrap().collect();
    assert!(written.is_empty(), "{written:?}");
    assert!(
        message.starts_with("cannot write migrations/versions/")
            && message.ends_with("_posts_table.sql: File too large"),
        "{message}"
    );
    assert!(Path::new(&versions).is_dir());
    p.ok(&["-q", "db", "revision", "-m", "posts table"]);
}

/// A server that accepts connections and never says a word (a hung server, or a proxy
/// whose backend is gone) is given up on after `connect_timeout`.
#[test]
fn a_server_that_never_answers_is_given_up_on() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    let p = TestProject::new();
    for (scheme, name) in [("postgresql", "PostgreSQL"), ("mysql", "MySQL")] {
        let url = format!("{scheme}://bob@127.0.0.1:{port}/app?connect_timeout=1");
        for verb in [&["db", "upgrade"][..], &["db", "current"]] {
            let message = fails(p.mb().arg("--database-url").arg(&url).args(verb), 6);
            assert_eq!(
                message,
                format!(
                    "cannot connect to {scheme}://bob@127.0.0.1:{port}/app: the server accepted the connection but did not answer within 1 s; check that the {name} server is running and listening on 127.0.0.1:{port}, or fix the host and port in the URL"
                )
            );
        }
    }
}
