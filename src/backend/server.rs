//! What the PostgreSQL and MySQL backends share: connection defaults, the one-line
//! connection errors, and the name of the migration lock.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::Error;
use crate::config::url::ServerUrl;
use crate::dialect::Dialect;

/// How long a connection attempt may take unless the URL says `connect_timeout=N`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub fn connect_timeout(url: &ServerUrl) -> Duration {
    url.connect_timeout().unwrap_or(CONNECT_TIMEOUT)
}

/// Runs `connect` on a thread of its own and gives up after the connect timeout: the
/// drivers' own timeouts cover only the TCP connection, so a server that accepts it and
/// then never answers would keep mb waiting forever.
pub fn within_connect_timeout<T: Send + 'static>(
    url: &ServerUrl,
    connect: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> crate::Result<T> {
    let timeout = connect_timeout(url);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || sender.send(connect()));
    receiver.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(cannot_connect(
            url,
            Refusal::Unreachable(format!(
                "the server accepted the connection but did not answer within {} s",
                timeout.as_secs()
            )),
        ))
    })
}

/// The URL's user, or the operating-system user as libpq and the mysql client default to.
pub fn user(url: &ServerUrl) -> String {
    url.user
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .unwrap_or_else(|| "root".into())
}

/// Why a connection failed, sorted so that each gets its own advice.
pub enum Refusal {
    /// Nobody answered at the address (server down, wrong host or port, a firewall).
    Unreachable(String),
    /// The server refused the user or the password.
    Credentials(String),
    /// The server has no database of that name.
    UnknownDatabase,
    /// The URL requires TLS and the server offers none.
    TlsUnsupported,
    /// The connection was made, but what came back was not this database's protocol (or
    /// the server hung up on it): the URL likely names another server's port. With the
    /// driver's words.
    WrongProtocol(String),
    /// Anything else, with the driver's words.
    Other(String),
}

/// `cannot connect to postgresql://bob:***@db:5432/app: <why>; <what to do>`.
pub fn cannot_connect(url: &ServerUrl, refusal: Refusal) -> Error {
    let (why, fix) = match refusal {
        Refusal::Unreachable(reason) => (
            reason,
            format!(
                "check that the {} server is running and listening on {}, or fix the host and port in the URL",
                url.dialect.name(),
                url.address()
            ),
        ),
        Refusal::Credentials(reason) => (
            reason,
            "check the user name and password in the URL".to_string(),
        ),
        Refusal::UnknownDatabase => (
            format!("the database {} does not exist", url.database),
            format!(
                "create it (CREATE DATABASE {}) or fix the database name in the URL",
                url.dialect.quote_ident(&url.database)
            ),
        ),
        Refusal::TlsUnsupported => (
            "the URL requires TLS and the server does not offer it".to_string(),
            format!(
                "enable TLS on the server, or allow a plain connection with {}",
                match url.dialect {
                    Dialect::Mysql => "ssl-mode=PREFERRED",
                    _ => "sslmode=prefer",
                }
            ),
        ),
        Refusal::WrongProtocol(reason) => (
            reason,
            format!(
                "the server listening on {} does not answer in {}'s protocol (is it another database's port? PostgreSQL's default is 5432, MySQL's 3306); fix the port in the URL",
                url.address(),
                url.dialect.name()
            ),
        ),
        Refusal::Other(reason) => (reason, "check the database URL".to_string()),
    };
    Error::database(format!("cannot connect to {url}: {why}; {fix}"))
}

/// The innermost cause of an error, as [`plain`] text.
pub fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    plain(&cause.to_string())
}

/// An operating-system reason as part of a sentence: "connection refused", without
/// Rust's "(os error N)" suffix.
pub fn plain(reason: &str) -> String {
    let reason = reason.find(" (os error").map_or(reason, |i| &reason[..i]);
    let mut chars = reason.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(reason.chars().skip(1)).collect()
        }
        _ => reason.to_string(),
    }
}

/// A stable 64-bit number for the lock of one version table (PostgreSQL's advisory locks
/// take a number; MySQL's `GET_LOCK` a name of at most 64 characters).
pub fn lock_key(scope: &str) -> i64 {
    let digest = Sha256::digest(format!("mb migration lock {scope}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_reasons() {
        assert_eq!(
            plain("Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(plain("SSL error"), "SSL error");
    }

    #[test]
    fn lock_keys_are_stable_and_differ_per_scope() {
        // Two versions of mb migrating one database must agree on the key.
        assert_eq!(lock_key("public.mb_version"), -5271087256634512627);
        assert_ne!(lock_key("public.mb_version"), lock_key("app.mb_version"));
    }
}
