//! Database URLs in SQLAlchemy's forms, so a Flask project's `DATABASE_URL` works as is.
//!
//! `sqlite:///relative.db` (relative to the project root, the folder of `mb.toml`),
//! `sqlite:////absolute.db`, `sqlite://` (in memory), `postgresql://user:pw@host:port/db`
//! (also `postgres://`, `postgresql+psycopg2://`), `mysql://…` / `mariadb://…` (also
//! `mysql+pymysql://`). Mistakes get one line that shows the corrected URL.

use std::fmt;
use std::path::{Path, PathBuf};

use super::mask::mask_passwords;
use crate::dialect::Dialect;
use crate::{Error, Result};

/// A parsed database URL. Its `Display` never shows a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(SqliteUrl),
    Server(ServerUrl),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteUrl {
    /// `None` for an in-memory database.
    pub path: Option<PathBuf>,
    pub read_only: bool,
}

/// A PostgreSQL or MySQL/MariaDB server URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl {
    pub dialect: Dialect,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub database: String,
    /// Query parameters (`sslmode=require`, `options=…`), in the order given; only the
    /// ones in [`ServerUrl::known_params`] pass parsing.
    pub params: Vec<(String, String)>,
}

/// Whether a server connection uses TLS: PostgreSQL's `sslmode`, MySQL's `ssl-mode`.
/// Like libpq and the mysql client, `require` encrypts without verifying the server's
/// certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
}

/// A URL parameter mb understands: its name, and the values it takes (`None`: any text).
struct Param {
    name: &'static str,
    values: Option<&'static [&'static str]>,
}

const fn param(name: &'static str, values: Option<&'static [&'static str]>) -> Param {
    Param { name, values }
}

const POSTGRES_PARAMS: [Param; 5] = [
    param("sslmode", Some(&["disable", "prefer", "require"])),
    param("options", None),
    param("schema", None),
    param("application_name", None),
    param("connect_timeout", None),
];

const MYSQL_PARAMS: [Param; 5] = [
    param("ssl-mode", Some(&["DISABLED", "PREFERRED", "REQUIRED"])),
    param("ssl_mode", Some(&["DISABLED", "PREFERRED", "REQUIRED"])),
    param("ssl", Some(&["true", "false"])),
    param("charset", None),
    param("connect_timeout", None),
];

impl ServerUrl {
    fn known_params(&self) -> &'static [Param] {
        match self.dialect {
            Dialect::Mysql => &MYSQL_PARAMS,
            _ => &POSTGRES_PARAMS,
        }
    }

    /// The last value given for parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.dialect {
            Dialect::Mysql => 3306,
            _ => 5432,
        })
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port_or_default())
        } else {
            format!("{}:{}", self.host, self.port_or_default())
        }
    }

    /// `app on db.example:5432`, for messages.
    pub fn location(&self) -> String {
        format!("{} on {}", self.database, self.address())
    }

    /// The TLS mode the URL asks for; without one, TLS is used when the server offers it.
    pub fn tls_mode(&self) -> TlsMode {
        let mode = self.params.iter().rev().find_map(|(key, value)| {
            match (key.as_str(), value.as_str()) {
                ("sslmode" | "ssl-mode" | "ssl_mode", mode) => Some(mode.to_ascii_lowercase()),
                ("ssl", "true") => Some("required".into()),
                ("ssl", _) => Some("disabled".into()),
                _ => None,
            }
        });
        match mode.as_deref() {
            Some("disable" | "disabled") => TlsMode::Disable,
            Some("require" | "required") => TlsMode::Require,
            _ => TlsMode::Prefer,
        }
    }

    /// `connect_timeout=SECONDS`, validated when the URL was parsed.
    pub fn connect_timeout(&self) -> Option<std::time::Duration> {
        self.param("connect_timeout")
            .and_then(|s| s.parse().ok())
            .map(std::time::Duration::from_secs)
    }

    /// Rejects parameters mb does not know, and values it cannot use, so that a typo
    /// never silently turns TLS off.
    fn check_params(&self, raw: &str) -> Result<()> {
        let known = self.known_params();
        for (key, value) in &self.params {
            let Some(param) = known.iter().find(|p| p.name == key) else {
                let names: Vec<&str> = known.iter().map(|p| p.name).collect();
                return Err(invalid(
                    raw,
                    &format!(
                        "unknown {} parameter '{key}'; the known ones are {}",
                        self.dialect.name(),
                        names.join(", ")
                    ),
                ));
            };
            let allowed = param.values.unwrap_or_default();
            let fits = match param.values {
                Some(values) => values.iter().any(|v| v.eq_ignore_ascii_case(value)),
                None if key == "connect_timeout" => value.parse::<u32>().is_ok(),
                None if key == "charset" => {
                    !value.is_empty()
                        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                }
                None => !value.is_empty(),
            };
            if !fits {
                let expected = match (allowed, key.as_str()) {
                    ([], "connect_timeout") => "a whole number of seconds".to_string(),
                    ([], "charset") => "a character set name such as utf8mb4".to_string(),
                    ([], _) => "a value".to_string(),
                    (values, _) => values.join(", "),
                };
                return Err(invalid(
                    raw,
                    &format!("{key}={value} is not supported; {key} takes {expected}"),
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({self})")
    }
}

const SCHEMES: [(&str, Option<Dialect>); 5] = [
    ("sqlite", None),
    ("postgresql", Some(Dialect::Postgres)),
    ("postgres", Some(Dialect::Postgres)),
    ("mysql", Some(Dialect::Mysql)),
    ("mariadb", Some(Dialect::Mysql)),
];

impl DatabaseUrl {
    /// Parses `raw`; relative SQLite paths are resolved against `base_dir`.
    pub fn parse(raw: &str, base_dir: &Path) -> Result<DatabaseUrl> {
        let raw = raw.trim();
        let Some(colon) = raw.find(':') else {
            return Err(invalid(
                raw,
                "it has no scheme; use sqlite:///app.db, postgresql://user@host/db or mysql://user@host/db",
            ));
        };
        let scheme = raw[..colon].to_ascii_lowercase();
        // SQLAlchemy's driver suffix (`postgresql+psycopg2`) names a Python driver; mb has its own.
        let base_scheme = scheme.split('+').next().unwrap_or_default();
        let rest = &raw[colon + 1..];
        match SCHEMES.iter().find(|(name, _)| *name == base_scheme) {
            Some((_, None)) => parse_sqlite(raw, rest, base_dir).map(DatabaseUrl::Sqlite),
            Some((_, Some(dialect))) => parse_server(raw, *dialect).map(DatabaseUrl::Server),
            None => Err(unknown_scheme(raw, &scheme, rest)),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            DatabaseUrl::Sqlite(_) => Dialect::Sqlite,
            DatabaseUrl::Server(s) => s.dialect,
        }
    }
}

fn invalid(raw: &str, why: &str) -> Error {
    Error::config(mask_passwords(
        &format!("invalid database URL '{raw}': {why}"),
        Some(raw),
    ))
}

fn parse_sqlite(raw: &str, rest: &str, base_dir: &Path) -> Result<SqliteUrl> {
    let (location, query) = match rest.split_once('?') {
        Some((l, q)) => (l, Some(q)),
        None => (rest, None),
    };
    let read_only = parse_sqlite_query(raw, query)?;
    let suffix = query.map(|q| format!("?{q}")).unwrap_or_default();
    if location.is_empty() || location == "//" {
        return Ok(SqliteUrl {
            path: None,
            read_only,
        });
    }
    let Some(path) = location.strip_prefix("///") else {
        let name = location.trim_start_matches('/');
        return Err(invalid(
            raw,
            &format!(
                "an SQLite URL needs three slashes before a relative path and four before an absolute one; use 'sqlite:///{name}{suffix}' (or 'sqlite:////{name}{suffix}' for /{name})"
            ),
        ));
    };
    if path.contains('\\') {
        let fixed = path.replace('\\', "/");
        return Err(invalid(
            raw,
            &format!(
                "backslashes are not path separators in a URL; use 'sqlite:///{fixed}{suffix}'"
            ),
        ));
    }
    if path.is_empty() {
        return Err(invalid(
            raw,
            "it names no database file; use 'sqlite:///app.db' (or 'sqlite://' for an in-memory database)",
        ));
    }
    if path == ":memory:" {
        return Ok(SqliteUrl {
            path: None,
            read_only,
        });
    }
    let has_drive =
        path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic();
    if has_drive && !cfg!(windows) {
        return Err(invalid(
            raw,
            &format!(
                "'{path}' is a Windows path and this is not Windows; use 'sqlite:////absolute/path/app.db' or 'sqlite:///relative.db'"
            ),
        ));
    }
    if path.ends_with('/') {
        return Err(invalid(
            raw,
            &format!(
                "'{path}' is a directory, not a database file; use 'sqlite:///{path}app.db{suffix}'"
            ),
        ));
    }
    let path = Path::new(path);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    };
    Ok(SqliteUrl {
        path: Some(normalize(&path)),
        read_only,
    })
}

/// The one SQLite parameter mb knows is `mode=ro|rw|rwc`; anything else is an error
/// rather than being ignored.
fn parse_sqlite_query(raw: &str, query: Option<&str>) -> Result<bool> {
    let mut read_only = false;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("mode", "ro")) => read_only = true,
            Some(("mode", "rw" | "rwc")) => read_only = false,
            _ => {
                return Err(invalid(
                    raw,
                    &format!("unknown SQLite parameter '{pair}'; the only one is mode=ro|rw|rwc"),
                ));
            }
        }
    }
    Ok(read_only)
}

/// Removes `.` and `..` components without touching the file system (the file may not
/// exist yet), so the path mb prints is the one a user would type.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn parse_server(raw: &str, dialect: Dialect) -> Result<ServerUrl> {
    let url = url::Url::parse(raw).map_err(|e| invalid(raw, &e.to_string()))?;
    if !raw[url.scheme().len()..].starts_with("://") {
        return Err(invalid(
            raw,
            &format!("use '{}://user:password@host:port/database'", url.scheme()),
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            invalid(
                raw,
                &format!(
                    "it names no host; use '{}://user@localhost/database'",
                    url.scheme()
                ),
            )
        })?
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let database = decode(url.path().trim_start_matches('/'));
    if database.is_empty() || database.contains('/') {
        return Err(invalid(
            raw,
            &format!(
                "it must name one database after the host; use '{}://{}/mydb'",
                url.scheme(),
                host
            ),
        ));
    }
    let user = Some(decode(url.username())).filter(|u| !u.is_empty());
    let password = url.password().map(decode);
    let params = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let server = ServerUrl {
        dialect,
        user,
        password,
        host,
        port: url.port(),
        database,
        params,
    };
    server.check_params(raw)?;
    Ok(server)
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn unknown_scheme(raw: &str, scheme: &str, rest: &str) -> Error {
    let closest = SCHEMES
        .iter()
        .enumerate()
        .map(|(position, (name, _))| (edit_distance(scheme, name), position, *name))
        .min()
        .filter(|(distance, _, _)| *distance <= 3);
    let hint = match closest {
        Some((_, _, name)) => format!("use '{name}:{rest}'"),
        None => "use sqlite:///app.db, postgresql://user@host/db or mysql://user@host/db".into(),
    };
    Error::config(mask_passwords(
        &format!("invalid database URL '{raw}': unknown scheme '{scheme}'; {hint}"),
        Some(raw),
    ))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(SqliteUrl { path: None, .. }) => {
                f.write_str("sqlite:// (in memory)")
            }
            DatabaseUrl::Sqlite(SqliteUrl { path: Some(p), .. }) => {
                write!(f, "sqlite:///{}", p.display())
            }
            DatabaseUrl::Server(s) => s.fmt(f),
        }
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.dialect {
            Dialect::Mysql => "mysql",
            _ => "postgresql",
        };
        write!(f, "{scheme}://")?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if self.password.is_some() {
                f.write_str(":***")?;
            }
            f.write_str("@")?;
        }
        write!(f, "{}/{}", self.address(), self.database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<DatabaseUrl> {
        DatabaseUrl::parse(raw, Path::new("/project"))
    }

    fn sqlite_path(raw: &str) -> Option<PathBuf> {
        match parse(raw).unwrap() {
            DatabaseUrl::Sqlite(s) => s.path,
            other => panic!("not sqlite: {other:?}"),
        }
    }

    fn error(raw: &str) -> String {
        parse(raw).unwrap_err().message
    }

    #[test]
    fn sqlite_relative_paths_resolve_against_the_project_root() {
        assert_eq!(
            sqlite_path("sqlite:///app.db"),
            Some("/project/app.db".into())
        );
        assert_eq!(
            sqlite_path("sqlite:///./data/../app.db"),
            Some("/project/app.db".into())
        );
        assert_eq!(
            sqlite_path("sqlite+pysqlite:///instance/app.db"),
            Some("/project/instance/app.db".into())
        );
    }

    #[test]
    fn sqlite_four_slashes_is_absolute_and_two_is_memory() {
        assert_eq!(
            sqlite_path("sqlite:////var/data/app.db"),
            Some("/var/data/app.db".into())
        );
        assert_eq!(sqlite_path("sqlite://"), None);
        assert_eq!(sqlite_path("sqlite:///:memory:"), None);
    }

    #[test]
    fn sqlite_read_only_mode() {
        let DatabaseUrl::Sqlite(url) = parse("sqlite:///app.db?mode=ro").unwrap() else {
            panic!()
        };
        assert!(url.read_only);
        assert!(
            error("sqlite:///app.db?check_same_thread=false")
                .contains("unknown SQLite parameter 'check_same_thread=false'")
        );
    }

    #[test]
    fn two_slashes_shows_the_three_slash_form() {
        assert_eq!(
            error("sqlite://app.db"),
            "invalid database URL 'sqlite://app.db': an SQLite URL needs three slashes before a relative path and four before an absolute one; use 'sqlite:///app.db' (or 'sqlite:////app.db' for /app.db)"
        );
        assert!(error("sqlite:app.db").contains("use 'sqlite:///app.db'"));
    }

    #[test]
    fn windows_backslashes_show_the_forward_slash_form() {
        assert_eq!(
            error(r"sqlite:///C:\path\app.db"),
            r"invalid database URL 'sqlite:///C:\path\app.db': backslashes are not path separators in a URL; use 'sqlite:///C:/path/app.db'"
        );
    }

    #[test]
    fn empty_and_directory_paths_are_errors() {
        assert!(error("sqlite:///").contains("names no database file"));
        assert!(error("sqlite:///data/").contains("use 'sqlite:///data/app.db'"));
    }

    #[test]
    fn unknown_schemes_suggest_the_closest_known_one() {
        assert_eq!(
            error("postgresq://bob:secret@db/app"),
            "invalid database URL 'postgresq://bob:***@db/app': unknown scheme 'postgresq'; use 'postgresql://bob:***@db/app'"
        );
        assert!(error("sqlite3:///app.db").contains("use 'sqlite:///app.db'"));
        assert!(error("oracle://x/y").contains("use sqlite:///app.db, postgresql://"));
        assert!(error("app.db").contains("it has no scheme"));
    }

    #[test]
    fn server_urls_parse_and_never_display_the_password() {
        let DatabaseUrl::Server(url) =
            parse("postgresql+psycopg2://bob:s%40cret@db.example:6543/app?sslmode=require")
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(url.dialect, Dialect::Postgres);
        assert_eq!(url.user.as_deref(), Some("bob"));
        assert_eq!(url.password.as_deref(), Some("s@cret"));
        assert_eq!(url.host, "db.example");
        assert_eq!(url.port, Some(6543));
        assert_eq!(url.database, "app");
        assert_eq!(url.params, vec![("sslmode".into(), "require".into())]);
        assert_eq!(url.to_string(), "postgresql://bob:***@db.example:6543/app");
        assert_eq!(url.location(), "app on db.example:6543");
        assert_eq!(url.tls_mode(), TlsMode::Require);
        assert!(!format!("{url:?}").contains("cret"));
        let DatabaseUrl::Server(url) = parse("mariadb://root@127.0.0.1/test").unwrap() else {
            panic!()
        };
        assert_eq!(url.dialect, Dialect::Mysql);
        assert_eq!(url.to_string(), "mysql://root@127.0.0.1:3306/test");
        assert_eq!(url.tls_mode(), TlsMode::Prefer);
    }

    fn server(raw: &str) -> ServerUrl {
        match parse(raw).unwrap() {
            DatabaseUrl::Server(url) => url,
            other => panic!("not a server URL: {other:?}"),
        }
    }

    #[test]
    fn ipv6_hosts_keep_their_brackets_in_messages() {
        let url = server("postgresql://u@[::1]:5433/app");
        assert_eq!(url.host, "::1");
        assert_eq!(url.location(), "app on [::1]:5433");
        assert_eq!(url.to_string(), "postgresql://u@[::1]:5433/app");
    }

    #[test]
    fn tls_modes_of_both_servers() {
        assert_eq!(
            server("postgresql://h/d?sslmode=disable").tls_mode(),
            TlsMode::Disable
        );
        assert_eq!(server("postgresql://h/d").tls_mode(), TlsMode::Prefer);
        assert_eq!(
            server("mysql://h/d?ssl-mode=REQUIRED").tls_mode(),
            TlsMode::Require
        );
        assert_eq!(
            server("mysql://h/d?ssl_mode=disabled").tls_mode(),
            TlsMode::Disable
        );
        assert_eq!(server("mysql://h/d?ssl=true").tls_mode(), TlsMode::Require);
        assert_eq!(server("mysql://h/d?ssl=false").tls_mode(), TlsMode::Disable);
        assert_eq!(
            server("postgresql://h/d?options=-csearch_path%3Dapp&schema=x").param("options"),
            Some("-csearch_path=app")
        );
    }

    #[test]
    fn unknown_parameters_and_values_are_errors_that_list_the_known_ones() {
        assert_eq!(
            error("postgresql://bob:pw@h/d?sslmod=require"),
            "invalid database URL 'postgresql://bob:***@h/d?sslmod=require': unknown PostgreSQL parameter 'sslmod'; the known ones are sslmode, options, schema, application_name, connect_timeout"
        );
        assert_eq!(
            error("mysql://h/d?sslmode=require"),
            "invalid database URL 'mysql://h/d?sslmode=require': unknown MySQL parameter 'sslmode'; the known ones are ssl-mode, ssl_mode, ssl, charset, connect_timeout"
        );
        assert_eq!(
            error("postgresql://h/d?sslmode=verify-full"),
            "invalid database URL 'postgresql://h/d?sslmode=verify-full': sslmode=verify-full is not supported; sslmode takes disable, prefer, require"
        );
        assert!(error("mysql://h/d?connect_timeout=soon").ends_with(
            "connect_timeout=soon is not supported; connect_timeout takes a whole number of seconds"
        ));
        assert!(
            error("mysql://h/d?charset=utf8;drop").contains("charset takes a character set name")
        );
        assert!(error("postgresql://h/d?schema=").contains("schema takes a value"));
    }

    #[test]
    fn server_urls_need_a_host_and_a_database() {
        assert!(error("postgresql://bob:pw@db").contains("must name one database"));
        assert!(error("postgresql:///app").contains("names no host"));
        assert!(!error("postgresql://bob:hunter2@db").contains("hunter2"));
    }
}
