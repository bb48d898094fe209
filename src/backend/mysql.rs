//! MySQL and MariaDB through the `mysql` crate (pure Rust, TLS by rustls with ring).
//!
//! Each DDL statement commits implicitly, so the runtime applies a revision statement by
//! statement and records its progress (`transactional_ddl` is false). The session runs
//! with `ANSI_QUOTES` and `PIPES_AS_CONCAT`, so portable SQL means the same as elsewhere:
//! `"user"` is an identifier and `||` concatenates. It runs without
//! `NO_BACKSLASH_ESCAPES` (taken out if the server sets it), so a backslash in a string
//! literal escapes, as the SQL mb renders for MySQL (and `upgrade --sql` prints) expects.

use std::time::Duration;

use ::mysql::prelude::Queryable;
use ::mysql::{Conn, DriverError, OptsBuilder, SslOpts, Value};

use super::server::{self, Refusal};
use super::{Backend, Connected, Rows};
use crate::config::url::{ServerUrl, TlsMode};
use crate::dialect::Dialect;
use crate::schema::Schema;
use crate::{Error, Result};

const ER_DBACCESS_DENIED: u16 = 1044;
const ER_ACCESS_DENIED: u16 = 1045;
const ER_BAD_DB: u16 = 1049;

pub struct MysqlBackend {
    conn: Conn,
    url: ServerUrl,
    /// The name of the `GET_LOCK` lock this connection holds.
    locked: Option<String>,
    /// "MySQL" or "MariaDB", for messages.
    product: &'static str,
}

impl MysqlBackend {
    pub fn connect(url: &ServerUrl) -> Result<Connected> {
        let mut init = vec![
            "SET SESSION sql_mode = CONCAT_WS(',', NULLIF(REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), ''), 'ANSI_QUOTES', 'PIPES_AS_CONCAT')".to_string(),
        ];
        if let Some(charset) = url.param("charset") {
            // Validated as letters, digits and '_' when the URL was parsed.
            init.push(format!("SET NAMES {charset}"));
        }
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(url.host.clone()))
            .tcp_port(url.port_or_default())
            .user(Some(server::user(url)))
            .pass(url.password.clone())
            .db_name(Some(url.database.clone()))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(server::connect_timeout(url)))
            .init(init);
        // Like the mysql client's ssl-mode: encrypt without verifying the certificate.
        let tls = SslOpts::default().with_danger_accept_invalid_certs(true);
        let conn = server::within_connect_timeout(url, {
            let url = url.clone();
            move || {
                match url.tls_mode() {
                    TlsMode::Disable => Conn::new(opts),
                    TlsMode::Require => Conn::new(opts.ssl_opts(tls)),
                    TlsMode::Prefer => match Conn::new(opts.clone().ssl_opts(tls)) {
                        Err(::mysql::Error::DriverError(DriverError::TlsNotSupported)) => {
                            Conn::new(opts)
                        }
                        other => other,
                    },
                }
                .map_err(|e| connect_error(&url, e))
            }
        })?;
        // MariaDB answers the same protocol; its version string says which it is.
        let mut conn = conn;
        let product = match conn.query_first::<String, _>("SELECT VERSION()") {
            Ok(Some(version)) if version.contains("MariaDB") => "MariaDB",
            _ => "MySQL",
        };
        Ok(Connected {
            backend: Box::new(MysqlBackend {
                conn,
                url: url.clone(),
                locked: None,
                product,
            }),
            created: false,
            missing: false,
        })
    }

    fn fail(&self, action: &str, message: String) -> Error {
        Error::database(format!(
            "cannot {action} on {} database {}: {message}",
            self.product,
            self.location()
        ))
    }

    fn run(&mut self, action: &str, sql: &str) -> Result<()> {
        self.conn
            .query_drop(sql)
            .map_err(|e| self.fail(action, message(&e)))
    }

    /// One value of a one-row query with parameters.
    fn value<T: ::mysql::prelude::FromValue>(
        &mut self,
        action: &str,
        sql: &str,
        params: impl Into<::mysql::Params>,
    ) -> Result<Option<T>> {
        self.conn
            .exec_first(sql, params)
            .map_err(|e| self.fail(action, message(&e)))
    }

    /// The connection holding lock `name`, for the waiting message.
    fn lock_holder(&mut self, name: &str) -> String {
        let holder: Option<(u64, String, String)> = self
            .conn
            .exec_first(
                "SELECT p.ID, p.USER, p.HOST FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(?)",
                (name,),
            )
            .ok()
            .flatten();
        match holder {
            Some((id, user, host)) => format!("MySQL connection {id} ({user} from {host})"),
            None => "another connection".into(),
        }
    }
}

impl Backend for MysqlBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn location(&self) -> String {
        self.url.location()
    }

    fn product(&self) -> &'static str {
        self.product
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.conn.query_drop(sql).map_err(|e| message(&e))
    }

    fn query(&mut self, sql: &str) -> Result<Rows, String> {
        let rows: Vec<::mysql::Row> = self.conn.query(sql).map_err(|e| message(&e))?;
        Ok(rows
            .into_iter()
            .map(|row| row.unwrap().into_iter().map(text).collect())
            .collect())
    }

    fn table_exists(&mut self, name: &str) -> Result<bool> {
        let count: Option<i64> = self.value(
            "read the schema",
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            (name,),
        )?;
        Ok(count.unwrap_or(0) > 0)
    }

    fn begin(&mut self) -> Result<()> {
        self.run("start a transaction", "START TRANSACTION")
    }

    fn commit(&mut self) -> Result<()> {
        self.run("commit", "COMMIT")
    }

    fn rollback(&mut self) -> Result<()> {
        self.run("roll back", "ROLLBACK")
    }

    fn lock(&mut self, timeout: Duration, waiting: &mut dyn FnMut(&str)) -> Result<()> {
        let name = format!(
            "mb_{:016x}",
            server::lock_key(&format!(
                "{}.{}",
                self.url.database,
                crate::runtime::version::VERSION_TABLE
            ))
        );
        let action = "take the migration lock";
        let mut got: Option<i64> = self.value(action, "SELECT GET_LOCK(?, 0)", (&name,))?;
        if got == Some(0) {
            let holder = self.lock_holder(&name);
            waiting(&holder);
            got = self.value(
                action,
                "SELECT GET_LOCK(?, ?)",
                (&name, timeout.as_secs_f64()),
            )?;
        }
        match got {
            Some(1) => {
                self.locked = Some(name);
                Ok(())
            }
            Some(0) => Err(super::lock_timeout(&self.location(), timeout)),
            _ => Err(self.fail(action, "GET_LOCK returned NULL".into())),
        }
    }

    fn introspect(&mut self) -> Result<super::Introspected> {
        super::mysql_introspect::introspect(&mut self.conn, &[])
    }

    fn introspect_against(&mut self, known: &[&Schema]) -> Result<super::Introspected> {
        super::mysql_introspect::introspect(&mut self.conn, known)
    }

    fn unlock(&mut self) -> Result<()> {
        let Some(name) = self.locked.take() else {
            return Ok(());
        };
        self.value::<Option<i64>>(
            "release the migration lock",
            "SELECT RELEASE_LOCK(?)",
            (name,),
        )
        .map(|_| ())
    }
}

/// A value of the text protocol as text.
pub(super) fn text(value: Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

/// The server's own message for a statement error, or the driver's for anything else.
/// The driver shows its causes wrapped (`IoError { server disconnected }`) and does not
/// give them as `source`, so each is unwrapped here.
pub(super) fn message(e: &::mysql::Error) -> String {
    use ::mysql::Error::{CodecError, DriverError, IoError, MySqlError, UrlError};
    match e {
        MySqlError(e) => e.message.clone(),
        IoError(e) => io_message(e),
        CodecError(e) => match std::error::Error::source(e)
            .and_then(|source| source.downcast_ref::<std::io::Error>())
        {
            Some(io) => io_message(io),
            None => server::plain(&e.to_string()),
        },
        DriverError(e) => server::root_cause(e),
        UrlError(e) => server::root_cause(e),
        other => server::root_cause(other),
    }
}

/// An input/output failure: a connection the server ended or that broke says so, other
/// failures (refused, unreachable) are the system's reason.
fn io_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind::{
        BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected, UnexpectedEof,
    };
    match e.kind() {
        kind
        @ (BrokenPipe | ConnectionAborted | ConnectionReset | NotConnected | UnexpectedEof) => {
            format!("the connection to the server was lost ({kind})")
        }
        _ => server::root_cause(e),
    }
}

fn connect_error(url: &ServerUrl, e: ::mysql::Error) -> Error {
    let refusal = match &e {
        ::mysql::Error::MySqlError(e) if e.code == ER_BAD_DB => Refusal::UnknownDatabase,
        ::mysql::Error::MySqlError(e)
            if e.code == ER_ACCESS_DENIED || e.code == ER_DBACCESS_DENIED =>
        {
            Refusal::Credentials(e.message.clone())
        }
        ::mysql::Error::DriverError(DriverError::TlsNotSupported) => Refusal::TlsUnsupported,
        ::mysql::Error::DriverError(DriverError::CouldNotConnect(Some((_, reason, _)))) => {
            Refusal::Unreachable(server::plain(reason))
        }
        ::mysql::Error::DriverError(DriverError::ConnectTimeout) | ::mysql::Error::IoError(_) => {
            Refusal::Unreachable(message(&e))
        }
        other => Refusal::Other(message(other)),
    };
    server::cannot_connect(url, refusal)
}
