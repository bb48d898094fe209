//! `mb db shell`: the database's own client (`sqlite3`, `psql`, `mariadb`/`mysql`),
//! connected to the configured database. The connection goes in the client's
//! environment variables and options, the password only in the environment
//! (`PGPASSWORD`, `MYSQL_PWD`), never on the command line where `ps` shows it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::commands::Context;
use crate::config::DatabaseUrl;
use crate::config::url::{ServerUrl, TlsMode};
use crate::dialect::Dialect;
use crate::runtime::Reporter;
use crate::{Error, Result};

/// A database client: the programs that may provide it, and where to get one.
struct Client {
    programs: &'static [&'static str],
    what: &'static str,
    install: &'static str,
}

const SQLITE: Client = Client {
    programs: &["sqlite3"],
    what: "the SQLite shell",
    install: "apt install sqlite3, or brew install sqlite",
};
const POSTGRES: Client = Client {
    programs: &["psql"],
    what: "the PostgreSQL client",
    install: "apt install postgresql-client, or brew install libpq",
};
/// MariaDB's client first: recent ones warn when started as `mysql`.
const MYSQL: Client = Client {
    programs: &["mariadb", "mysql"],
    what: "the MySQL/MariaDB client",
    install: "apt install mariadb-client (or mysql-client), or brew install mysql-client",
};

impl Context {
    /// Replaces mb with the client (on Unix; elsewhere it waits for the client and
    /// returns its exit code). `args` go to the client after mb's own.
    pub(super) fn shell(&self, args: &[OsString]) -> Result<i32> {
        let project = self.project_or_default()?;
        let url = &project.database_url;
        let client = match url.dialect() {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
            Dialect::Mysql => &MYSQL,
        };
        let program = client
            .programs
            .iter()
            .find_map(|name| find_on_path(name))
            .ok_or_else(|| {
                Error::config(format!(
                    "{} ({}) is not installed or not on PATH; install it ({}) to use `mb db shell`",
                    client.programs.join(" or "),
                    client.what,
                    client.install
                ))
            })?;
        let mut command = Command::new(&program);
        match url {
            DatabaseUrl::Sqlite(sqlite) => {
                if let Some(path) = &sqlite.path {
                    if !path.is_file() {
                        return Err(Error::database(format!(
                            "there is no database at {url} yet; `mb db upgrade` creates it"
                        )));
                    }
                    if sqlite.read_only {
                        command.arg("-readonly");
                    }
                    command.arg(path);
                }
            }
            DatabaseUrl::Server(server) if server.dialect == Dialect::Postgres => {
                postgres_connection(&mut command, server);
            }
            DatabaseUrl::Server(server) => mysql_connection(&mut command, server),
        }
        command.args(args);
        self.out.info(&format!(
            "Opening {} on {url} with {}",
            client.what,
            program.display()
        ));
        run(command, &program)
    }
}

/// libpq reads the whole connection from its environment.
fn postgres_connection(command: &mut Command, server: &ServerUrl) {
    command
        .env("PGHOST", &server.host)
        .env("PGPORT", server.port_or_default().to_string())
        .env("PGDATABASE", &server.database)
        .env_remove("PGPASSWORD");
    if let Some(user) = &server.user {
        command.env("PGUSER", user);
    }
    if let Some(password) = &server.password {
        command.env("PGPASSWORD", password);
    }
    command.env(
        "PGSSLMODE",
        match server.tls_mode() {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
        },
    );
    // mb works in the URL's schema; the shell should see the same tables.
    let options: Vec<String> = server
        .param("options")
        .map(str::to_string)
        .into_iter()
        .chain(
            server
                .param("schema")
                .map(|s| format!("-c search_path={s}")),
        )
        .collect();
    if !options.is_empty() {
        command.env("PGOPTIONS", options.join(" "));
    }
    if let Some(name) = server.param("application_name") {
        command.env("PGAPPNAME", name);
    }
    if let Some(seconds) = server.param("connect_timeout") {
        command.env("PGCONNECT_TIMEOUT", seconds);
    }
}

/// The client's options, over TCP like mb (`localhost` would mean the socket to it).
fn mysql_connection(command: &mut Command, server: &ServerUrl) {
    command
        .arg(format!("--host={}", server.host))
        .arg(format!("--port={}", server.port_or_default()))
        .arg("--protocol=TCP")
        .env_remove("MYSQL_PWD");
    if let Some(user) = &server.user {
        command.arg(format!("--user={user}"));
    }
    if let Some(password) = &server.password {
        command.env("MYSQL_PWD", password);
    }
    if let Some(charset) = server.param("charset") {
        command.arg(format!("--default-character-set={charset}"));
    }
    if let Some(seconds) = server.param("connect_timeout") {
        command.arg(format!("--connect-timeout={seconds}"));
    }
    command.arg(format!("--database={}", server.database));
}

/// The first executable file called `name` in a directory of PATH.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Unix: the client takes over mb's process (its exit code is the command's).
#[cfg(unix)]
fn run(mut command: Command, program: &Path) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let e = command.exec();
    Err(start_error(program, &e))
}

#[cfg(not(unix))]
fn run(mut command: Command, program: &Path) -> Result<i32> {
    let status = command.status().map_err(|e| start_error(program, &e))?;
    Ok(status.code().unwrap_or(1))
}

fn start_error(program: &Path, e: &std::io::Error) -> Error {
    Error::config(format!("cannot start {}: {e}", program.display()))
}
