//! What is particular to PostgreSQL and MySQL/MariaDB servers: one-line connection
//! errors that never show the password, URL parameters (TLS, `?schema=`, `options`),
//! the migration lock, and `-- mb:no-transaction` revisions on PostgreSQL.

mod common;

use std::time::{Duration, Instant};

use common::{Db, ServerDatabase, TestProject, fails, fails_after_progress};

const PASSWORD: &str = "hunter2-secret";

/// A TCP port on 127.0.0.1 that nothing listens on.
fn unused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("an address").port()
}

/// Runs `mb ARGS --database-url URL` in `p` and returns its one-line error, after
/// checking the exit code and that the password appears nowhere.
fn error_with(p: &TestProject, url: &str, args: &[&str], code: i32) -> String {
    let output = p
        .mb()
        .args(args)
        .args(["--database-url", url])
        .output()
        .expect("run mb");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains(PASSWORD), "the password was printed: {all}");
    fails(p.mb().args(args).args(["--database-url", url]), code)
}

fn scheme(db: Db) -> &'static str {
    match db {
        Db::Postgres => "postgresql",
        _ => "mysql",
    }
}

#[test]
fn a_server_that_is_down_is_one_line_that_says_what_to_check() {
    let p = TestProject::new();
    p.table_revision("r1", "");
    let port = unused_port();
    for db in [Db::Postgres, Db::Mysql] {
        let url = format!("{}://bob:{PASSWORD}@127.0.0.1:{port}/app", scheme(db));
        for verb in [&["db", "upgrade"][..], &["db", "current"]] {
            assert_eq!(
                error_with(&p, &url, verb, 6),
                format!(
                    "cannot connect to {}://bob:***@127.0.0.1:{port}/app: connection refused; check that the {} server is running and listening on 127.0.0.1:{port}, or fix the host and port in the URL",
                    scheme(db),
                    db.name()
                )
            );
        }
        // An IPv6 address keeps its brackets; the reason depends on the machine's network.
        let url = format!("{}://bob@[::1]:{port}/app", scheme(db));
        let message = error_with(&p, &url, &["db", "upgrade"], 6);
        assert!(
            message.starts_with(&format!(
                "cannot connect to {}://bob@[::1]:{port}/app: ",
                scheme(db)
            )) && message.ends_with(&format!(
                "listening on [::1]:{port}, or fix the host and port in the URL"
            )),
            "{message}"
        );
    }
    assert!(!p.exists("app.db"));
}

#[test]
fn unknown_url_parameters_are_configuration_errors() {
    let p = TestProject::new();
    assert_eq!(
        error_with(
            &p,
            &format!("postgresql://bob:{PASSWORD}@db.example/app?sslmod=require"),
            &["db", "current"],
            3
        ),
        "invalid database URL 'postgresql://bob:***@db.example/app?sslmod=require': unknown PostgreSQL parameter 'sslmod'; the known ones are sslmode, options, schema, application_name, connect_timeout (from --database-url)"
    );
    assert_eq!(
        error_with(
            &p,
            "mysql://root@db.example/app?ssl-mode=VERIFY_CA",
            &["db", "current"],
            3
        ),
        "invalid database URL 'mysql://root@db.example/app?ssl-mode=VERIFY_CA': ssl-mode=VERIFY_CA is not supported; ssl-mode takes DISABLED, PREFERRED, REQUIRED (from --database-url)"
    );
}

/// The test server's URL for database `name`, as user `user` with `password`.
fn url_for(db: Db, name: &str, user: &str, password: Option<&str>) -> String {
    let mut url = url::Url::parse(&db.server_url()).expect("a server URL");
    url.set_path(name);
    url.set_username(user).expect("a user");
    url.set_password(password).expect("a password");
    url.to_string()
}

/// The test server's URL for database `name` with its user, without a password, as mb
/// prints it.
fn shown(db: Db, server: &ServerDatabase, name: &str) -> String {
    let url = url::Url::parse(&db.server_url()).expect("a server URL");
    format!(
        "{}://{}@{}/{name}",
        scheme(db),
        url.username(),
        server.address()
    )
}

fn an_unknown_database_says_how_to_create_it(db: Db) {
    let p = TestProject::on(db);
    let server = p.server.as_ref().expect("a server database");
    let missing = format!("{}_missing", server.name);
    let mut url = url::Url::parse(&server.url).expect("a URL");
    url.set_path(&missing);
    let create = match db {
        Db::Postgres => format!("\"{missing}\""),
        _ => format!("`{missing}`"),
    };
    assert_eq!(
        error_with(&p, url.as_str(), &["db", "upgrade"], 6),
        format!(
            "cannot connect to {}: the database {missing} does not exist; create it (CREATE DATABASE {create}) or fix the database name in the URL",
            shown(db, server, &missing)
        )
    );
}

/// A MySQL user with a password, dropped at the end.
struct MysqlUser {
    name: String,
}

impl MysqlUser {
    fn create(server: &ServerDatabase) -> MysqlUser {
        let name = format!("{}_user", server.name);
        let mut admin = server.connect();
        admin.run(&format!(
            "CREATE USER '{name}'@'%' IDENTIFIED BY '{PASSWORD}'"
        ));
        admin.run(&format!("GRANT ALL ON {}.* TO '{name}'@'%'", server.name));
        MysqlUser { name }
    }
}

impl Drop for MysqlUser {
    fn drop(&mut self) {
        if let Ok(mut admin) = common::ServerConnection::open(Db::Mysql, &Db::Mysql.server_url()) {
            let _ = admin.query(&format!("DROP USER IF EXISTS '{}'@'%'", self.name));
        }
    }
}

fn wrong_credentials_are_one_line_without_the_password(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let server = p.server.as_ref().expect("a server database");
    let fix = "; check the user name and password in the URL";
    if db == Db::Postgres {
        // The test server trusts local connections, so an unknown role is what it refuses.
        let url = url_for(db, &server.name, "mb_nobody", Some(PASSWORD));
        assert_eq!(
            error_with(&p, &url, &["db", "upgrade"], 6),
            format!(
                "cannot connect to postgresql://mb_nobody:***@{}/{}: role \"mb_nobody\" does not exist{fix}",
                server.address(),
                server.name
            )
        );
        return;
    }
    let user = MysqlUser::create(server);
    let wrong = url_for(db, &server.name, &user.name, Some("not-the-password"));
    let message = error_with(&p, &wrong, &["db", "upgrade"], 6);
    let prefix = format!(
        "cannot connect to mysql://{}:***@{}/{}: Access denied for user '{}'@'",
        user.name,
        server.address(),
        server.name,
        user.name
    );
    assert!(
        message.starts_with(&prefix) && message.ends_with(&format!("' (using password: YES){fix}")),
        "{message}"
    );
    // With the right password it migrates, naming host and database but no password.
    let right = url_for(db, &server.name, &user.name, Some(PASSWORD));
    let run = p.ok(&["-v", "db", "upgrade", "--database-url", &right]);
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    assert!(
        run.stderr_lines().contains(
            &format!(
                "Using {} database {} on {}",
                p.product(),
                server.name,
                server.address()
            )
            .as_str()
        ),
        "{}",
        run.stderr
    );
    assert_eq!(p.version_rows(), ["r1"]);
}

fn tls_required_works_or_says_the_server_has_none(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("r1", "");
    let server = p.server.as_ref().expect("a server database");
    let (require, disable, offered) = match db {
        Db::Postgres => (
            "sslmode=require",
            "sslmode=disable",
            p.scalar("SHOW ssl") == "on",
        ),
        _ => (
            "ssl-mode=REQUIRED",
            "ssl-mode=DISABLED",
            p.query("SHOW VARIABLES LIKE 'have_ssl'")[0][1] == "YES",
        ),
    };
    let with = |param: &str| format!("{}?{param}", server.url);
    if offered {
        p.ok(&["db", "upgrade", "--database-url", &with(require)]);
        assert_eq!(p.version_rows(), ["r1"]);
    } else {
        let fallback = match db {
            Db::Postgres => "sslmode=prefer",
            _ => "ssl-mode=PREFERRED",
        };
        assert_eq!(
            error_with(&p, &with(require), &["db", "upgrade"], 6),
            format!(
                "cannot connect to {}: the URL requires TLS and the server does not offer it; enable TLS on the server, or allow a plain connection with {fallback}",
                shown(db, server, &server.name)
            )
        );
    }
    p.ok(&["db", "current", "--database-url", &with(disable)]);
}

/// A revision `r1` that keeps the database busy for `seconds` while it holds the lock.
fn sleeping_project(db: Db, seconds: u32) -> TestProject {
    let p = TestProject::on(db);
    let sleep = match db {
        Db::Postgres => format!("SELECT pg_sleep({seconds});\n"),
        _ => format!("SELECT SLEEP({seconds});\n"),
    };
    p.write_revision("r1", "", "sleep", &sleep, "");
    p
}

/// Starts `mb db upgrade` in the background and returns once its revision is running.
fn start_sleeping_upgrade(p: &TestProject) -> std::process::Child {
    let child = p.spawn(&["db", "upgrade"]);
    let server = p.server.as_ref().expect("a server database");
    let sql = match p.db {
        Db::Postgres => format!(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
            server.name
        ),
        _ => format!(
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND INFO LIKE 'SELECT SLEEP%'",
            server.name
        ),
    };
    let started = Instant::now();
    while p.scalar(&sql) == "0" {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the first upgrade never started its revision"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn a_second_upgrade_waits_for_the_lock_then_finds_nothing_to_do(db: Db) {
    let p = sleeping_project(db, 2);
    let first = start_sleeping_upgrade(&p);
    let second = p.ok(&["db", "upgrade"]);
    let holder = match db {
        Db::Postgres => "PostgreSQL process ",
        _ => "MySQL connection ",
    };
    let lines = second.stderr_lines();
    assert_eq!(lines[0], p.using_line(false), "{}", second.stderr);
    assert!(
        lines[1].starts_with(&format!(
            "Waiting for another mb migrating {} ({holder}",
            p.location()
        )) && lines[1].ends_with(" holds the migration lock; lock timeout 60 s)…"),
        "{}",
        second.stderr
    );
    assert_eq!(
        lines.last().copied(),
        Some("Nothing left to upgrade: the database is at r1 (sleep).")
    );
    let first = first.wait_with_output().expect("wait for mb");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(p.history_ops(), [("r1".to_string(), "upgrade".to_string())]);
}

fn a_lock_held_too_long_is_an_error_with_exit_code_7(db: Db) {
    let p = sleeping_project(db, 3);
    let first = start_sleeping_upgrade(&p);
    let (_, message) =
        fails_after_progress(p.mb().args(["db", "upgrade", "--lock-timeout", "1"]), 7);
    assert_eq!(
        message,
        format!(
            "another process held the migration lock on {} for more than 1 s; let it finish and run the command again, or wait longer with --lock-timeout SECONDS",
            p.location()
        )
    );
    assert!(
        first
            .wait_with_output()
            .expect("wait for mb")
            .status
            .success()
    );
    assert_eq!(p.version_rows(), ["r1"]);
}

crate::on_each_server!(
    an_unknown_database_says_how_to_create_it,
    wrong_credentials_are_one_line_without_the_password,
    tls_required_works_or_says_the_server_has_none,
    a_second_upgrade_waits_for_the_lock_then_finds_nothing_to_do,
    a_lock_held_too_long_is_an_error_with_exit_code_7,
);

const CREATE_CONCURRENTLY: &str = "CREATE INDEX CONCURRENTLY \"ix_t_name\" ON \"t\" (\"name\");\n";
const DROP_CONCURRENTLY: &str = "DROP INDEX CONCURRENTLY \"ix_t_name\";\n";

#[test]
fn postgres_no_transaction_revisions_run_what_a_transaction_refuses() {
    if !Db::Postgres.available("cli_servers::postgres_no_transaction_revisions") {
        return;
    }
    let p = TestProject::on(Db::Postgres);
    p.write_revision(
        "r1",
        "",
        "table",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT);\n",
        "DROP TABLE \"t\";\n",
    );
    let index = p.write_revision("r2", "r1", "index", CREATE_CONCURRENTLY, DROP_CONCURRENTLY);
    // In a transaction, PostgreSQL refuses, and the revision is rolled back.
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert_eq!(
        message,
        format!(
            "{index}:8: CREATE INDEX CONCURRENTLY cannot run inside a transaction block; the statement was: {}; revision r2 was rolled back, the database is still at r1 (table)",
            CREATE_CONCURRENTLY.trim_end().trim_end_matches(';')
        )
    );
    assert_eq!(p.version_rows(), ["r1"]);
    // With the directive it runs outside a transaction, and the version row follows.
    p.write(
        &index,
        p.read(&index)
            .replace("-- migrate:up\n", "-- mb:no-transaction\n-- migrate:up\n"),
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["r2"]);
    assert_eq!(p.scalar("SELECT count(*) FROM mb_progress"), "0");
    assert_eq!(
        p.scalar("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ix_t_name'"),
        "t"
    );
    p.ok(&["db", "downgrade"]);
    assert_eq!(p.version_rows(), ["r1"]);
    assert!(p.indexes("t").is_empty());
    // --sql leaves BEGIN and COMMIT out around such a revision.
    let script = p.ok(&["db", "upgrade", "--sql", "r1:r2"]).stdout;
    assert!(
        script.contains(&format!(
            "-- Running upgrade r1 -> r2, index\n{CREATE_CONCURRENTLY}DELETE FROM"
        )),
        "{script}"
    );
}

#[test]
fn postgres_schema_parameter_and_search_path_option_keep_everything_in_that_schema() {
    if !Db::Postgres.available("cli_servers::postgres_schema_parameter") {
        return;
    }
    let p = TestProject::on(Db::Postgres);
    p.table_revision("r1", "");
    let server = p.server.as_ref().expect("a server database");
    let tenant = format!("{}?schema=tenant%20one", server.url);
    // A read-only command neither creates the schema nor finds anything in it.
    let current = p.ok(&["db", "current", "--database-url", &tenant]);
    assert_eq!(current.stdout, "");
    assert_eq!(
        current.stderr,
        format!(
            "The database {} on {} (schema tenant one) is at base: no revision applied.\n",
            server.name,
            server.address()
        )
    );
    assert_eq!(
        p.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant one'"),
        "0"
    );

    let upgrade = p.ok(&["db", "upgrade", "--database-url", &tenant]);
    assert_eq!(
        upgrade.stderr_lines()[0],
        format!(
            "Using PostgreSQL database {} on {} (schema tenant one)",
            server.name,
            server.address()
        )
    );
    let in_schema = |schema: &str| {
        p.first_column(&format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}' ORDER BY table_name"
        ))
    };
    assert_eq!(
        in_schema("tenant one"),
        ["mb_history", "mb_version", "t_r1"]
    );
    assert!(in_schema("public").is_empty());
    // The default schema is still empty; the schema's own version table says r1.
    assert_eq!(p.ok(&["db", "current"]).stdout, "");
    assert_eq!(
        p.ok(&["db", "current", "--database-url", &tenant]).stdout,
        "r1 (head)\n"
    );
    // options=-csearch_path=… selects the schema the same way (libpq escapes a space
    // inside an option with a backslash).
    let options = format!(
        "{}?options=-csearch_path%3D%22tenant%5C%20one%22",
        server.url
    );
    assert_eq!(
        p.ok(&["db", "current", "--database-url", &options]).stdout,
        "r1 (head)\n"
    );
    p.ok(&["db", "downgrade", "--database-url", &options]);
    assert_eq!(in_schema("tenant one"), ["mb_history", "mb_version"]);
}
