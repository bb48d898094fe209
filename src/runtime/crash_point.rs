//! Test-only crash points. With `MB_TEST_PAUSE_AT=N` set, mb stops for good at the Nth
//! point where a crash could leave the database half-way — after each statement a
//! revision runs, and just before each commit — printing
//! `mb-test-pause: N <where>` to stderr, so that a test can kill it exactly there
//! (tests/cli_crash.rs). Unset, it costs one environment look-up per process.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const PAUSE_AT_VAR: &str = "MB_TEST_PAUSE_AT";

/// Counts a crash point and, when it is the one asked for, waits to be killed.
pub fn reached(place: impl FnOnce() -> String) {
    static PAUSE_AT: OnceLock<Option<usize>> = OnceLock::new();
    static REACHED: AtomicUsize = AtomicUsize::new(0);
    let Some(pause_at) = *PAUSE_AT.get_or_init(|| {
        std::env::var(PAUSE_AT_VAR)
            .ok()
            .and_then(|v| v.parse().ok())
    }) else {
        return;
    };
    let point = REACHED.fetch_add(1, Ordering::Relaxed) + 1;
    if point == pause_at {
        eprintln!("mb-test-pause: {point} {}", place());
        // The test kills the process; should it not, a test run still ends.
        std::thread::sleep(Duration::from_secs(600));
        std::process::exit(101);
    }
}
