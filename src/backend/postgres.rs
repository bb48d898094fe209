//! PostgreSQL through the synchronous `postgres` crate, with TLS by rustls (ring).
//!
//! DDL is transactional, so a revision and its version-table update commit together.
//! `?schema=NAME` (or `options=-csearch_path=NAME`) puts mb's tables and unqualified
//! names in another schema; every catalog query asks for `current_schema()`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ::postgres::config::SslMode;
use ::postgres::error::SqlState;
use ::postgres::{Client, Config, NoTls, SimpleQueryMessage};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::postgres_introspect;
use super::server::{self, Refusal};
use super::{Backend, Connected, Introspected, OpenMode, Rows};
use crate::config::url::{ServerUrl, TlsMode};
use crate::dialect::Dialect;
use crate::schema::Schema;
use crate::schema::restate::{in_column_order_of, restate};
use crate::{Error, ErrorKind, Result};

/// How often a waiting process asks for the advisory lock again.
const LOCK_POLL: Duration = Duration::from_millis(100);

pub struct PostgresBackend {
    client: Client,
    url: ServerUrl,
    /// The advisory lock this connection holds.
    locked: Option<i64>,
}

impl PostgresBackend {
    pub fn connect(url: &ServerUrl, mode: OpenMode) -> Result<Connected> {
        let mut config = Config::new();
        config
            .host(&url.host)
            .port(url.port_or_default())
            .user(&server::user(url))
            .dbname(&url.database)
            .application_name(url.param("application_name").unwrap_or("mb"))
            .connect_timeout(server::connect_timeout(url));
        if let Some(password) = &url.password {
            config.password(password);
        }
        if let Some(options) = url.param("options") {
            config.options(options);
        }
        let client = server::within_connect_timeout(url, {
            let url = url.clone();
            move || {
                match url.tls_mode() {
                    TlsMode::Disable => config.ssl_mode(SslMode::Disable).connect(NoTls),
                    mode => config
                        .ssl_mode(match mode {
                            TlsMode::Require => SslMode::Require,
                            _ => SslMode::Prefer,
                        })
                        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls_config())),
                }
                .map_err(|e| connect_error(&url, &e))
            }
        })?;
        let mut backend = PostgresBackend {
            client,
            url: url.clone(),
            locked: None,
        };
        // Portable SQL has standard string literals, where a backslash is an ordinary
        // character; a server configured otherwise must not read them as escapes.
        if let Err(e) = backend
            .client
            .batch_execute("SET standard_conforming_strings = on")
        {
            return Err(backend.fail("set up the session", &e));
        }
        let missing = match url.param("schema") {
            Some(schema) => backend.use_schema(schema, mode)?,
            None => false,
        };
        Ok(Connected {
            backend: Box::new(backend),
            created: false,
            missing,
        })
    }

    /// Points `search_path` at `schema`, creating it when a command writes. Returns true
    /// when it does not exist (a read-only command then sees an empty database).
    fn use_schema(&mut self, schema: &str, mode: OpenMode) -> Result<bool> {
        let exists = self
            .client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1",
                &[&schema],
            )
            .map(|row| row.get::<_, i64>(0) > 0)
            .map_err(|e| self.fail("read the schemas", &e))?;
        let quoted = Dialect::Postgres.quote_ident(schema);
        if !exists && mode == OpenMode::Write {
            self.client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))
                .map_err(|e| self.fail(&format!("create the schema {schema}"), &e))?;
        }
        self.client
            .batch_execute(&format!("SET search_path TO {quoted}"))
            .map_err(|e| self.fail("set the search path", &e))?;
        Ok(!exists && mode == OpenMode::Read)
    }

    fn fail(&self, action: &str, e: &::postgres::Error) -> Error {
        Error::database(format!(
            "cannot {action} on PostgreSQL database {}: {}",
            self.location(),
            message(e)
        ))
    }

    fn simple(&mut self, sql: &str) -> Result<(), String> {
        self.client.batch_execute(sql).map_err(|e| message(&e))
    }

    /// The server process holding advisory lock `key`, for the waiting message.
    fn lock_holder(&mut self, key: i64) -> String {
        // A bigint key shows in pg_locks as classid (high half) and objid (low half).
        let (high, low) = ((key >> 32) as u32, key as u32);
        let holder = self.client.query_opt(
            "SELECT l.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'a local socket') \
             FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.database = \
             (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
            &[&i64::from(high), &i64::from(low)],
        );
        match holder {
            Ok(Some(row)) => format!(
                "PostgreSQL process {} ({} from {})",
                row.get::<_, i32>(0),
                row.get::<_, String>(1),
                row.get::<_, String>(2)
            ),
            _ => "another connection".into(),
        }
    }
}

impl Backend for PostgresBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn location(&self) -> String {
        match self.url.param("schema") {
            Some(schema) => format!("{} (schema {schema})", self.url.location()),
            None => self.url.location(),
        }
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.simple(sql)
    }

    fn query(&mut self, sql: &str) -> Result<Rows, String> {
        let messages = self.client.simple_query(sql).map_err(|e| message(&e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }

    fn table_exists(&mut self, name: &str) -> Result<bool> {
        self.client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')",
                &[&name],
            )
            .map(|row| row.get::<_, i64>(0) > 0)
            .map_err(|e| self.fail("read the schema", &e))
    }

    fn begin(&mut self) -> Result<()> {
        self.client
            .batch_execute("BEGIN")
            .map_err(|e| self.fail("start a transaction", &e))
    }

    fn commit(&mut self) -> Result<()> {
        self.client
            .batch_execute("COMMIT")
            .map_err(|e| self.fail("commit", &e))
    }

    fn rollback(&mut self) -> Result<()> {
        // Outside a transaction ROLLBACK is only a warning, which mb does not print.
        self.client
            .batch_execute("ROLLBACK")
            .map_err(|e| self.fail("roll back", &e))
    }

    fn lock(&mut self, timeout: Duration, waiting: &mut dyn FnMut(&str)) -> Result<()> {
        // The lock belongs to the version table in the schema in use, so projects in two
        // schemas of one database migrate independently.
        let schema: Option<String> = self
            .client
            .query_one("SELECT current_schema()", &[])
            .map(|row| row.get(0))
            .map_err(|e| self.fail("read the current schema", &e))?;
        let key = server::lock_key(&format!(
            "{}.{}",
            schema.unwrap_or_default(),
            crate::runtime::version::VERSION_TABLE
        ));
        let deadline = Instant::now() + timeout;
        let mut told = false;
        loop {
            let got: bool = self
                .client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
                .map(|row| row.get(0))
                .map_err(|e| self.fail("take the migration lock", &e))?;
            if got {
                self.locked = Some(key);
                return Ok(());
            }
            if !told {
                let holder = self.lock_holder(key);
                waiting(&holder);
                told = true;
            }
            if Instant::now() >= deadline {
                return Err(super::lock_timeout(&self.location(), timeout));
            }
            std::thread::sleep(LOCK_POLL);
        }
    }

    fn introspect(&mut self) -> Result<Introspected> {
        let namespace: Option<String> = self
            .client
            .query_one("SELECT current_schema()", &[])
            .map(|row| row.get(0))
            .map_err(|e| self.fail("read the current schema", &e))?;
        match namespace {
            Some(namespace) => postgres_introspect::introspect(&mut self.client, &namespace),
            // No schema of the search path exists: nothing was created yet.
            None => Ok(Introspected::default()),
        }
    }

    /// PostgreSQL rewrites expressions and view queries, so each known schema is read
    /// back through a scratch schema (see [`postgres_introspect::read_back`]) and
    /// [`restate`] matches the live objects with it. The first known schema is the
    /// declared one: PostgreSQL refusing it is an error; the others only help.
    fn introspect_against(&mut self, known: &[&Schema]) -> Result<Introspected> {
        let Introspected {
            schema: live,
            unmanaged,
            namespace,
        } = self.introspect()?;
        let mut read = Vec::with_capacity(known.len());
        for (i, schema) in known.iter().enumerate() {
            let ordered = in_column_order_of(schema, &live);
            match postgres_introspect::read_back(&mut self.client, &ordered) {
                Ok(back) => read.push((*schema, back)),
                Err(e) if i == 0 && e.kind == ErrorKind::Schema => {
                    return Err(Error::schema(format!(
                        "the declared schema cannot be created on PostgreSQL database {}: {}; change it to something PostgreSQL accepts",
                        self.location(),
                        e.message
                    )));
                }
                Err(e) if i == 0 => {
                    return Err(Error::database(format!(
                        "cannot compare PostgreSQL database {} with the declared schema: {}",
                        self.location(),
                        e.message
                    )));
                }
                // Migrations that do not run here leave only the declared schema to go by.
                Err(_) => {}
            }
        }
        let pairs: Vec<(&Schema, &Schema)> = read.iter().map(|(s, r)| (*s, r)).collect();
        Ok(Introspected::new(
            restate(&live, &pairs),
            unmanaged,
            &namespace,
        ))
    }

    fn unlock(&mut self) -> Result<()> {
        let Some(key) = self.locked.take() else {
            return Ok(());
        };
        self.client
            .query_one("SELECT pg_advisory_unlock($1)", &[&key])
            .map(|_| ())
            .map_err(|e| self.fail("release the migration lock", &e))
    }
}

/// The server's own message for a statement error (with its hint, if any), or the
/// driver's for anything else.
pub(super) fn message(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.hint() {
            Some(hint) => format!("{} (hint: {hint})", db.message()),
            None => db.message().to_string(),
        },
        None => server::root_cause(e),
    }
}

fn connect_error(url: &ServerUrl, e: &::postgres::Error) -> Error {
    let refusal = match e.code() {
        Some(code) if *code == SqlState::INVALID_CATALOG_NAME => Refusal::UnknownDatabase,
        Some(code)
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            Refusal::Credentials(message(e))
        }
        Some(_) => Refusal::Other(message(e)),
        None => {
            let cause = server::root_cause(e);
            if cause == "server does not support TLS" {
                Refusal::TlsUnsupported
            } else if [
                "bytes remaining on stream",
                "connection reset",
                "unexpected message",
            ]
            .iter()
            .any(|sign| cause.contains(sign))
            {
                // Connected, then a reply that is not PostgreSQL's, or a hang-up (MariaDB
                // closes on a PostgreSQL start-up message).
                Refusal::WrongProtocol(cause)
            } else if cause == "password missing" {
                Refusal::Credentials("the server asks for a password and the URL has none".into())
            } else if e.to_string().starts_with("error connecting")
                || e.to_string().starts_with("timeout")
            {
                Refusal::Unreachable(cause)
            } else {
                Refusal::Other(cause)
            }
        }
    };
    server::cannot_connect(url, refusal)
}

/// TLS that encrypts without verifying the server's certificate: libpq's `sslmode=prefer`
/// and `require`, which is what managed PostgreSQL services expect of a client without a
/// root certificate.
fn tls_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth()
}

/// Accepts any certificate, still checking that the server holds its key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
