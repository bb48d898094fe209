//! Revision targets: `+N`, `-N`, `base`, `REV+N`, `REV-N`, partial ids, and the errors
//! for ambiguous, unknown and out-of-range ones.

mod common;

use common::{Db, TestProject, fails_after_progress, no_such_revision, tables_of};

/// Four revisions; `aa` is ambiguous, `aab`, `bc` and `cd` are unique prefixes.
const CHAIN: [&str; 4] = ["aaa111", "aab222", "bcd333", "cde444"];

fn project(db: Db) -> TestProject {
    TestProject::with_chain(db, &CHAIN)
}

/// Asserts that exactly the first `n` revisions of [`CHAIN`] are applied: their tables
/// exist and the version table holds the last of them.
fn assert_at(p: &TestProject, n: usize) {
    assert_eq!(
        p.tables(),
        tables_of(&CHAIN[..n]),
        "tables after {n} revision(s)"
    );
    let head: Vec<&str> = CHAIN[..n].last().into_iter().copied().collect();
    assert_eq!(p.version_rows(), head);
}

/// From an empty database, runs `mb db VERB TARGET` for each step and asserts that
/// afterwards exactly the first `n` revisions are applied.
fn assert_steps(db: Db, steps: &[(&str, &str, usize)]) {
    let p = project(db);
    for &(verb, target, n) in steps {
        p.ok(&["db", verb, target]);
        assert_at(&p, n);
    }
}

fn upgrade_plus_one_then_plus_two(db: Db) {
    assert_steps(db, &[("upgrade", "+1", 1), ("upgrade", "+2", 3)]);
}

fn downgrade_minus_one_then_minus_two(db: Db) {
    assert_steps(
        db,
        &[
            ("upgrade", "head", 4),
            ("downgrade", "-1", 3),
            ("downgrade", "-2", 1),
        ],
    );
}

fn downgrade_without_a_target_undoes_one_revision(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade"]);
    let run = p.ok(&["db", "downgrade"]);
    assert_eq!(
        run.stderr_lines()[1],
        "Running downgrade cde444 -> bcd333, create t_cde444"
    );
    assert_at(&p, 3);
}

fn downgrade_base_undoes_every_revision(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade"]);
    let run = p.ok(&["db", "downgrade", "base"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some("Downgraded 4 revisions; the database is at base (no revision applied).")
    );
    assert_at(&p, 0);
    assert_eq!(p.ok(&["db", "current"]).stdout, "");
}

fn upgrade_rev_plus_one(db: Db) {
    assert_steps(db, &[("upgrade", "aaa111+1", 2), ("upgrade", "aab+2", 4)]);
}

fn downgrade_rev_minus_one(db: Db) {
    assert_steps(
        db,
        &[
            ("upgrade", "head", 4),
            ("downgrade", "bcd333-1", 2),
            ("downgrade", "aaa111-1", 0),
        ],
    );
}

fn unique_partial_ids_name_revisions(db: Db) {
    assert_steps(
        db,
        &[
            ("upgrade", "bc", 3),
            ("downgrade", "aab", 2),
            ("upgrade", "cd", 4),
        ],
    );
}

fn full_ids_name_revisions(db: Db) {
    assert_steps(db, &[("upgrade", "aab222", 2), ("downgrade", "aaa111", 1)]);
}

fn an_ambiguous_partial_id_lists_the_candidates(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade", "+1"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade", "aa"]), 4);
    assert_eq!(
        message,
        "'aa' is ambiguous: it starts aaa111 (create t_aaa111), aab222 (create t_aab222); type more of the id"
    );
    assert_at(&p, 1);
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade", "a"]), 4);
    assert!(
        message.starts_with(
            "'a' is ambiguous: it starts aaa111 (create t_aaa111), aab222 (create t_aab222); "
        ),
        "{message}"
    );
    assert_at(&p, 1);
}

fn an_unknown_id_is_an_error(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade", "+1"]);
    for verb in ["upgrade", "downgrade"] {
        let (_, message) = fails_after_progress(p.mb().args(["db", verb, "fff999"]), 4);
        assert_eq!(message, no_such_revision("fff999"));
    }
    assert_at(&p, 1);
}

#[test]
fn a_bad_target_is_reported_alone_and_creates_no_database() {
    let p = project(Db::Sqlite);
    assert_eq!(
        p.fails(&["db", "upgrade", "fff999"], 4),
        no_such_revision("fff999")
    );
    assert!(
        !p.exists("app.db"),
        "a failed upgrade must leave no database behind"
    );
}

#[test]
fn a_malformed_target_is_an_error() {
    let p = project(Db::Sqlite);
    assert_eq!(
        p.fails(&["db", "upgrade", "a b"], 4),
        "'a b' is not a revision target; use head, heads, base, a revision id (or a unique prefix of one), a branch label, +N, -N, REV+N, REV-N, or LABEL@ before any of them"
    );
    assert!(!p.exists("app.db"));
}

fn upgrade_plus_five_with_too_few_revisions_changes_nothing(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade", "+1"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade", "+5"]), 4);
    assert_eq!(
        message,
        "cannot upgrade 5 revisions: only 3 revisions are pending"
    );
    assert_at(&p, 1);
}

fn downgrade_more_than_applied_changes_nothing(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade", "+2"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade", "-3"]), 4);
    assert_eq!(
        message,
        "cannot downgrade 3 revisions: only 2 revisions are applied"
    );
    assert_at(&p, 2);
}

fn walking_past_a_head_is_an_error(db: Db) {
    let p = project(db);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade", "cde444+1"]), 4);
    assert_eq!(
        message,
        "cannot move +1: cde444 is a head, no revision comes after it"
    );
}

fn upgrade_and_downgrade_refuse_the_wrong_direction(db: Db) {
    let p = project(db);
    p.ok(&["db", "upgrade", "+2"]);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade", "-1"]), 4);
    assert_eq!(
        message,
        "upgrade moves forward; to go back 1 revision run `mb db downgrade -1`"
    );
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade", "+1"]), 4);
    assert_eq!(
        message,
        "downgrade moves back; use base, -N, a revision id or LABEL@base (upgrade moves forward)"
    );
    let (_, message) = fails_after_progress(p.mb().args(["db", "downgrade", "bcd333"]), 4);
    assert_eq!(
        message,
        "revision bcd333 is not applied, so the database cannot be downgraded to it; `mb db current` shows where it is"
    );
    assert_at(&p, 2);
}

fn nothing_to_do_is_said_and_succeeds(db: Db) {
    let p = project(db);
    let run = p.ok(&["db", "downgrade", "base"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some("Nothing to downgrade: the database is at base (no revision applied).")
    );
    p.ok(&["db", "upgrade"]);
    let run = p.ok(&["db", "upgrade", "head"]);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some("Nothing to upgrade: the database is at cde444 (create t_cde444).")
    );
}

fn upgrade_heads_applies_every_branch_and_head_refuses_several(db: Db) {
    let p = TestProject::with_fork(db);
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 4);
    assert_eq!(
        message,
        "the migrations have 2 heads (bbb222 (create t_bbb222), ccc333 (create t_ccc333)); merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`"
    );
    p.ok(&["db", "upgrade", "heads"]);
    assert_eq!(p.tables(), tables_of(&["aaa111", "bbb222", "ccc333"]));
    assert_eq!(p.version_rows(), ["bbb222", "ccc333"]);
}

#[test]
fn downgrade_without_a_database_creates_none() {
    let p = project(Db::Sqlite);
    assert_eq!(
        p.fails(&["db", "downgrade"], 4),
        "cannot downgrade 1 revision: only 0 revisions are applied"
    );
    assert!(
        !p.exists("app.db"),
        "a downgrade must never create a database"
    );
}

crate::on_each_database!(
    upgrade_plus_one_then_plus_two,
    downgrade_minus_one_then_minus_two,
    downgrade_without_a_target_undoes_one_revision,
    downgrade_base_undoes_every_revision,
    upgrade_rev_plus_one,
    downgrade_rev_minus_one,
    unique_partial_ids_name_revisions,
    full_ids_name_revisions,
    an_ambiguous_partial_id_lists_the_candidates,
    an_unknown_id_is_an_error,
    upgrade_plus_five_with_too_few_revisions_changes_nothing,
    downgrade_more_than_applied_changes_nothing,
    walking_past_a_head_is_an_error,
    upgrade_and_downgrade_refuse_the_wrong_direction,
    nothing_to_do_is_said_and_succeeds,
    upgrade_heads_applies_every_branch_and_head_refuses_several,
);
