//! Input at and past mb's limits: statements nested too deeply for the stack are refused
//! with an error (they used to abort mb with a stack overflow), the deepest that pass
//! run, and numeric options out of range are usage errors (they used to panic).

mod common;

use common::{Db, TestProject};

/// `n` terms joined by `op`.
fn chain(term: &str, op: &str, n: usize) -> String {
    vec![term; n].join(op)
}

/// mb's refusal of a statement nested `depth` levels deep, after its location.
fn too_deep(depth: usize) -> String {
    format!(
        "the statement nests {depth} levels deep (each word and symbol of a chain such as a AND b AND …, a + b + …, x::t::…, or … UNION …, and each parenthesis, is a level), more than the 5000 mb reads; split it (into several CHECK constraints, or a view over views)"
    )
}

/// Statements too deep for mb, with how deep it measures them: what the attack that
/// found the stack overflow used (a CHECK of 10,000 `AND`ed terms), and the other ways
/// to deepen a tree.
fn too_deep_statements() -> Vec<(String, usize)> {
    vec![
        (
            format!(
                "CREATE TABLE \"t\" (\"a\" INTEGER, CHECK ({}))",
                chain("\"a\" > 0", " AND ", 10_000)
            ),
            40_007,
        ),
        (
            format!(
                "CREATE VIEW \"v\" AS SELECT {} AS \"s\"",
                chain("1", " + ", 20_000)
            ),
            40_006,
        ),
        (
            format!(
                "CREATE VIEW \"u\" AS {}",
                chain("SELECT 1 AS \"x\"", " UNION ", 10_000)
            ),
            50_003,
        ),
        (
            format!(
                "CREATE TABLE \"p\" (\"a\" INTEGER CHECK (\"a\" > {}1{}))",
                "(".repeat(10_000),
                ")".repeat(10_000)
            ),
            20_013,
        ),
    ]
}

fn a_statement_too_deep_for_the_stack_is_refused(db: Db) {
    let p = TestProject::on(db);
    for (statement, depth) in too_deep_statements() {
        p.write("schema.sql", format!("{statement};\n"));
        assert_eq!(
            p.fails(&["db", "migrate", "-m", "deep"], 5),
            format!("schema.sql:1:1: {} — fix the SQL syntax", too_deep(depth))
        );
        assert!(p.revision_files().is_empty());
        p.write("schema.sql", "");

        let file = p.write_revision("d1", "", "deep", &format!("{statement};\n"), "");
        let shown: String = statement.chars().take(60).collect();
        let expected = format!(
            "{file}:8: `{shown}…`: {} — fix the SQL syntax",
            too_deep(depth)
        );
        for verb in [
            &["db", "upgrade"][..],
            &["db", "upgrade", "--sql"],
            &["db", "check", "--offline"],
        ] {
            assert_eq!(p.fails(verb, 4), expected, "{verb:?}");
        }
        std::fs::remove_file(p.path(&file)).unwrap();
    }
    assert_untouched(&p);
}

/// No table was made, and on SQLite not even the database file.
fn assert_untouched(p: &TestProject) {
    match p.db {
        Db::Sqlite => assert!(!p.exists("app.db")),
        _ => assert!(p.tables().is_empty(), "{:?}", p.tables()),
    }
}
on_each_database!(a_statement_too_deep_for_the_stack_is_refused);

/// A long chain within the limit runs on every database (900 terms: SQLite refuses
/// expressions deeper than 1,000 itself).
fn a_long_chain_runs(db: Db) {
    let p = TestProject::on(db);
    let check = chain("\"a\" > 0", " AND ", 900);
    p.write(
        "schema.sql",
        format!("CREATE TABLE \"t\" (\"a\" INTEGER, CHECK ({check}));\n"),
    );
    p.ok(&["db", "migrate", "-m", "long"]);
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
    assert_eq!(p.tables(), ["t"]);
}
on_each_database!(a_long_chain_runs);

/// The deepest statements that pass go through the real binary's threads, as
/// `migrate`, `upgrade --sql` and `check --offline` read them.
#[test]
fn the_deepest_statements_that_pass_are_read() {
    let p = TestProject::new();
    p.write(
        "schema.sql",
        format!(
            "CREATE TABLE \"t\" (\"a\" INTEGER, CHECK ({}));\nCREATE VIEW \"v\" AS SELECT {} AS \"s\";\nCREATE VIEW \"u\" AS {};\n",
            chain("\"a\" > 0", " AND ", 1_245),
            chain("1", " + ", 2_490),
            chain("SELECT 1 AS \"x\"", " UNION ", 830),
        ),
    );
    p.ok(&["db", "migrate", "-m", "deep"]);
    let sql = p.ok(&["db", "upgrade", "--sql"]).stdout;
    assert!(sql.contains("UNION SELECT 1 AS"), "{sql}");
    p.ok(&["db", "check", "--offline"]);
}

/// `--lock-timeout` is bounded by what every database can wait: SQLite counts its busy
/// timeout in milliseconds in a 32-bit integer.
fn a_lock_timeout_out_of_range_is_a_usage_error(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("a1", "");
    for value in ["2147484", "18446744073709551615"] {
        let run = p
            .mb()
            .args(["--lock-timeout", value, "db", "upgrade"])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{run:?}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{value}' for '--lock-timeout <SECONDS>': {value} is not in 0..=2147483\n"
            )),
            "{stderr}"
        );
    }
    assert_untouched(&p);
    p.ok(&["--lock-timeout", "2147483", "db", "upgrade"]);
    assert_eq!(p.tables(), ["t_a1"]);
}
on_each_database!(a_lock_timeout_out_of_range_is_a_usage_error);
