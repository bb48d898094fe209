//! What the user sees: results on stdout, progress and warnings on stderr, errors as one
//! line, and never a Rust backtrace.

use std::io::Write;

use crate::Error;
use crate::runtime::Reporter;

pub struct Output {
    quiet: bool,
    verbose: u8,
}

impl Output {
    pub fn new(quiet: bool, verbose: u8) -> Output {
        Output { quiet, verbose }
    }

    pub fn verbose(&self) -> bool {
        self.verbose > 0
    }

    /// A result line on stdout. A closed pipe (`mb db history | head`) ends quietly.
    pub fn print(&self, line: &str) {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}").is_err() {
            std::process::exit(0);
        }
    }
}

impl Reporter for Output {
    fn info(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
    fn detail(&self, line: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("{line}");
        }
    }
    fn warn(&self, line: &str) {
        eprintln!("{line}");
    }
}

pub fn report_error(error: &Error) -> i32 {
    eprintln!("error: {}", error.message);
    error.exit_code()
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
