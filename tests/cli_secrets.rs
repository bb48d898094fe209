//! A password never leaves mb: a sentinel password is put in database URLs of every
//! shape, given every way a URL is given (`--database-url`, `DATABASE_URL`, `.env`,
//! `mb.toml`), and run through the commands' error paths and, on a PostgreSQL server
//! that trusts its clients (and so ignores the password), through their successful
//! ones. It must appear in no output, no file mb writes, and no row of mb's tables.

mod common;

use std::path::Path;

use common::{Db, TestProject};

const SENTINEL: &str = "Pa55w0rdSENTINEL";

/// Commands that read the database URL, each with what it needs.
const COMMANDS: &[&[&str]] = &[
    &["db", "current"],
    &["db", "current", "-v"],
    &["db", "history", "-i", "-v"],
    &["db", "upgrade"],
    &["db", "upgrade", "--sql"],
    &["db", "downgrade"],
    &["db", "migrate", "-m", "x"],
    &["db", "check"],
    &["db", "check", "--offline"],
    &["db", "stamp", "head"],
    &["db", "inspect"],
    &["--json", "db", "current"],
];

/// Runs `mb ARGS` in `p` with `env`, and checks that neither stdout nor stderr holds the
/// sentinel, and that mb did not panic; returns what it printed.
fn run(p: &TestProject, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = p.mb();
    command.args(args).envs(env.iter().copied());
    let output = command.output().expect("run mb");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !text.contains(SENTINEL),
        "mb {args:?} with {env:?} printed the password:\n{text}"
    );
    assert!(!text.contains("panicked"), "mb {args:?} panicked:\n{text}");
    text
}

/// No file below `dir` holds the sentinel (mb.toml, schema.sql, revisions, SQLite files).
fn assert_no_file_holds_it(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_no_file_holds_it(&path);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(SENTINEL),
                "{} holds the password",
                path.display()
            );
        }
    }
}

/// Runs each of `inits` with `--database-url URL` in a directory of its own, and checks
/// that no file it wrote holds the password.
fn init_without_storing_it(url: &str, inits: &[&[&str]]) {
    for init in inits {
        let fresh = TestProject::empty();
        let mut args = vec!["--database-url", url];
        args.extend_from_slice(init);
        run(&fresh, &args, &[]);
        assert_no_file_holds_it(fresh.root());
    }
}

/// The server URL of `db` with the sentinel as password, for `database`.
fn server_url(db: Db, user: &str, database: &str) -> String {
    let mut url = url::Url::parse(&db.server_url()).unwrap();
    url.set_username(user).unwrap();
    url.set_password(Some(SENTINEL)).unwrap();
    url.set_path(database);
    url.to_string()
}

/// Database URLs that mb cannot use, in every shape, each holding the sentinel.
fn bad_urls() -> Vec<String> {
    let s = SENTINEL;
    let mut urls = vec![
        format!("sqlite://bob:{s}@x/app.db"),
        format!("sqlite:///C:\\bob:{s}@x\\app.db"),
        format!("sqlite:///bob:{s}@x/app.db?mode=bogus"),
        format!("postgresql://bob:{s}@127.0.0.1:1/x"),
        format!("postgresql://bob:{s}@db"),
        format!("postgresql:/bob:{s}@db/x"),
        format!("postgresql:bob:{s}@db/x"),
        format!("postgresq://bob:{s}@db/x"),
        format!("ftp://bob:{s}@db/x"),
        format!("postgresql://bob:{s}@db/x?sslmode=bogus"),
        format!("postgresql://bob:{s}@db/x?bogus=1"),
        format!("postgresql://bob:{s}@db:99999/x"),
        format!("postgresql://bob:pa/{s}@db/x"),
        format!("postgresql://bob:{s}@[::1/x"),
        format!("mysql://bob:{s}@127.0.0.1:1/x"),
        format!("mysql://bob:{s}@db/x?ssl-mode=bogus"),
        format!("mariadb://bob:{s}@db/x/y"),
    ];
    for db in [Db::Postgres, Db::Mysql] {
        if db.available("cli_secrets::bad_urls") {
            let admin = if db == Db::Postgres {
                "postgres"
            } else {
                "root"
            };
            urls.push(server_url(db, admin, "mb_no_such_database"));
            urls.push(server_url(db, "mb_no_such_user", "mb_no_such_database"));
        }
    }
    if Db::Mysql.available("cli_secrets::bad_urls") {
        // The test server's root has no password: one is the wrong one.
        urls.push(server_url(Db::Mysql, "root", "mysql"));
    }
    urls
}

#[test]
fn no_error_path_shows_the_password() {
    let p = TestProject::new();
    p.write(
        "schema.sql",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    p.table_revision("a1", "");
    let config = p.read("mb.toml");
    for url in bad_urls() {
        let mut masked = false;
        for command in COMMANDS {
            let mut args = vec!["--database-url", url.as_str()];
            args.extend_from_slice(command);
            masked |= run(&p, &args, &[]).contains(":***@");
        }
        assert!(masked, "no command showed {url} masked");
        for command in [&["db", "current"][..], &["db", "upgrade"]] {
            run(&p, command, &[("DATABASE_URL", &url)]);
            for dot_env in [
                format!("DATABASE_URL={url}\n"),
                format!("DATABASE_URL=\"{url}\"\n"),
                format!("DATABASE_URL=\"{url}\nOTHER=1\n"),
                format!("DATABASE_URL='{url}\n"),
                format!("DATABASE_URL={url} and more\n"),
                format!("export DATABASE_URL=\"{url}\" # a comment\n"),
            ] {
                p.write(".env", dot_env);
                run(&p, command, &[]);
            }
            std::fs::remove_file(p.path(".env")).unwrap();
            p.write(
                "mb.toml",
                format!("{config}database_url = \"{}\"\n", url.replace('\\', "\\\\")),
            );
            run(&p, command, &[]);
            p.write("mb.toml", format!("{config}database_url = {url}\n"));
            run(&p, command, &[]);
            p.write("mb.toml", &config);
        }
        init_without_storing_it(&url, &[&["db", "init"], &["db", "init", "--from-database"]]);
    }
    assert_no_file_holds_it(p.root());
}

/// On a server that trusts its clients the password is ignored and every command
/// succeeds: the URL is printed, stored nowhere, and mb's tables hold no trace of it.
fn no_successful_command_shows_or_stores_the_password(db: Db) {
    let mut p = TestProject::new();
    p.use_database(db);
    let name = p.server.as_ref().unwrap().name.clone();
    let url = server_url(db, "postgres", &name);
    let env = [("DATABASE_URL", url.as_str())];
    p.set_config_url(None);
    p.write(
        "schema.sql",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\n",
    );
    for command in [
        &["db", "migrate", "-m", "t"][..],
        &["db", "upgrade", "--sql"],
        &["db", "upgrade"],
        &["-v", "db", "current"],
        &["db", "history", "-i", "-v"],
        &["db", "check"],
        &["db", "inspect"],
        &["--json", "db", "current"],
        &["db", "downgrade"],
        &["db", "stamp", "head"],
        &["db", "downgrade", "base", "--sql"],
    ] {
        run(&p, command, &env);
    }
    init_without_storing_it(&url, &[&["db", "init", "--from-database"]]);
    assert_no_file_holds_it(p.root());
    let tables = p.first_column(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    for table in ["mb_version", "mb_history", "mb_progress"] {
        if tables.iter().any(|t| t == table) {
            let rows = p.query(&format!("SELECT * FROM \"{table}\""));
            assert!(!format!("{rows:?}").contains(SENTINEL), "{table}: {rows:?}");
        }
    }
}

#[test]
fn no_successful_command_shows_or_stores_the_password_on_postgres() {
    if Db::Postgres.available(module_path!()) {
        no_successful_command_shows_or_stores_the_password(Db::Postgres);
    }
}
