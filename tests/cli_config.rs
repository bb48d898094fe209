//! Finding the project and choosing the database: mb.toml discovery from a subdirectory,
//! and the URL precedence `--database-url` > `DATABASE_URL` > `.env` > mb.toml > default.

mod common;

use common::{Db, TestProject, ok};

/// Every SQLite file a precedence test could create; exactly one may exist afterwards.
const CANDIDATES: [&str; 5] = [
    "app.db",
    "from_toml.db",
    "from_dot_env.db",
    "from_env.db",
    "from_flag.db",
];

/// Runs `mb db upgrade` from the subdirectory `sub/dir`, with `DATABASE_URL=env` when
/// given and `--database-url flag` when given, and asserts that exactly `expected`
/// (relative to the project root) was created and named on stderr.
fn assert_upgrade_creates(p: &TestProject, env: Option<&str>, flag: Option<&str>, expected: &str) {
    p.table_revision("aaa111", "");
    p.mkdir("sub/dir");
    let mut cmd = p.mb_in("sub/dir");
    cmd.args(["db", "upgrade"]);
    if let Some(url) = flag {
        cmd.args(["--database-url", url]);
    }
    if let Some(url) = env {
        cmd.env("DATABASE_URL", url);
    }
    let run = ok(&mut cmd);
    assert_eq!(
        run.stderr_lines()[0],
        format!("Creating SQLite database {}", p.abs(expected))
    );
    for candidate in CANDIDATES {
        assert_eq!(
            p.exists(candidate),
            candidate == expected,
            "{candidate}: {run:?}"
        );
        assert!(
            !p.exists(&format!("sub/dir/{candidate}")),
            "created in the working directory: {candidate}"
        );
    }
}

#[test]
fn upgrade_prints_the_absolute_path_of_the_database_it_creates_then_uses() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111", "bbb222"]);
    let first = p.ok(&["db", "upgrade", "+1"]);
    assert_eq!(
        first.stderr_lines()[0],
        format!("Creating SQLite database {}", p.abs("app.db"))
    );
    assert!(p.path("app.db").is_absolute() && p.exists("app.db"));
    let second = p.ok(&["db", "upgrade"]);
    assert_eq!(
        second.stderr_lines()[0],
        format!("Using SQLite database {}", p.abs("app.db"))
    );
    let third = p.ok(&["db", "upgrade"]);
    assert_eq!(
        third.stderr_lines(),
        [
            format!("Using SQLite database {}", p.abs("app.db")),
            "Nothing to upgrade: the database is at bbb222 (create t_bbb222).".to_string(),
        ]
    );
}

#[test]
fn quiet_upgrade_prints_nothing() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111"]);
    let run = p.ok(&["-q", "db", "upgrade"]);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert_eq!(p.version_rows(), ["aaa111"]);
}

#[test]
fn commands_find_mb_toml_from_a_subdirectory() {
    let p = TestProject::new();
    p.mkdir("src/deep");
    let run = ok(p
        .mb_in("src/deep")
        .args(["db", "revision", "-m", "one", "--rev-id", "aaa111"]));
    assert_eq!(
        run.stdout,
        format!(
            "Generating {} ... done\n",
            p.abs("migrations/versions/aaa111_one.sql")
        )
    );
    ok(p.mb_in("src/deep").args(["db", "upgrade"]));
    assert!(p.exists("app.db"), "the database belongs beside mb.toml");
    assert!(!p.exists("src/deep/app.db") && !p.exists("src/deep/migrations"));
    assert_eq!(
        ok(p.mb_in("src/deep").args(["db", "current"])).stdout,
        "aaa111 (head)\n"
    );
}

#[test]
fn directory_option_is_relative_to_the_working_directory() {
    let p = TestProject::new();
    p.mkdir("sub");
    ok(p.mb_in("sub").args(["-q", "db", "init", "-d", "alt"]));
    assert!(p.path("sub/alt/versions").is_dir());
    ok(p.mb_in("sub").args([
        "db", "revision", "-m", "alt", "--rev-id", "alt111", "-d", "alt",
    ]));
    assert!(p.exists("sub/alt/versions/alt111_alt.sql"));
    // Without -d, mb.toml's directory is used, which holds no revision.
    assert_eq!(ok(p.mb_in("sub").args(["db", "heads"])).stdout, "");
    assert_eq!(
        ok(p.mb_in("sub").args(["db", "heads", "-d", "alt"])).stdout,
        "alt111 (head)\n"
    );
}

const TOML_URL: &str = "sqlite:///from_toml.db";
const DOT_ENV: &str = "# local settings\nOTHER=1\nDATABASE_URL=sqlite:///from_dot_env.db\n";

/// A project whose mb.toml names `toml_url` (no `database_url` line for `None`), with a
/// `.env` beside it holding `dot_env` when given.
fn project_with(toml_url: Option<&str>, dot_env: Option<&str>) -> TestProject {
    let p = TestProject::new();
    p.set_config_url(toml_url);
    if let Some(text) = dot_env {
        p.write(".env", text);
    }
    p
}

#[test]
fn without_any_url_the_default_is_app_db_beside_mb_toml() {
    let p = project_with(None, None);
    assert_upgrade_creates(&p, None, None, "app.db");
}

#[test]
fn mb_toml_url_beats_the_default() {
    let p = project_with(Some(TOML_URL), None);
    assert_upgrade_creates(&p, None, None, "from_toml.db");
}

#[test]
fn dot_env_beside_mb_toml_beats_mb_toml() {
    let p = project_with(Some(TOML_URL), Some(DOT_ENV));
    assert_upgrade_creates(&p, None, None, "from_dot_env.db");
}

#[test]
fn dot_env_in_the_working_directory_is_not_read() {
    let p = project_with(Some(TOML_URL), None);
    p.write("sub/dir/.env", DOT_ENV);
    assert_upgrade_creates(&p, None, None, "from_toml.db");
}

#[test]
fn environment_beats_dot_env() {
    let p = project_with(Some(TOML_URL), Some(DOT_ENV));
    assert_upgrade_creates(&p, Some("sqlite:///from_env.db"), None, "from_env.db");
}

#[test]
fn command_line_beats_environment() {
    let p = project_with(Some(TOML_URL), Some(DOT_ENV));
    let flag = Some("sqlite:///from_flag.db");
    assert_upgrade_creates(&p, Some("sqlite:///from_env.db"), flag, "from_flag.db");
}

#[test]
fn four_slashes_name_an_absolute_path() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111"]);
    let elsewhere = TestProject::empty();
    let target = elsewhere.path("abs.db");
    let url = format!("sqlite:///{}", target.display());
    assert!(url.starts_with("sqlite:////"), "{url}");
    let run = p.ok(&["db", "upgrade", "--database-url", &url]);
    assert_eq!(
        run.stderr_lines()[0],
        format!("Creating SQLite database {}", target.display())
    );
    assert!(target.is_file());
    assert!(!p.exists("app.db"));
}

#[test]
fn reading_commands_do_not_create_the_database() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111"]);
    let current = p.ok(&["db", "current"]);
    assert_eq!(current.stdout, "");
    assert_eq!(
        current.stderr,
        format!(
            "The database {} (does not exist yet) is at base: no revision applied.\n",
            p.abs("app.db")
        )
    );
    assert_eq!(
        p.ok(&["db", "history", "-i"]).stdout,
        "<base> -> aaa111 (head), create t_aaa111\n"
    );
    assert!(!p.exists("app.db"));
}
