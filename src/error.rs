//! The one error type of mb. Every failure a user can cause ends here, as a single line
//! that says what went wrong, where, and how to fix it, plus an exit code per class.

use std::fmt;

/// The class of a failure; each class has its own exit code (documented in docs/errors.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// mb.toml, `.env`, or a database URL is wrong.
    Config,
    /// A revision file, the revision graph, or a revision target is wrong.
    Script,
    /// The declared schema (`schema.sql`) could not be understood.
    Schema,
    /// The database refused a connection or a statement.
    Database,
    /// Another process holds the migration lock for too long.
    Lock,
    /// mb refused to go on because going on could lose data or hide a problem.
    Safety,
    /// Reading or writing a file failed.
    Io,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Config => 3,
            ErrorKind::Script => 4,
            ErrorKind::Schema => 5,
            ErrorKind::Database => 6,
            ErrorKind::Lock => 7,
            ErrorKind::Safety => 8,
            ErrorKind::Io => 9,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn script(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Script, message)
    }
    pub fn schema(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Schema, message)
    }
    pub fn database(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Database, message)
    }
    pub fn safety(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Safety, message)
    }
    /// A file-system failure on `path`, with the operating system's reason.
    pub fn io(action: &str, path: &std::path::Path, err: &std::io::Error) -> Self {
        Self::new(
            ErrorKind::Io,
            format!("cannot {action} {}: {}", path.display(), io_reason(err)),
        )
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

/// The OS reason without Rust's "(os error N)" suffix.
fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
