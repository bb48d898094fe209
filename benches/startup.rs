//! Start-up commands on a large history: `heads`, `current` and `history` with 1,000 and
//! 10,000 revision files (target: under 50 ms at 10,000, and linear growth), for a chain
//! and for a graph that branches and merges every ten revisions.

mod support;

use std::path::Path;

use support::{mb, median, millis, print_table};

#[derive(Clone, Copy)]
enum Shape {
    /// Each revision revises the one before.
    Chain,
    /// Blocks of ten: a revision, two branches of four on it, and their merge.
    Branched,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Branched => "branched",
        }
    }

    /// The parents of revision `i` (1-based ids; 0 is none).
    fn parents(self, i: usize) -> Vec<usize> {
        match (self, i % 10) {
            (_, _) if i == 1 => vec![],
            (Shape::Chain, _) => vec![i - 1],
            // 1: on the previous block's merge; 2-5 and 6-9: two branches; 0: the merge.
            (Shape::Branched, 1) => vec![i - 1],
            (Shape::Branched, 2) | (Shape::Branched, 6) => vec![i - (i % 10) + 1],
            (Shape::Branched, 0) => vec![i - 5, i - 1],
            (Shape::Branched, _) => vec![i - 1],
        }
    }
}

fn id(i: usize) -> String {
    format!("{i:012x}")
}

fn write_graph(dir: &Path, count: usize, shape: Shape) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::write(dir.join("mb.toml"), "").unwrap();
    for i in 1..=count {
        let parents: Vec<String> = shape.parents(i).into_iter().map(id).collect();
        let text = format!(
            "-- table {i}\n--\n-- Revision ID: {}\n-- Revises: {}\n-- Create Date: 2026-11-24 10:00:00\n--\n-- migrate:up\nCREATE TABLE \"t{i}\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40));\n\n-- migrate:down\nDROP TABLE \"t{i}\";\n",
            id(i),
            parents.join(", ")
        );
        std::fs::write(versions.join(format!("{}_table_{i}.sql", id(i))), text).unwrap();
    }
}

fn main() {
    let mut rows = Vec::new();
    for shape in [Shape::Chain, Shape::Branched] {
        for count in [1_000, 10_000] {
            let tmp = tempfile::tempdir().unwrap();
            write_graph(tmp.path(), count, shape);
            // The database in the middle (at a merge, for the branched shape), so
            // `current` reads real rows.
            let middle = id(count / 2);
            let stamp = mb(tmp.path(), &["db", "stamp", &middle]).output().unwrap();
            assert!(stamp.status.success());
            for verb in ["heads", "current", "history"] {
                let time = median(9, || mb(tmp.path(), &["db", verb]), || {});
                rows.push(vec![
                    verb.to_string(),
                    shape.name().to_string(),
                    count.to_string(),
                    millis(time),
                    "50 ms".into(),
                ]);
            }
        }
    }
    print_table(
        "Start-up commands (median of 9 runs, real binary)",
        &["command", "graph", "revisions", "mb", "target"],
        &rows,
    );
}
