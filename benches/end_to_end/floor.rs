//! The floor: the statements mb runs, executed directly through the driver in one
//! connection and nothing else. The same binary is started by hyperfine as
//! `end_to_end floor URL SCRIPT`, so the floor pays for a process start like mb does.

use std::path::Path;

/// The statements of a script as `mb db upgrade --sql` prints them (each ends with `;`
/// at the end of a line; `--` lines are comments).
pub fn statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        if current.is_empty() && (line.starts_with("--") || line.trim().is_empty()) {
            continue;
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(line);
        if let Some(done) = current.strip_suffix(';') {
            statements.push(done.to_string());
            current.clear();
        }
    }
    assert!(current.is_empty(), "unterminated statement: {current}");
    statements
}

/// Runs `script`'s statements one by one against `url` (`sqlite:////ABSOLUTE`,
/// `postgresql://…`, `mysql://…`).
pub fn run(url: &str, script: &Path) {
    let text = std::fs::read_to_string(script).expect("the floor's script");
    let statements = statements(&text);
    if let Some(path) = url.strip_prefix("sqlite:///") {
        let conn = rusqlite::Connection::open(path).expect("open SQLite");
        // The connection set-up mb does too.
        conn.busy_timeout(std::time::Duration::from_secs(60))
            .unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        for sql in &statements {
            conn.execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    } else if url.starts_with("postgres") {
        let mut client = postgres::Client::connect(url, postgres::NoTls).expect("PostgreSQL");
        for sql in &statements {
            client
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    } else {
        use mysql::prelude::Queryable;
        let mut conn = mysql::Conn::new(mysql::Opts::from_url(url).unwrap()).expect("MySQL");
        for sql in &statements {
            conn.query_drop(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// Makes an empty database for the next run: removes an SQLite file (or copies a
/// template over it), or drops and creates a server database.
pub fn reset(url: &str, template: Option<&Path>) {
    if let Some(path) = url.strip_prefix("sqlite:///") {
        for suffix in ["", "-journal", "-wal"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        if let Some(template) = template {
            std::fs::copy(template, path).expect("copy the template database");
        }
        return;
    }
    let (server, name) = url.rsplit_once('/').expect("a database name");
    if url.starts_with("postgres") {
        let mut client = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
            .expect("PostgreSQL");
        // One statement at a time: several in one string would run as a transaction.
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
    } else {
        use mysql::prelude::Queryable;
        let mut conn = mysql::Conn::new(mysql::Opts::from_url(server).unwrap()).expect("MySQL");
        conn.query_drop(format!(
            "DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"
        ))
        .unwrap();
    }
}
