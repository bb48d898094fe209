//! What the user sees: results on stdout, progress and warnings on stderr, errors as one
//! line, and never a Rust backtrace.
//!
//! Colour: `error:` red, `warning:` yellow, the `(current)` and `(head)` marks green and
//! bold. Both streams go through `anstream`, which drops the colour codes unless the
//! stream is a terminal, `NO_COLOR` is unset, and `TERM` is not `dumb`; `CLICOLOR_FORCE=1`
//! keeps them in pipes, and `NO_COLOR` wins over it.
//!
//! On a terminal, a long upgrade or downgrade also shows one status line below the log
//! (`Applying 120/300 …`), redrawn in place and erased at the end (see
//! [`Reporter::status`]); it never appears when stderr is a file or a pipe.

use std::cell::RefCell;
use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};

use crate::Error;
use crate::runtime::{Reporter, RunStatus};

/// From this many revisions on, a run shows the status line; shorter runs are over
/// before one would help (a table rebuild shows it whatever the count).
const STATUS_MIN_REVISIONS: usize = 10;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const MARK: Style = AnsiColor::Green.on_default().bold();
/// Erases the terminal line the cursor is on.
const ERASE_LINE: &str = "\r\x1b[2K";

pub struct Output {
    quiet: bool,
    verbose: u8,
    /// Whether stderr is a terminal that may show a status line.
    status_terminal: bool,
    /// The status line on screen now, if any.
    status: RefCell<Option<String>>,
}

impl Output {
    pub fn new(quiet: bool, verbose: u8) -> Output {
        let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
        Output {
            quiet,
            verbose,
            status_terminal: !quiet && !dumb && std::io::stderr().is_terminal(),
            status: RefCell::new(None),
        }
    }

    pub fn verbose(&self) -> bool {
        self.verbose > 0
    }

    /// A result line on stdout. A closed pipe (`mb db history | head`) ends quietly.
    /// Text without colour codes goes straight to stdout: `anstream` would scan every
    /// byte of it for codes to strip (10,000 lines of `history`: milliseconds).
    pub fn print(&self, line: &str) {
        let written = match line.as_bytes().contains(&0x1b) {
            true => writeln!(anstream::stdout().lock(), "{line}"),
            false => writeln!(std::io::stdout().lock(), "{line}"),
        };
        if written.is_err() {
            std::process::exit(0);
        }
    }

    /// ` (current)`-style marks, coloured where colour is shown. Where it is not, the
    /// mark is plain text, so [`Output::print`] can skip stripping codes.
    pub fn mark(text: &str) -> String {
        static COLOURED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let coloured = COLOURED
            .get_or_init(|| anstream::stdout().current_choice() != anstream::ColorChoice::Never);
        match coloured {
            true => format!("{MARK}{text}{MARK:#}"),
            false => text.to_string(),
        }
    }

    /// A line on stderr, below which the status line (if any) is drawn again. The
    /// terminal controls bypass `anstream`, which would strip them with the colours. A
    /// line without colour is written with one system call (an upgrade writes one per
    /// revision) instead of going through `anstream`.
    fn line_on_stderr(&self, line: &str) {
        let status = self.status.borrow();
        let mut raw = std::io::stderr().lock();
        if status.is_some() {
            let _ = write!(raw, "{ERASE_LINE}");
        }
        let text = match line.strip_prefix("warning:") {
            Some(rest) => format!("{WARNING}warning:{WARNING:#}{rest}\n"),
            None => format!("{line}\n"),
        };
        let _ = match text.as_bytes().contains(&0x1b) {
            true => anstream::stderr().lock().write_all(text.as_bytes()),
            false => raw.write_all(text.as_bytes()),
        };
        if let Some(status) = status.as_deref() {
            let _ = write!(raw, "{status}");
        }
        let _ = raw.flush();
    }
}

impl Reporter for Output {
    fn info(&self, line: &str) {
        if !self.quiet {
            self.line_on_stderr(line);
        }
    }
    fn detail(&self, line: &dyn Fn() -> String) {
        if self.verbose > 0 && !self.quiet {
            self.line_on_stderr(&line());
        }
    }
    fn warn(&self, line: &str) {
        self.line_on_stderr(line);
    }
    fn confirm(&self, question: &str) -> bool {
        std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && super::renames::ask(question)
    }
    fn status(&self, status: RunStatus) {
        if !self.status_terminal {
            return;
        }
        let text = match status {
            RunStatus::Step { done, total } if total >= STATUS_MIN_REVISIONS => {
                Some(format!("Applying {}/{total} …", done + 1))
            }
            RunStatus::Rebuilding { done, total, table } => Some(format!(
                "Applying {}/{total}: rebuilding table {} …",
                done + 1,
                crate::schema::quoted(table)
            )),
            RunStatus::Step { .. } | RunStatus::Finished => None,
        };
        let mut stderr = std::io::stderr().lock();
        let _ = match &text {
            Some(text) => write!(stderr, "{ERASE_LINE}{text}"),
            None if self.status.borrow().is_some() => write!(stderr, "{ERASE_LINE}"),
            None => Ok(()),
        };
        let _ = stderr.flush();
        *self.status.borrow_mut() = text;
    }
}

/// Prints `error` as the one line every error is: text from elsewhere (a database's
/// message quoting SQL) that spans lines is folded onto it.
pub fn report_error(error: &Error) -> i32 {
    let _ = writeln!(
        anstream::stderr().lock(),
        "{ERROR}error:{ERROR:#} {}",
        one_line(&error.message)
    );
    error.exit_code()
}

/// `text` with its line breaks (and the indentation after them) folded into spaces.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bug must still read as one line, not a backtrace.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error in mb (a bug, please report it): {message}{location}");
    }));
}
