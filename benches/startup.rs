//! Start-up commands on a large history: `heads`, `current` and `history` with 1,000 and
//! 10,000 revision files (target: under 50 ms at 10,000, and linear growth).

mod support;

use std::path::Path;

use support::{mb, median, millis, print_table};

fn write_chain(dir: &Path, count: usize) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.join("mb.toml"), "").unwrap();
    let mut parent = String::new();
    for i in 0..count {
        let id = format!("{:012x}", i + 1);
        let text = format!(
            "-- table {i}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n-- Create Date: 2026-11-24 10:00:00\n--\n-- migrate:up\nCREATE TABLE \"t{i}\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40));\n\n-- migrate:down\nDROP TABLE \"t{i}\";\n"
        );
        std::fs::write(versions.join(format!("{id}_table_{i}.sql")), text).unwrap();
        parent = id;
    }
}

fn main() {
    let mut rows = Vec::new();
    for count in [1_000, 10_000] {
        let tmp = tempfile::tempdir().unwrap();
        write_chain(tmp.path(), count);
        // The database at the middle of the chain, so `current` reads real rows.
        let middle = format!("{:012x}", count / 2);
        let stamp = mb(tmp.path(), &["db", "stamp", &middle]).output().unwrap();
        assert!(stamp.status.success());
        for verb in ["heads", "current", "history"] {
            let time = median(9, || mb(tmp.path(), &["db", verb]), || {});
            rows.push(vec![
                verb.to_string(),
                count.to_string(),
                millis(time),
                "50 ms".into(),
            ]);
        }
    }
    print_table(
        "Start-up commands (median of 9 runs, real binary)",
        &["command", "revisions", "mb", "target"],
        &rows,
    );
}
