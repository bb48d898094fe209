//! The cache of revision files (`migrations/.mb_cache/`): a run takes the text of a file
//! unchanged since an earlier run cached it from the cache, sees every change to a file
//! at once, and carries on when the cache is damaged or cannot be written.

mod common;

use std::time::Duration;

use common::{Db, TestProject};

const CACHE: &str = "migrations/.mb_cache/revisions";

/// Files are cached only once they last changed a few seconds before the run (see
/// `SETTLED` in src/script/cache.rs): older than that, a later write gets a later time.
fn wait_until_settled() {
    std::thread::sleep(Duration::from_millis(3_300));
}

/// `mb db history` in `p`, with the cache on or off.
fn history(p: &TestProject, cache: bool) -> String {
    let mut cmd = p.mb();
    cmd.args(["db", "history"]);
    if !cache {
        cmd.env("MB_NO_CACHE", "1");
    }
    common::ok(&mut cmd).stdout
}

#[test]
fn settled_files_come_from_the_cache_and_any_change_to_a_file_is_seen() {
    let p = TestProject::with_chain(Db::Sqlite, &["r1", "r2"]);
    let r1 = "migrations/versions/r1_create_t_r1.sql";
    let r2 = "migrations/versions/r2_create_t_r2.sql";
    assert!(p.exists(r1) && p.exists(r2));
    history(&p, true);
    assert!(!p.exists(CACHE), "files just written are not cached");

    wait_until_settled();
    let expected = "r1 -> r2 (head), create t_r2\n<base> -> r1, create t_r1\n";
    assert_eq!(history(&p, true), expected);
    assert!(p.exists(CACHE), "the settled files are cached");
    let ignore = p.read("migrations/.mb_cache/.gitignore");
    assert!(ignore.lines().any(|line| line == "*"), "{ignore}");

    // The cache is what the run reads: a text changed in the cache (and only there)
    // shows. With the cache off, the file's own text does.
    let cache = std::fs::read(p.path(CACHE)).unwrap();
    let message = b"-- create t_r1";
    let at = cache
        .windows(message.len())
        .position(|w| w == message)
        .expect("r1 is cached");
    let mut tampered = cache.clone();
    tampered[at + 3..at + 9].copy_from_slice(b"CREATE");
    std::fs::write(p.path(CACHE), tampered).unwrap();
    assert_eq!(
        history(&p, true),
        expected.replace("create t_r1", "CREATE t_r1")
    );
    assert_eq!(history(&p, false), expected);
    std::fs::write(p.path(CACHE), cache).unwrap();

    // The cached SQL is the SQL that runs.
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["t_r1", "t_r2"]);

    // An edit in place that keeps the size, straight after a run: seen.
    let edited = p.read(r2).replace("-- create t_r2", "-- renew! t_r2");
    p.write(r2, &edited);
    let shown = history(&p, true);
    assert!(shown.contains("r1 -> r2 (head), renew! t_r2\n"), "{shown}");
    let current = p.ok(&["db", "current", "-v"]).stdout;
    assert!(
        current.contains("(FILE CHANGED since it was applied)"),
        "{current}"
    );

    // A file removed, and one added: seen.
    std::fs::remove_file(p.path(r2)).unwrap();
    p.table_revision("r3", "r1");
    assert_eq!(
        history(&p, true),
        "r1 -> r3 (head), create t_r3\n<base> -> r1, create t_r1\n"
    );
}

#[test]
fn a_damaged_or_unwritable_cache_changes_nothing_but_speed() {
    let p = TestProject::with_chain(Db::Sqlite, &["r1", "r2"]);
    wait_until_settled();
    let expected = history(&p, false);
    assert!(!p.exists(CACHE), "MB_NO_CACHE=1 writes no cache");

    p.write(CACHE, "not a cache");
    assert_eq!(history(&p, true), expected);
    let rewritten = std::fs::read(p.path(CACHE)).unwrap();
    assert!(
        rewritten.starts_with(b"mb revision cache"),
        "the damaged cache is replaced"
    );
    assert_eq!(history(&p, true), expected);

    // Where the cache cannot be written (here a file is in the way of its directory),
    // commands work as before.
    std::fs::remove_dir_all(p.path("migrations/.mb_cache")).unwrap();
    p.write("migrations/.mb_cache", "in the way");
    assert_eq!(history(&p, true), expected);
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["t_r1", "t_r2"]);
    assert_eq!(p.read("migrations/.mb_cache"), "in the way");
}
