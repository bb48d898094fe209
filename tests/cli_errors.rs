//! Bad input: each case gets its exact one-line error (`error: ` + what, where, how to
//! fix), its exit code (3 configuration, 4 scripts and targets, 6 database), no panic or
//! backtrace, and leaves no database behind.

mod common;

use common::{TestProject, fails, revision_text};

/// `mb db upgrade` fails with `code` and exactly `expected`, and creates no database.
fn assert_upgrade_fails(p: &TestProject, args: &[&str], code: i32, expected: &str) {
    let mut all = vec!["db", "upgrade"];
    all.extend_from_slice(args);
    assert_eq!(p.fails(&all, code), expected);
    assert!(!p.exists("app.db"), "a failed upgrade created app.db");
}

/// A project with one good revision, so errors in another file are not about emptiness.
fn project() -> TestProject {
    let p = TestProject::new();
    p.table_revision("aaa111", "");
    p
}

const TWO_SLASHES: &str = "invalid database URL 'sqlite://app.db': an SQLite URL needs three slashes before a relative path and four before an absolute one; use 'sqlite:///app.db' (or 'sqlite:////app.db' for /app.db)";

#[test]
fn sqlite_url_with_two_slashes() {
    let p = project();
    assert_upgrade_fails(
        &p,
        &["--database-url", "sqlite://app.db"],
        3,
        &format!("{TWO_SLASHES} (from --database-url)"),
    );
    let env = fails(
        p.mb()
            .args(["db", "upgrade"])
            .env("DATABASE_URL", "sqlite://app.db"),
        3,
    );
    assert_eq!(env, format!("{TWO_SLASHES} (from DATABASE_URL)"));
    p.write(".env", "DATABASE_URL=sqlite://app.db\n");
    assert_upgrade_fails(
        &p,
        &[],
        3,
        &format!("{TWO_SLASHES} (from DATABASE_URL in .env)"),
    );
    std::fs::remove_file(p.path(".env")).expect("remove .env");
    p.set_config_url(Some("sqlite://app.db"));
    assert_upgrade_fails(
        &p,
        &[],
        3,
        &format!("{TWO_SLASHES} (from database_url in mb.toml)"),
    );
}

#[test]
fn sqlite_url_with_windows_backslashes() {
    let p = project();
    assert_upgrade_fails(
        &p,
        &["--database-url", r"sqlite:///C:\path\app.db"],
        3,
        r"invalid database URL 'sqlite:///C:\path\app.db': backslashes are not path separators in a URL; use 'sqlite:///C:/path/app.db' (from --database-url)",
    );
}

#[test]
fn unknown_scheme_suggests_the_closest_one_and_hides_the_password() {
    let p = project();
    let message = fails(
        p.mb()
            .args(["db", "current"])
            .env("DATABASE_URL", "postgresq://bob:secret@db.example/app"),
        3,
    );
    assert_eq!(
        message,
        "invalid database URL 'postgresq://bob:***@db.example/app': unknown scheme 'postgresq'; use 'postgresql://bob:***@db.example/app' (from DATABASE_URL)"
    );
}

#[test]
fn no_mb_toml() {
    let p = TestProject::empty();
    assert_upgrade_fails(
        &p,
        &[],
        3,
        &format!(
            "no mb.toml in {} or any parent directory; run `mb db init` to start a project here",
            p.root().display()
        ),
    );
}

#[test]
fn unknown_key_in_mb_toml() {
    let p = project();
    p.write(
        "mb.toml",
        "migrations = \"migrations\"\ndatabse_url = \"sqlite:///app.db\"\n",
    );
    assert_upgrade_fails(
        &p,
        &[],
        3,
        &format!(
            "{}:2: unknown field `databse_url`, expected one of `database_url`, `migrations`, `schema`, `databases`, `exclude`",
            p.abs("mb.toml")
        ),
    );
}

#[test]
fn malformed_dot_env() {
    let p = project();
    p.write(".env", "DATABASE_URL\n");
    assert_upgrade_fails(
        &p,
        &[],
        3,
        &format!(
            "{}:1: cannot read the line (the value of DATABASE_URL) at its character 13; lines look like DATABASE_URL=sqlite:///app.db or DATABASE_URL=\"postgresql://user:password@host/db\" (a value with spaces in quotes, closed on the same line)",
            p.abs(".env")
        ),
    );
}

#[test]
fn no_migrations_directory() {
    let p = TestProject::empty();
    p.write("mb.toml", "");
    assert_upgrade_fails(
        &p,
        &[],
        4,
        &format!(
            "no migrations directory at {}; run `mb db init` to create it (or pass -d DIR)",
            "migrations/versions"
        ),
    );
}

#[test]
fn duplicate_revision_ids_name_both_files() {
    let p = project();
    p.write(
        "migrations/versions/zzz_copy.sql",
        revision_text("aaa111", "", "copy", "", ""),
    );
    assert_upgrade_fails(
        &p,
        &[],
        4,
        &format!(
            "revision id aaa111 is claimed by two files: {} and {}; give one of them a new id",
            "migrations/versions/aaa111_create_t_aaa111.sql", "migrations/versions/zzz_copy.sql"
        ),
    );
}

/// Adds `migrations/versions/<name>` with `contents` to a good project and asserts that
/// `mb db upgrade` fails with exit code 4 and the file's path followed by `after_path`.
fn assert_bad_revision(name: &str, contents: impl AsRef<[u8]>, after_path: &str) {
    let p = project();
    let file = format!("migrations/versions/{name}");
    p.write(&file, contents);
    assert_upgrade_fails(&p, &[], 4, &format!("{}{after_path}", file));
}

const NO_DOWN: &str = ": no '-- migrate:down' line; a revision needs '-- migrate:up' and then '-- migrate:down' (either section may be empty)";
const NO_UP: &str = ": no '-- migrate:up' line; a revision needs '-- migrate:up' and then '-- migrate:down' (either section may be empty)";
const EMPTY: &str = ": the file is empty; a revision needs a header with '-- Revision ID:' and the sections '-- migrate:up' and '-- migrate:down' (`mb db revision` writes one)";

#[test]
fn revision_without_migrate_down() {
    let text = "-- x\n-- Revision ID: bbb222\n-- Revises: aaa111\n-- migrate:up\nSELECT 1;\n";
    assert_bad_revision("bbb222_x.sql", text, NO_DOWN);
}

#[test]
fn revision_without_revision_id() {
    let text = "-- x\n--\n-- Revises: aaa111\n-- migrate:up\nSELECT 1;\n-- migrate:down\n";
    assert_bad_revision(
        "bbb222_x.sql",
        text,
        ": no '-- Revision ID: <id>' line in the header; every revision needs one",
    );
}

#[test]
fn sql_before_migrate_up() {
    let text = "-- x\n-- Revision ID: bbb222\nCREATE TABLE t (id INTEGER);\n-- migrate:up\n-- migrate:down\n";
    assert_bad_revision(
        "bbb222_x.sql",
        text,
        ":3: SQL before '-- migrate:up'; the header holds only '--' comments, statements go below '-- migrate:up' or '-- migrate:down'",
    );
}

#[test]
fn revises_names_a_missing_revision() {
    let p = project();
    let file = p.write_revision("bbb222", "fff999", "orphan", "", "");
    let expected = format!(
        "{file}: 'Revises: fff999' names a revision that does not exist in migrations/versions; restore that revision's file, or correct the line"
    );
    assert_upgrade_fails(&p, &[], 4, &expected);
}

#[test]
fn revises_with_a_shortened_id_suggests_the_full_one() {
    let p = project();
    let file = p.write_revision("bbb222", "aaa", "short parent", "", "");
    let expected = format!(
        "{file}: 'Revises: aaa' names a revision that does not exist in migrations/versions; did you mean aaa111 (migrations/versions/aaa111_create_t_aaa111.sql)? write the full id"
    );
    assert_upgrade_fails(&p, &[], 4, &expected);
}

#[test]
fn non_utf8_revision_file() {
    // Line 8 holds 'café' in Latin-1.
    let text = revision_text(
        "bbb222",
        "aaa111",
        "latin1",
        "INSERT INTO t VALUES ('caf#');",
        "",
    );
    let bytes: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'#' { 0xE9 } else { b })
        .collect();
    assert_bad_revision(
        "bbb222_latin1.sql",
        bytes,
        ":8: the file is not UTF-8 text; save it as UTF-8",
    );
}

#[test]
fn empty_revision_file() {
    assert_bad_revision("bbb222_empty.sql", "", EMPTY);
    assert_bad_revision("bbb222_header.sql", "-- Revision ID: bbb222\n", NO_UP);
}

#[test]
fn script_errors_stop_every_command_that_reads_the_scripts() {
    let p = project();
    p.write("migrations/versions/bbb222_empty.sql", "");
    for verb in [
        &["db", "heads"][..],
        &["db", "history"],
        &["db", "current"],
        &["db", "show", "aaa111"],
        &["db", "revision", "-m", "x"],
    ] {
        let message = p.fails(verb, 4);
        assert_eq!(
            message,
            format!("migrations/versions/bbb222_empty.sql{EMPTY}"),
            "{verb:?}"
        );
    }
}

#[test]
fn missing_parent_directory_for_the_sqlite_file() {
    let p = project();
    p.set_config_url(Some("sqlite:///instance/app.db"));
    assert_eq!(
        p.fails(&["db", "upgrade"], 6),
        format!(
            "cannot create SQLite database {}: the directory {} does not exist; create it or fix the URL",
            p.abs("instance/app.db"),
            p.abs("instance")
        )
    );
    assert!(!p.exists("instance"));
    p.mkdir("instance");
    p.ok(&["db", "upgrade"]);
    assert!(p.exists("instance/app.db"));
}

#[test]
fn command_line_usage_errors_exit_with_2() {
    let p = project();
    let output = p
        .mb()
        .args(["db", "heads", "--no-such-flag"])
        .output()
        .expect("run mb");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: unexpected argument '--no-such-flag' found"),
        "{stderr}"
    );
    // Targets such as -1 are accepted, and a mistyped flag is still a usage error.
    for verb in ["upgrade", "downgrade", "stamp"] {
        let output = p
            .mb()
            .args(["db", verb, "--no-such-flag"])
            .output()
            .expect("run mb");
        assert_eq!(output.status.code(), Some(2), "{verb}");
    }
    assert!(
        p.fails(&["db", "downgrade", "-1"], 4)
            .starts_with("cannot downgrade 1 revision: only 0 revisions are applied")
    );
}

#[test]
fn a_file_that_is_not_a_database() {
    let p = project();
    p.write("app.db", "not a database, just text\n");
    assert_eq!(
        p.fails(&["-q", "db", "upgrade"], 6),
        format!(
            "cannot read the schema on SQLite database {}: file is not a database",
            p.abs("app.db")
        )
    );
    assert_eq!(p.read("app.db"), "not a database, just text\n");
}

#[test]
fn a_read_only_url_for_a_missing_database() {
    let p = project();
    assert_upgrade_fails(
        &p,
        &["--database-url", "sqlite:///app.db?mode=ro"],
        6,
        &format!(
            "SQLite database {} does not exist and the URL says mode=ro; remove ?mode=ro to let mb create it",
            p.abs("app.db")
        ),
    );
}

#[test]
fn revisions_that_form_a_cycle() {
    let p = project();
    let a = p.write_revision("ccc333", "ddd444", "c", "", "");
    let b = p.write_revision("ddd444", "ccc333", "d", "", "");
    let message = p.fails(&["db", "heads"], 4);
    let cycle = |x: &str, y: &str| {
        format!(
            "the revisions form a cycle: {} -> {} -> {}; one of them must revise an older revision",
            x, y, x
        )
    };
    assert!(
        message == cycle(&a, &b) || message == cycle(&b, &a),
        "{message}"
    );
}

/// SQLite quotes the SQL of a statement it cannot parse, over as many lines as the
/// statement has; mb's error stays one line and quotes the statement itself, folded.
#[test]
fn a_statement_sqlite_cannot_parse_is_one_line() {
    let p = TestProject::new();
    p.write_revision(
        "ml1",
        "",
        "multi",
        "INSERT INTO \"nowhere\"\n  (\"a\",\n   \"b\")\n  VALUES (1, 2) oops;\n",
        "",
    );
    let (_, message) = common::fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(
        message,
        "migrations/versions/ml1_multi.sql:8: near \"oops\": syntax error; the statement was: INSERT INTO \"nowhere\" (\"a\", \"b\") VALUES (1, 2) oops; revision ml1 was rolled back, the database is still at base (no revision applied)"
    );
}
