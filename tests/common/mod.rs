//! The harness of the command-line tests: a project in a temp dir, the real `mb` binary
//! run in it the way a user would, and a look into the database it migrated.
//!
//! A [`TestProject`] runs on one [`Db`]: SQLite (`sqlite:///app.db` beside `mb.toml`), or
//! a database of its own, created for it and dropped afterwards, on the PostgreSQL or
//! MySQL/MariaDB server named by `MB_TEST_POSTGRES_URL` / `MB_TEST_MYSQL_URL`.
//! [`on_each_database!`](crate::on_each_database) turns a test function taking a `Db`
//! into one test per database; a server test without its URL prints a loud `SKIPPED:`
//! line and passes, unless `MB_REQUIRE_SERVERS=1` makes that a failure. The inspection
//! helpers ([`TestProject::query`] and those built on it) use each database's own driver.

// Each tests/cli_*.rs is its own crate and uses a different part of the harness.
#![allow(dead_code)]

pub mod literals;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use tempfile::TempDir;

pub const DEFAULT_DB: &str = "app.db";

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
    Mysql,
}

/// Generates, for each test function `name(db: Db)`, a module `name` with the tests
/// `sqlite`, `postgres` and `mysql`.
#[macro_export]
macro_rules! on_each_database {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::Db::Sqlite);
            }
            $crate::on_server_tests!($name);
        }
    )*};
}

/// Like [`on_each_database!`], for tests that only make sense on a server.
#[macro_export]
macro_rules! on_each_server {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            $crate::on_server_tests!($name);
        }
    )*};
}

/// The `postgres` and `mysql` tests of one test function.
#[macro_export]
macro_rules! on_server_tests {
    ($name:ident) => {
        #[test]
        fn postgres() {
            if $crate::common::Db::Postgres.available(module_path!()) {
                super::$name($crate::common::Db::Postgres);
            }
        }
        #[test]
        fn mysql() {
            if $crate::common::Db::Mysql.available(module_path!()) {
                super::$name($crate::common::Db::Mysql);
            }
        }
    };
}

impl Db {
    pub fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "SQLite",
            Db::Postgres => "PostgreSQL",
            Db::Mysql => "MySQL",
        }
    }

    fn env_var(self) -> &'static str {
        match self {
            Db::Sqlite => "",
            Db::Postgres => "MB_TEST_POSTGRES_URL",
            Db::Mysql => "MB_TEST_MYSQL_URL",
        }
    }

    /// The URL of the test server, with a database mb's tests may connect to.
    pub fn server_url(self) -> String {
        std::env::var(self.env_var()).unwrap_or_else(|_| panic!("{} is not set", self.env_var()))
    }

    /// Whether `test` can run on this database. Without the server's URL (or with a
    /// server that does not answer) it says so loudly, past the test harness's output
    /// capture, and the test passes; with `MB_REQUIRE_SERVERS=1` it fails instead.
    pub fn available(self, test: &str) -> bool {
        if self == Db::Sqlite {
            return true;
        }
        let problem = match std::env::var(self.env_var()) {
            Err(_) => Some(format!("set {}", self.env_var())),
            Ok(_) => self.reachable().err(),
        };
        let Some(problem) = problem else {
            return true;
        };
        let required = std::env::var("MB_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "MB_REQUIRE_SERVERS=1 and the {} server cannot be used: {problem}",
            self.name()
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test} on {} ({problem})",
            self.name()
        );
        false
    }

    /// Connects once per test process to find out whether the server answers.
    fn reachable(self) -> Result<(), String> {
        static POSTGRES: OnceLock<Result<(), String>> = OnceLock::new();
        static MYSQL: OnceLock<Result<(), String>> = OnceLock::new();
        let cell = if self == Db::Postgres {
            &POSTGRES
        } else {
            &MYSQL
        };
        cell.get_or_init(|| {
            let url = self.server_url();
            let mut connection = ServerConnection::open(self, &url)
                .map_err(|e| format!("{} does not answer: {e}", mask(&url)))?;
            connection.query("SELECT 1").map(|_| ())
        })
        .clone()
    }
}

/// `url` without its password.
fn mask(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// A direct connection to a test server, for creating databases and looking into them.
pub enum ServerConnection {
    Postgres(Box<postgres::Client>),
    Mysql(mysql::Conn),
}

impl ServerConnection {
    pub fn open(db: Db, url: &str) -> Result<ServerConnection, String> {
        match db {
            Db::Postgres => postgres::Client::connect(url, postgres::NoTls)
                .map(|client| ServerConnection::Postgres(Box::new(client)))
                .map_err(|e| e.to_string()),
            Db::Mysql => {
                let opts = mysql::Opts::from_url(url).map_err(|e| e.to_string())?;
                let opts = mysql::OptsBuilder::from_opts(opts)
                    .prefer_socket(false)
                    // The same quoting as mb's sessions, so tests use one SQL for all.
                    .init(vec![
                        "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), 'ANSI_QUOTES')",
                    ]);
                mysql::Conn::new(opts)
                    .map(ServerConnection::Mysql)
                    .map_err(|e| e.to_string())
            }
            Db::Sqlite => Err("SQLite is not a server".into()),
        }
    }

    /// Every value as text, NULL as "NULL".
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<String>>, String> {
        match self {
            ServerConnection::Postgres(client) => {
                let messages = client.simple_query(sql).map_err(|e| {
                    e.as_db_error()
                        .map_or_else(|| e.to_string(), |db| db.message().to_string())
                })?;
                Ok(messages
                    .iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).unwrap_or("NULL").to_string())
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect())
            }
            ServerConnection::Mysql(conn) => {
                use mysql::prelude::Queryable;
                let rows: Vec<mysql::Row> = conn.query(sql).map_err(|e| e.to_string())?;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        row.unwrap()
                            .into_iter()
                            .map(|value| match value {
                                mysql::Value::NULL => "NULL".to_string(),
                                mysql::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                                other => other.as_sql(true).trim_matches('\'').to_string(),
                            })
                            .collect()
                    })
                    .collect())
            }
        }
    }

    /// Runs `sql`, panicking with the database's message when it fails.
    pub fn run(&mut self, sql: &str) {
        self.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// A database of its own on a test server, dropped when the test ends (also when it
/// panics), so tests run in parallel.
pub struct ServerDatabase {
    pub db: Db,
    pub name: String,
    /// The URL mb is given: the server's URL with this database.
    pub url: String,
}

impl ServerDatabase {
    pub fn create(db: Db) -> ServerDatabase {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "mb_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let server = db.server_url();
        let mut admin = ServerConnection::open(db, &server)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", mask(&server)));
        admin.run(&format!("DROP DATABASE IF EXISTS {name}"));
        admin.run(&format!("CREATE DATABASE {name}"));
        let mut url = url::Url::parse(&server).expect("a server URL");
        url.set_path(&name);
        ServerDatabase {
            db,
            name,
            url: url.to_string(),
        }
    }

    /// The server's `host:port`, as mb prints it.
    pub fn address(&self) -> String {
        let url = url::Url::parse(&self.url).expect("a server URL");
        let port = url.port().unwrap_or(match self.db {
            Db::Mysql => 3306,
            _ => 5432,
        });
        format!("{}:{port}", url.host_str().expect("a host"))
    }

    pub fn connect(&self) -> ServerConnection {
        ServerConnection::open(self.db, &self.url)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", mask(&self.url)))
    }
}

impl Drop for ServerDatabase {
    fn drop(&mut self) {
        let force = if self.db == Db::Postgres {
            " WITH (FORCE)"
        } else {
            ""
        };
        if let Ok(mut admin) = ServerConnection::open(self.db, &self.db.server_url()) {
            let _ = admin.query(&format!("DROP DATABASE IF EXISTS {}{force}", self.name));
        }
    }
}

/// A project directory with its own database, removed when dropped.
pub struct TestProject {
    _dir: TempDir,
    root: PathBuf,
    database_url: Option<String>,
    pub db: Db,
    pub server: Option<ServerDatabase>,
}

impl TestProject {
    /// An empty temp dir: no `mb.toml`, no migrations.
    pub fn empty() -> TestProject {
        let dir = tempfile::Builder::new()
            .prefix("mb-cli-")
            .tempdir()
            .expect("create a temp dir");
        // mb reports the working directory as the OS resolves it; compare like with like.
        let root = dir.path().canonicalize().expect("canonical temp dir");
        TestProject {
            _dir: dir,
            root,
            database_url: None,
            db: Db::Sqlite,
            server: None,
        }
    }

    /// An empty temp dir (no `mb.toml`) with a database of its own on `db`: a new
    /// database on the test server, or `app.db` for SQLite (created by the first
    /// [`TestProject::execute`]). Commands need `--database-url`.
    pub fn empty_on(db: Db) -> TestProject {
        let mut project = Self::empty();
        if db != Db::Sqlite {
            let server = ServerDatabase::create(db);
            project.database_url = Some(server.url.clone());
            project.db = db;
            project.server = Some(server);
        }
        project
    }

    /// A project after `mb db init` on `db`: the default SQLite file, or a new database
    /// on the test server.
    pub fn on(db: Db) -> TestProject {
        let mut project = Self::new();
        project.use_database(db);
        project
    }

    /// Points the project at `db`: a new database on the test server (the default
    /// SQLite file stays the default).
    pub fn use_database(&mut self, db: Db) {
        if db == Db::Sqlite {
            return;
        }
        let server = ServerDatabase::create(db);
        self.set_config_url(Some(&server.url));
        self.database_url = Some(server.url.clone());
        self.db = db;
        self.server = Some(server);
    }

    /// A project after `mb db init`, on the default database (`app.db` beside mb.toml).
    pub fn new() -> TestProject {
        Self::with_database_url(None)
    }

    /// A project after `mb db init` whose `mb.toml` names `database_url` (the default
    /// SQLite file when `None`).
    pub fn with_database_url(database_url: Option<&str>) -> TestProject {
        let mut project = Self::empty();
        project.ok(&["-q", "db", "init"]);
        if let Some(url) = database_url {
            project.set_config_url(Some(url));
            project.database_url = Some(url.to_string());
        }
        project
    }

    /// A project on `db` whose migrations are `ids`, a linear chain where revision `id`
    /// creates table `t_<id>` (see [`TestProject::table_revision`]).
    pub fn with_chain(db: Db, ids: &[&str]) -> TestProject {
        let project = Self::on(db);
        project.chain(ids);
        project
    }

    /// A fork on `db`: `aaa111`, then `bbb222` and `ccc333` both revising it (two heads).
    pub fn with_fork(db: Db) -> TestProject {
        let project = Self::on(db);
        project.table_revision("aaa111", "");
        project.table_revision("bbb222", "aaa111");
        project.table_revision("ccc333", "aaa111");
        project
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `rel` below the project root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `rel` below the project root as mb prints an absolute path.
    pub fn abs(&self, rel: &str) -> String {
        self.path(rel).display().to_string()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Writes `rel` (creating its directories).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    pub fn read(&self, rel: &str) -> String {
        let path = self.path(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(&path).expect("create directory");
        path
    }

    /// The file names in `migrations/versions`, sorted.
    pub fn revision_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path("migrations/versions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Replaces the `database_url` line of mb.toml (removes it for `None`).
    pub fn set_config_url(&self, url: Option<&str>) {
        let line = url
            .map(|u| format!("database_url = \"{u}\"\n"))
            .unwrap_or_default();
        self.write(
            "mb.toml",
            format!("{line}{}", self.config_without("database_url")),
        );
    }

    /// Sets `databases` in mb.toml to `list`, TOML as written (`["sqlite", "mysql"]`).
    pub fn set_databases(&self, list: &str) {
        let config = self.config_without("databases");
        self.write("mb.toml", format!("{config}databases = {list}\n"));
    }

    /// mb.toml without the line of `key`.
    fn config_without(&self, key: &str) -> String {
        self.read("mb.toml")
            .lines()
            .filter(|line| !line.starts_with(key))
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// Says in mb.toml that the project deploys only to its own database.
    pub fn deploy_only_here(&self) {
        self.set_databases(&format!("[\"{}\"]", self.db.name().to_lowercase()));
    }

    // ----- running mb -----

    /// `mb` in the project root, with no `DATABASE_URL` from the test's environment and
    /// `RUST_BACKTRACE=1`, so a backtrace would show if mb ever printed one.
    pub fn mb(&self) -> Command {
        self.mb_in(".")
    }

    /// `mb` in the directory `rel` below the project root.
    pub fn mb_in(&self, rel: &str) -> Command {
        Command::from_std(self.mb_process(rel))
    }

    /// The same as a plain `std::process::Command`, for tests that spawn several at once.
    pub fn mb_process(&self, rel: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mb"));
        cmd.current_dir(self.root.join(rel))
            .env_remove("DATABASE_URL")
            .env("RUST_BACKTRACE", "1")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Starts `mb ARGS` in the root in the background, its stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.mb_process(".")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start mb")
    }

    /// Runs `mb ARGS` in the root and asserts that it succeeds.
    pub fn ok(&self, args: &[&str]) -> Run {
        ok(self.mb().args(args))
    }

    /// Runs `mb ARGS` in the root, asserts that it fails with exit code `code` and a
    /// one-line error, and returns the message after `error: `.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        fails(self.mb().args(args), code)
    }

    /// Runs `mb ARGS` in the root, which refuses (exit 8) under the migration lock, after
    /// naming the database it connected to: returns the lines between that one and the
    /// error (the findings), and the message after `error: `.
    pub fn refused(&self, args: &[&str]) -> (Vec<String>, String) {
        let (mut progress, message) = fails_after_progress(self.mb().args(args), 8);
        assert_eq!(
            progress.first(),
            Some(&self.using_line(false)),
            "{progress:?} {message}"
        );
        progress.remove(0);
        (progress, message)
    }

    /// The id of the revision `mb db revision ARGS` wrote, from the file name it printed.
    pub fn new_revision(&self, args: &[&str]) -> String {
        let mut all = vec!["db", "revision"];
        all.extend_from_slice(args);
        let run = self.ok(&all);
        let path = run
            .stdout
            .strip_prefix("Generating ")
            .and_then(|s| s.strip_suffix(" ... done\n"))
            .unwrap_or_else(|| panic!("unexpected output of mb db revision: {:?}", run.stdout));
        let name = Path::new(path)
            .file_name()
            .expect("a file name")
            .to_string_lossy();
        name.split('_').next().expect("an id").to_string()
    }

    // ----- revision files -----

    /// Writes `migrations/versions/<id>_<slug>.sql` with a Flask-Migrate style header;
    /// `revises` is the text after `Revises:` (empty for a base revision). Returns the
    /// path relative to the root.
    pub fn write_revision(
        &self,
        id: &str,
        revises: &str,
        message: &str,
        up: &str,
        down: &str,
    ) -> String {
        let rel = format!("migrations/versions/{id}_{}.sql", slug(message));
        self.write(&rel, revision_text(id, revises, message, up, down));
        rel
    }

    /// A revision that creates table `t_<id>` with one row, and drops it on the way down
    /// (saying that the row is meant to go, `-- mb:allow-data-loss`), so the tables in the
    /// database tell which revisions are applied.
    pub fn table_revision(&self, id: &str, revises: &str) -> String {
        let table = table_of(id);
        self.write_revision(
            id,
            revises,
            &format!("create {table}"),
            &format!("CREATE TABLE \"{table}\" (\"id\" INTEGER PRIMARY KEY);\nINSERT INTO \"{table}\" (\"id\") VALUES (1);\n"),
            &format!("-- mb:allow-data-loss\nDROP TABLE \"{table}\";\n"),
        )
    }

    /// A linear chain of [`TestProject::table_revision`]s, each revising the one before.
    pub fn chain(&self, ids: &[&str]) {
        let mut parent = "";
        for id in ids {
            self.table_revision(id, parent);
            parent = id;
        }
    }

    // ----- the database -----

    /// The URL the project's mb.toml names.
    pub fn database_url(&self) -> &str {
        self.database_url.as_deref().unwrap_or("sqlite:///app.db")
    }

    /// The SQLite file the project's URL names.
    pub fn sqlite_path(&self) -> PathBuf {
        let url = self.database_url();
        let path = url
            .strip_prefix("sqlite:///")
            .unwrap_or_else(|| panic!("not an SQLite file URL: {url}"));
        self.root.join(path)
    }

    /// Runs `sql` against the project's database; every value as text, NULL as "NULL".
    /// The one place that needs a driver per database. On MySQL, double quotes quote
    /// identifiers as they do in mb's sessions.
    pub fn query(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.server {
            None => self.query_sqlite(sql),
            Some(server) => server
                .connect()
                .query(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// The line mb prints first when it migrates this project's database; `created` is
    /// whether an SQLite file is new (a server database always exists already).
    pub fn using_line(&self, created: bool) -> String {
        match &self.server {
            None if created => format!("Creating SQLite database {}", self.sqlite_path().display()),
            None => format!("Using SQLite database {}", self.sqlite_path().display()),
            Some(server) => format!(
                "Using {} database {} on {}",
                self.product(),
                server.name,
                server.address()
            ),
        }
    }

    /// What mb calls this project's database system: the database's name, but MariaDB
    /// when the MySQL server is a MariaDB one.
    pub fn product(&self) -> &'static str {
        if self.db == Db::Mysql && self.scalar("SELECT VERSION()").contains("MariaDB") {
            return "MariaDB";
        }
        self.db.name()
    }

    /// What mb calls this project's database in messages: the SQLite path, or
    /// `name on host:port`.
    pub fn location(&self) -> String {
        match &self.server {
            None => self.sqlite_path().display().to_string(),
            Some(server) => format!("{} on {}", server.name, server.address()),
        }
    }

    /// The database's message for a table that does not exist.
    pub fn no_such_table(&self, table: &str) -> String {
        match &self.server {
            None => format!("no such table: {table}"),
            Some(_) if self.db == Db::Postgres => format!("relation \"{table}\" does not exist"),
            Some(server) => format!("Table '{}.{table}' doesn't exist", server.name),
        }
    }

    /// Runs `sql` (one statement or a whole script) against the project's database, as
    /// a user with a database client would; creates an SQLite file that does not exist.
    pub fn execute(&self, sql: &str) {
        self.try_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// [`TestProject::execute`], with the database's message when `sql` fails.
    pub fn try_execute(&self, sql: &str) -> Result<(), String> {
        match &self.server {
            None => {
                let conn = rusqlite::Connection::open(self.sqlite_path())
                    .unwrap_or_else(|e| panic!("open {}: {e}", self.sqlite_path().display()));
                conn.execute_batch(sql).map_err(|e| e.to_string())
            }
            Some(server) => server.connect().query(sql).map(|_| ()),
        }
    }

    fn query_sqlite(&self, sql: &str) -> Vec<Vec<String>> {
        use rusqlite::types::ValueRef;
        let path = self.sqlite_path();
        assert!(path.is_file(), "no database at {}", path.display());
        let conn = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let width = statement.column_count();
        let text = |value: ValueRef| match value {
            ValueRef::Null => "NULL".to_string(),
            ValueRef::Integer(n) => n.to_string(),
            ValueRef::Real(x) => x.to_string(),
            ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        };
        let rows = statement
            .query_map([], |row| {
                (0..width).map(|i| row.get_ref(i).map(text)).collect()
            })
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.collect::<rusqlite::Result<_>>()
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The single value of a one-row, one-column query.
    pub fn scalar(&self, sql: &str) -> String {
        let rows = self.query(sql);
        assert_eq!(rows.len(), 1, "{sql} returned {rows:?}");
        rows[0][0].clone()
    }

    /// The user's tables (mb's own and the database's internal ones left out), sorted.
    pub fn tables(&self) -> Vec<String> {
        let sql = match self.db {
            Db::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            }
            Db::Postgres => {
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
            Db::Mysql => {
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
            }
        };
        let mut tables: Vec<String> = self
            .first_column(sql)
            .into_iter()
            .filter(|name| !["mb_version", "mb_history", "mb_progress"].contains(&name.as_str()))
            .collect();
        tables.sort();
        tables
    }

    /// The names of the indexes on `table`, sorted (primary keys left out).
    pub fn indexes(&self, table: &str) -> Vec<String> {
        let literal = table.replace('\'', "''");
        let sql = match self.db {
            Db::Sqlite => format!(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{literal}' AND sql IS NOT NULL"
            ),
            Db::Postgres => format!(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = current_schema() AND t.relname = '{literal}' AND NOT i.indisprimary"
            ),
            Db::Mysql => format!(
                "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '{literal}' AND index_name <> 'PRIMARY'"
            ),
        };
        let mut names = self.first_column(&sql);
        names.sort();
        names
    }

    /// The first value of each row of `sql`.
    pub fn first_column(&self, sql: &str) -> Vec<String> {
        self.query(sql)
            .into_iter()
            .map(|mut row| row.remove(0))
            .collect()
    }

    /// The column names of `table`, in order.
    pub fn columns(&self, table: &str) -> Vec<String> {
        let literal = table.replace('\'', "''");
        let sql = match self.db {
            Db::Sqlite => format!("SELECT name FROM pragma_table_info('{literal}') ORDER BY cid"),
            Db::Postgres => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{literal}' ORDER BY ordinal_position"
            ),
            Db::Mysql => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{literal}' ORDER BY ordinal_position"
            ),
        };
        self.first_column(&sql)
    }

    /// The project's database as mb reads it, compared through the database with
    /// `known` schemas (see `Backend::introspect_against`).
    pub fn live_schema(&self, known: &[&mb::schema::Schema]) -> Result<mb::schema::Schema, String> {
        let url = mb::config::DatabaseUrl::parse(self.database_url(), &self.root)
            .map_err(|e| e.message)?;
        let mut connected =
            mb::backend::connect(&url, mb::backend::OpenMode::Read).map_err(|e| e.message)?;
        connected
            .backend
            .introspect_against(known)
            .map(|live| live.schema)
            .map_err(|e| e.message)
    }

    /// The rows of `mb_version`, sorted.
    pub fn version_rows(&self) -> Vec<String> {
        self.first_column("SELECT version_num FROM mb_version ORDER BY version_num")
    }

    /// The rows of `mb_history`, oldest first.
    pub fn history_rows(&self) -> Vec<HistoryRow> {
        self.query("SELECT revision, operation, checksum, applied_at, duration_ms FROM mb_history ORDER BY id")
            .into_iter()
            .map(|row| HistoryRow {
                revision: row[0].clone(),
                operation: row[1].clone(),
                checksum: row[2].clone(),
                applied_at: row[3].clone(),
                duration_ms: row[4].parse().unwrap_or_else(|_| panic!("duration_ms {:?}", row[4])),
            })
            .collect()
    }

    /// `(revision, operation)` of every `mb_history` row, oldest first.
    pub fn history_ops(&self) -> Vec<(String, String)> {
        self.history_rows()
            .into_iter()
            .map(|row| (row.revision, row.operation))
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub revision: String,
    pub operation: String,
    pub checksum: String,
    pub applied_at: String,
    pub duration_ms: i64,
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

fn describe(cmd: &Command, output: &Output) -> String {
    format!(
        "{cmd:?}\nexit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn run(cmd: &mut Command) -> (Output, String) {
    let output = cmd.output().expect("run mb");
    let description = describe(cmd, &output);
    (output, description)
}

/// A database with objects mb leaves alone and tables no revision made: `adopt` keeps
/// the tables, then `adopt`, `check`, `migrate` and `inspect` each warn about exactly
/// `objects` and find nothing else to do. Returns what `inspect` printed.
pub fn assert_left_alone_by_every_command(p: &TestProject, objects: &[&str]) -> String {
    let adopt = p.ok(&["db", "adopt", "-m", "hand-made"]);
    assert_warned(&adopt.stderr, objects);
    let check = p.ok(&["db", "check"]);
    assert_warned(&check.stderr, objects);
    assert!(
        check.stderr.contains("No changes: schema.sql matches "),
        "{check:?}"
    );
    let migrate = p.ok(&["db", "migrate", "-m", "x"]);
    assert_warned(&migrate.stderr, objects);
    assert!(migrate.stderr.contains("No changes in schema detected."));
    let inspect = p.ok(&["db", "inspect"]);
    assert_warned(&inspect.stderr, objects);
    inspect.stdout
}

/// `stderr` has one warning line for each of `objects`, in order, and no other.
pub fn assert_warned(stderr: &str, objects: &[&str]) {
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), objects.len(), "{stderr}");
    for (line, object) in warnings.iter().zip(objects) {
        assert!(
            line.starts_with(&format!("warning: {object}")),
            "{line}\nnot {object}"
        );
        assert!(line.ends_with(", which mb does not manage yet; it is left as it is and is not in schema.sql or the baseline"), "{line}");
    }
}

/// Runs `cmd` and asserts that it succeeds.
pub fn ok(cmd: &mut Command) -> Run {
    let (output, description) = run(cmd);
    assert!(output.status.success(), "expected success:\n{description}");
    Run {
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `cmd`, asserts that it fails with exit code `code`, prints nothing on stdout and
/// exactly one line on stderr, `error: …`, without a panic or a backtrace. Returns the
/// message after `error: `.
pub fn fails(cmd: &mut Command, code: i32) -> String {
    let (output, description) = run(cmd);
    assert_eq!(
        output.status.code(),
        Some(code),
        "wrong exit code:\n{description}"
    );
    assert!(
        output.stdout.is_empty(),
        "stdout should be empty:\n{description}"
    );
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    assert_error_line(&stderr, &description)
}

/// Like [`fails`], for errors that come after progress lines (`Running upgrade …`): the
/// error must be the last line of stderr and the only one starting with `error: `.
pub fn fails_after_progress(cmd: &mut Command, code: i32) -> (Vec<String>, String) {
    let (output, description) = run(cmd);
    assert_eq!(
        output.status.code(),
        Some(code),
        "wrong exit code:\n{description}"
    );
    let stderr = String::from_utf8(output.stderr).expect("UTF-8 stderr");
    let lines: Vec<String> = stderr.lines().map(str::to_string).collect();
    let (last, progress) = lines
        .split_last()
        .unwrap_or_else(|| panic!("no stderr:\n{description}"));
    assert!(
        !progress.iter().any(|l| l.starts_with("error")),
        "more than one error line:\n{description}"
    );
    let message = assert_error_line(&format!("{last}\n"), &description);
    (progress.to_vec(), message)
}

fn assert_error_line(stderr: &str, description: &str) -> String {
    let lower = stderr.to_lowercase();
    assert!(
        !lower.contains("panicked")
            && !lower.contains("backtrace")
            && !lower.contains("internal error"),
        "a panic or backtrace:\n{description}"
    );
    let message = stderr
        .strip_prefix("error: ")
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| {
            panic!("stderr should be one line starting with 'error: ':\n{description}")
        });
    assert!(
        !message.contains('\n'),
        "stderr should be one line:\n{description}"
    );
    assert!(
        !message.trim().is_empty(),
        "empty error message:\n{description}"
    );
    message.to_string()
}

/// mb's error for a revision id that matches no revision.
pub fn no_such_revision(id: &str) -> String {
    format!("no revision '{id}' in the migrations; `mb db history` lists them")
}

/// The table [`TestProject::table_revision`] creates for revision `id`.
pub fn table_of(id: &str) -> String {
    format!("t_{id}")
}

/// The tables the revisions `ids` create, sorted like [`TestProject::tables`].
pub fn tables_of(ids: &[&str]) -> Vec<String> {
    let mut tables: Vec<String> = ids.iter().map(|id| table_of(id)).collect();
    tables.sort();
    tables
}

/// A revision file as a Flask-Migrate user would write it by hand.
pub fn revision_text(id: &str, revises: &str, message: &str, up: &str, down: &str) -> String {
    format!(
        "-- {message}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n-- Create Date: 2026-01-02 03:04:05.000000\n--\n-- migrate:up\n{up}\n-- migrate:down\n{down}"
    )
}

fn slug(message: &str) -> String {
    message
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// SHA-256 of `text` as lowercase hex, as mb records it.
pub fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The before/after pairs of `fixtures/schemas/`, in name order.
pub fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}
