//! `mb db migrate` on large declared schemas: N tables of 12 columns, 2 indexes and a
//! foreign key each, against an empty SQLite database and against one at that schema
//! with 10 % of the tables changed. Target: 500 tables under 0.3 s, cost linear in N.

mod support;

use std::path::Path;

use support::{mb, median, millis, print_table};

fn table_sql(i: usize, changed: bool) -> String {
    let reference = if i == 0 {
        String::new()
    } else {
        format!(
            ",\n    \"parent_id\" INTEGER REFERENCES \"t{}\" (\"id\")",
            i - 1
        )
    };
    let extra = if changed {
        ",\n    \"added\" VARCHAR(20)"
    } else {
        ""
    };
    format!(
        "CREATE TABLE \"t{i}\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"name\" VARCHAR(64) NOT NULL,\n    \"email\" VARCHAR(120),\n    \"age\" INTEGER,\n    \"score\" DOUBLE PRECISION,\n    \"active\" BOOLEAN NOT NULL DEFAULT TRUE,\n    \"created\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n    \"notes\" TEXT,\n    \"price\" NUMERIC(10,2),\n    \"born\" DATE,\n    \"payload\" BLOB{reference}{extra}\n);\nCREATE INDEX \"ix_t{i}_name\" ON \"t{i}\" (\"name\");\nCREATE UNIQUE INDEX \"ix_t{i}_email\" ON \"t{i}\" (\"email\");\n"
    )
}

fn write_schema(dir: &Path, tables: usize, changed_every: Option<usize>) {
    let text: String = (0..tables)
        .map(|i| table_sql(i, changed_every.is_some_and(|n| i % n == 0)))
        .collect();
    std::fs::write(dir.join("schema.sql"), text).unwrap();
}

fn project(tables: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("migrations/versions")).unwrap();
    std::fs::write(tmp.path().join("mb.toml"), "").unwrap();
    write_schema(tmp.path(), tables, None);
    tmp
}

fn run_ok(dir: &Path, args: &[&str]) {
    let output = mb(dir, args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn remove_revision(dir: &Path, id: &str) {
    for entry in std::fs::read_dir(dir.join("migrations/versions")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with(id) {
            std::fs::remove_file(path).unwrap();
        }
    }
}

fn main() {
    let mut rows = Vec::new();
    for tables in [50, 500, 5_000] {
        let runs = if tables >= 5_000 { 3 } else { 7 };
        let migrate = ["db", "migrate", "-m", "bench", "--rev-id", "bench"];

        let empty = project(tables);
        let time = median(
            runs,
            || mb(empty.path(), &migrate),
            || remove_revision(empty.path(), "bench"),
        );
        rows.push(vec![
            "empty database".into(),
            tables.to_string(),
            millis(time),
            per_table(time, tables),
        ]);

        let changed = project(tables);
        run_ok(
            changed.path(),
            &["db", "migrate", "-m", "all", "--rev-id", "all"],
        );
        run_ok(changed.path(), &["db", "upgrade"]);
        write_schema(changed.path(), tables, Some(10));
        let time = median(
            runs,
            || mb(changed.path(), &migrate),
            || remove_revision(changed.path(), "bench"),
        );
        rows.push(vec![
            "10 % of tables changed".into(),
            tables.to_string(),
            millis(time),
            per_table(time, tables),
        ]);
    }
    print_table(
        "mb db migrate against SQLite (median, real binary)",
        &["workload", "tables", "mb", "per table"],
        &rows,
    );
}

fn per_table(time: std::time::Duration, tables: usize) -> String {
    format!("{:.0} µs", time.as_secs_f64() * 1e6 / tables as f64)
}
