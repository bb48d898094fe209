//! What mb records in the database (`mb_version`, one row per applied head; `mb_history`,
//! one row per upgrade, downgrade or stamp) and the commands that read it back: stamp,
//! current, history, heads, show.

mod common;

use common::{
    Db, HistoryRow, TestProject, fails_after_progress, no_such_revision, sha256_hex, tables_of,
};

const CHAIN: [&str; 3] = ["aaa111", "bbb222", "ccc333"];

fn file_of(id: &str) -> String {
    format!("migrations/versions/{id}_create_t_{id}.sql")
}

fn now_utc() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Asserts that `row` records `operation` of revision `id` with the file's checksum, at
/// a time between `after` and `before`.
fn assert_record(
    p: &TestProject,
    row: &HistoryRow,
    id: &str,
    operation: &str,
    window: (chrono::NaiveDateTime, chrono::NaiveDateTime),
) {
    assert_eq!(
        (row.revision.as_str(), row.operation.as_str()),
        (id, operation),
        "{row:?}"
    );
    assert_eq!(row.checksum, sha256_hex(&p.read(&file_of(id))), "{row:?}");
    let at = chrono::NaiveDateTime::parse_from_str(&row.applied_at, "%Y-%m-%d %H:%M:%S%.6f")
        .unwrap_or_else(|e| panic!("applied_at {:?}: {e}", row.applied_at));
    let slack = chrono::Duration::seconds(1);
    assert!(
        window.0 - slack <= at && at <= window.1 + slack,
        "applied_at {at} outside {window:?}"
    );
    assert!(row.duration_ms >= 0, "{row:?}");
}

fn upgrade_records_one_version_row_and_a_history_row_per_revision(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    let started = now_utc();
    p.ok(&["db", "upgrade"]);
    let window = (started, now_utc());
    assert_eq!(p.version_rows(), ["ccc333"]);
    let rows = p.history_rows();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (row, id) in rows.iter().zip(CHAIN) {
        assert_record(&p, row, id, "upgrade", window);
    }
}

fn version_table_has_alembics_shape(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade", "+1"]);
    assert_eq!(p.columns("mb_version"), ["version_num"]);
    if db == Db::Sqlite {
        // cid, name, type, notnull, dflt_value, pk
        assert_eq!(
            p.query("PRAGMA table_info(mb_version)"),
            [["0", "version_num", "VARCHAR(32)", "1", "NULL", "1"]]
        );
    }
    assert_eq!(
        p.columns("mb_history"),
        [
            "id",
            "revision",
            "operation",
            "checksum",
            "applied_at",
            "duration_ms"
        ]
    );
}

fn downgrade_removes_the_version_row_and_records_a_downgrade(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade"]);
    let started = now_utc();
    p.ok(&["db", "downgrade", "-2"]);
    let window = (started, now_utc());
    assert_eq!(p.version_rows(), ["aaa111"]);
    let rows = p.history_rows();
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_record(&p, &rows[3], "ccc333", "downgrade", window);
    assert_record(&p, &rows[4], "bbb222", "downgrade", window);
    p.ok(&["db", "downgrade"]);
    assert!(p.version_rows().is_empty());
    assert_eq!(
        p.history_ops()
            .last()
            .map(|(r, o)| (r.as_str(), o.as_str())),
        Some(("aaa111", "downgrade"))
    );
}

fn version_table_holds_one_row_per_applied_head(db: Db) {
    let p = TestProject::with_fork(db);
    p.ok(&["db", "upgrade", "bbb222"]);
    assert_eq!(p.version_rows(), ["bbb222"]);
    p.ok(&["db", "upgrade", "ccc333"]);
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
    assert_eq!(
        p.ok(&["db", "current"]).stdout,
        "bbb222 (head)\nccc333 (head)\n"
    );

    p.write_revision("ddd444", "bbb222, ccc333", "merge", "", "");
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["ddd444"]);
    assert_eq!(
        p.ok(&["db", "history"]).stdout,
        "* bbb222, ccc333 -> ddd444 (head) (mergepoint), merge\n\
         |\\\n\
         | * aaa111 -> ccc333, create t_ccc333\n\
         * | aaa111 -> bbb222, create t_bbb222\n\
         |/\n\
         * <base> -> aaa111 (branchpoint), create t_aaa111\n"
    );
    p.ok(&["db", "downgrade", "-1"]);
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
}

fn stamp_records_a_revision_and_its_ancestors_without_running_sql(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    let started = now_utc();
    let run = p.ok(&["db", "stamp", "bbb222"]);
    let window = (started, now_utc());
    assert_eq!(
        run.stderr_lines(),
        [
            p.using_line(true),
            "Stamped the database at bbb222 (create t_bbb222); no SQL was run.".to_string(),
        ]
    );
    assert!(p.tables().is_empty(), "stamp ran SQL: {:?}", p.tables());
    assert_eq!(p.version_rows(), ["bbb222"]);
    let rows = p.history_rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_record(&p, &rows[0], "aaa111", "stamp", window);
    assert_record(&p, &rows[1], "bbb222", "stamp", window);
    assert_eq!(rows[1].duration_ms, 0);

    // Upgrading from the stamp runs only what comes after it.
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), tables_of(&["ccc333"]));
}

fn stamp_base_empties_the_version_table(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade", "+2"]);
    let run = p.ok(&["db", "stamp", "base"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some("Stamped the database at base (no revision applied); no SQL was run.")
    );
    assert!(p.version_rows().is_empty());
    assert_eq!(
        p.tables(),
        tables_of(&["aaa111", "bbb222"]),
        "stamp must not drop anything"
    );
    let mut unstamped: Vec<(String, String)> = p.history_ops().split_off(2);
    unstamped.sort();
    assert_eq!(
        unstamped,
        [
            ("aaa111".into(), "unstamp".into()),
            ("bbb222".into(), "unstamp".into())
        ]
    );
}

/// A database at `ccc333` whose file has since been deleted.
fn project_at_a_deleted_revision(db: Db) -> TestProject {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade"]);
    std::fs::remove_file(p.path(&file_of("ccc333"))).expect("delete a revision file");
    p
}

const UNKNOWN_REVISION: &str = "the database is at revision ccc333, which is not in the migrations; restore its file, or record where the database really is with `mb db stamp --purge REV`";

fn a_database_at_a_deleted_revision_is_reported(db: Db) {
    let p = project_at_a_deleted_revision(db);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 8);
    assert_eq!(message, UNKNOWN_REVISION);
    let (_, message) = fails_after_progress(p.mb().args(["db", "stamp", "bbb222"]), 8);
    assert_eq!(message, UNKNOWN_REVISION);
    assert_eq!(p.version_rows(), ["ccc333"]);
}

fn stamp_purge_replaces_a_revision_whose_file_is_gone(db: Db) {
    let p = project_at_a_deleted_revision(db);
    let run = p.ok(&["db", "stamp", "--purge", "bbb222"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some("Stamped the database at bbb222 (create t_bbb222); no SQL was run.")
    );
    assert_eq!(p.version_rows(), ["bbb222"]);
    assert_eq!(p.ok(&["db", "current"]).stdout, "bbb222 (head)\n");
}

fn stamp_purge_starts_from_an_empty_version_table(db: Db) {
    let p = TestProject::with_fork(db);
    p.ok(&["db", "upgrade", "heads"]);
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
    p.ok(&["db", "stamp", "--purge", "bbb222"]);
    assert_eq!(p.version_rows(), ["bbb222"]);
}

fn current_shows_a_revision_that_is_not_in_the_migrations(db: Db) {
    let p = project_at_a_deleted_revision(db);
    assert_eq!(
        p.ok(&["db", "current"]).stdout,
        "ccc333 (not in the migrations)\n"
    );
}

fn history_indicate_current_marks_current_and_applied(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade", "+2"]);
    assert_eq!(
        p.ok(&["db", "history", "-i"]).stdout,
        "bbb222 -> ccc333 (head), create t_ccc333\n\
         aaa111 -> bbb222 (current), create t_bbb222\n\
         <base> -> aaa111 (applied), create t_aaa111\n"
    );
    // Without -i, nothing about the database.
    assert_eq!(
        p.ok(&["db", "history"]).stdout,
        "bbb222 -> ccc333 (head), create t_ccc333\n\
         aaa111 -> bbb222, create t_bbb222\n\
         <base> -> aaa111, create t_aaa111\n"
    );
}

fn history_ranges(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade", "+2"]);
    let ids = |range: &str| -> Vec<String> {
        p.ok(&["db", "history", "-r", range])
            .stdout
            .lines()
            .map(|line| {
                line.split(" -> ")
                    .nth(1)
                    .expect("from -> to")
                    .split([' ', ','])
                    .next()
                    .expect("an id")
                    .to_string()
            })
            .collect()
    };
    assert_eq!(ids("base:head"), ["ccc333", "bbb222", "aaa111"]);
    assert_eq!(ids("bbb222:"), ["ccc333", "bbb222"]);
    assert_eq!(ids("bbb:"), ["ccc333", "bbb222"]);
    assert_eq!(ids(":bbb222"), ["bbb222", "aaa111"]);
    assert_eq!(ids("-1:current"), ["bbb222", "aaa111"]);
    assert_eq!(ids("current:"), ["ccc333", "bbb222"]);
    assert_eq!(ids("aaa111:aaa111"), ["aaa111"]);
}

#[test]
fn history_range_errors() {
    let p = TestProject::with_chain(Db::Sqlite, &CHAIN);
    assert_eq!(
        p.fails(&["db", "history", "-r", "bbb222"], 4),
        "'bbb222' is not a range; use START:END, e.g. base:head, -3:current, ae1027: or email@base:email@head"
    );
    assert_eq!(
        p.fails(&["db", "history", "-r", "zzz:"], 4),
        no_such_revision("zzz")
    );
}

#[test]
fn show_prints_the_details_and_the_file() {
    let p = TestProject::with_chain(Db::Sqlite, &CHAIN);
    let text = p.read(&file_of("bbb222"));
    let expected = format!(
        "Rev: bbb222\nParent: aaa111\nPath: {}\nCreate Date: 2026-01-02 03:04:05.000000\n\n    create t_bbb222\n\n{}\n",
        file_of("bbb222"),
        text.trim_end()
    );
    assert_eq!(p.ok(&["db", "show", "bbb222"]).stdout, expected);
    assert_eq!(p.ok(&["db", "show", "bb"]).stdout, expected);
    let head = p.ok(&["db", "show", "head"]).stdout;
    assert!(
        head.starts_with("Rev: ccc333 (head)\nParent: bbb222\n"),
        "{head}"
    );
    assert_eq!(p.fails(&["db", "show", "zzz"], 4), no_such_revision("zzz"));
}

#[test]
fn heads_lists_every_head() {
    let p = TestProject::with_chain(Db::Sqlite, &CHAIN);
    assert_eq!(p.ok(&["db", "heads"]).stdout, "ccc333 (head)\n");
    p.table_revision("ddd444", "aaa111");
    assert_eq!(
        p.ok(&["db", "heads"]).stdout,
        "ccc333 (head)\nddd444 (head)\n"
    );
    let verbose = p.ok(&["db", "heads", "-v"]).stdout;
    assert!(
        verbose.starts_with("Rev: ccc333 (head)\nParent: bbb222\n"),
        "{verbose}"
    );
    assert!(
        verbose.contains("Rev: ddd444 (head)\nParent: aaa111\n"),
        "{verbose}"
    );
}

fn current_verbose_shows_when_and_how_the_revision_was_applied(db: Db) {
    let p = TestProject::with_chain(db, &CHAIN);
    p.ok(&["db", "upgrade", "+2"]);
    let record = p.history_rows().pop().expect("a history row");
    let run = p.ok(&["db", "current", "-v"]);
    assert_eq!(
        run.stdout,
        format!(
            "Rev: bbb222 (current)\nParent: aaa111\nPath: {}\nCreate Date: 2026-01-02 03:04:05.000000\n\
             Applied: {} UTC by upgrade in {} ms (file unchanged since)\n\n    create t_bbb222\n\n",
            file_of("bbb222"),
            record.applied_at,
            record.duration_ms
        )
    );
    assert_eq!(
        run.stderr,
        format!("Reading {} database {}\n", p.product(), p.location())
    );
}

fn stamp_several_revisions_records_each_as_a_head(db: Db) {
    let p = TestProject::with_fork(db);
    let run = p.ok(&["db", "stamp", "bbb222", "ccc333"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some(
            "Stamped the database at bbb222 (create t_bbb222), ccc333 (create t_ccc333); no SQL was run."
        )
    );
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
    assert!(p.tables().is_empty());
    let mut stamped = p.history_ops();
    stamped.sort();
    let expected: Vec<(String, String)> = ["aaa111", "bbb222", "ccc333"]
        .iter()
        .map(|id| (id.to_string(), "stamp".to_string()))
        .collect();
    assert_eq!(stamped, expected);
}

crate::on_each_database!(
    upgrade_records_one_version_row_and_a_history_row_per_revision,
    version_table_has_alembics_shape,
    downgrade_removes_the_version_row_and_records_a_downgrade,
    version_table_holds_one_row_per_applied_head,
    stamp_records_a_revision_and_its_ancestors_without_running_sql,
    stamp_base_empties_the_version_table,
    a_database_at_a_deleted_revision_is_reported,
    stamp_purge_replaces_a_revision_whose_file_is_gone,
    stamp_purge_starts_from_an_empty_version_table,
    current_shows_a_revision_that_is_not_in_the_migrations,
    history_indicate_current_marks_current_and_applied,
    history_ranges,
    current_verbose_shows_when_and_how_the_revision_was_applied,
    stamp_several_revisions_records_each_as_a_head,
);
