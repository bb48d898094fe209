//! The in-process stages that every command pays for, with criterion: loading the
//! revision graph, splitting a script into statements, simulating the schema along the
//! migrations (what an upgrade does before it renders), and diffing two declared schemas
//! (what `migrate` does). `cargo bench --bench in_process`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use mb::dialect::Dialect;
use mb::runtime::simulate;
use mb::schema::parse::parse_schema_sql;
use mb::script::ScriptDirectory;
use mb::script::split::split_statements;

/// A migrations directory of `count` revisions, each creating a table with an index
/// and a foreign key to the table before.
fn migrations(count: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let versions = tmp.path().join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    for i in 1..=count {
        let parent = if i == 1 {
            String::new()
        } else {
            format!("{:012x}", i - 1)
        };
        let up = table_sql(i);
        let text = format!(
            "-- table {i}\n--\n-- Revision ID: {i:012x}\n-- Revises: {parent}\n-- Create Date: 2026-11-24 10:00:00\n--\n-- migrate:up\n{up}\n-- migrate:down\nDROP TABLE \"t{i}\";\n"
        );
        std::fs::write(versions.join(format!("{i:012x}_table.sql")), text).unwrap();
    }
    tmp
}

fn table_sql(i: usize) -> String {
    let reference = match i {
        1 => String::new(),
        _ => format!(", \"parent_id\" INTEGER REFERENCES \"t{}\" (\"id\")", i - 1),
    };
    format!(
        "CREATE TABLE \"t{i}\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(64) NOT NULL, \"email\" VARCHAR(120), \"created\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP{reference});\nCREATE INDEX \"ix_t{i}_name\" ON \"t{i}\" (\"name\");\n"
    )
}

/// Loading reads every file the first time, and after that only the files that changed
/// since the cache was written (`migrations/.mb_cache`, see src/script/cache.rs).
fn graph_load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load revision graph");
    group.sample_size(10);
    let dirs = [1_000, 10_000].map(|count| (count, migrations(count)));
    // mb caches a file only once it last changed 3 s before the run (SETTLED).
    std::thread::sleep(std::time::Duration::from_millis(3_500));
    for (count, dir) in &dirs {
        // SAFETY: no other thread runs while the variable is set or removed; the loads
        // below join the threads they start before returning.
        unsafe { std::env::set_var("MB_NO_CACHE", "1") };
        group.bench_with_input(BenchmarkId::new("every file read", count), dir, |b, dir| {
            b.iter(|| ScriptDirectory::load(black_box(dir.path())).unwrap())
        });
        // SAFETY: as above.
        unsafe { std::env::remove_var("MB_NO_CACHE") };
        ScriptDirectory::load(dir.path()).unwrap();
        group.bench_with_input(BenchmarkId::new("cached", count), dir, |b, dir| {
            b.iter(|| ScriptDirectory::load(black_box(dir.path())).unwrap())
        });
    }
    group.finish();
}

fn split(c: &mut Criterion) {
    let script: String = (1..=1_000).map(table_sql).collect();
    c.bench_function("split 2,000 statements", |b| {
        b.iter(|| split_statements(black_box(&script), 1, Dialect::Sqlite).unwrap())
    });
}

fn simulate_schema(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate the schema along revisions");
    group.sample_size(10);
    for count in [300, 3_000] {
        let dir = migrations(count);
        let graph = ScriptDirectory::load(dir.path()).unwrap().graph;
        let all = graph.ancestors(&graph.heads());
        group.bench_with_input(BenchmarkId::from_parameter(count), &graph, |b, graph| {
            b.iter(|| simulate::schema_after(graph, &all, Dialect::Sqlite).unwrap())
        });
    }
    group.finish();
}

fn diff(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff declared schemas");
    group.sample_size(10);
    for tables in [50, 500] {
        let text: String = (1..=tables).map(table_sql).collect();
        let empty = parse_schema_sql("", Path::new("empty.sql")).unwrap();
        let declared = parse_schema_sql(&text, Path::new("schema.sql")).unwrap();
        group.bench_with_input(
            BenchmarkId::from_parameter(tables),
            &declared,
            |b, declared| b.iter(|| mb::autogenerate::diff(black_box(&empty), declared)),
        );
    }
    group.finish();
}

criterion_group!(benches, graph_load, split, simulate_schema, diff);
criterion_main!(benches);
