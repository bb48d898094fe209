//! Branches and merges from the command line: two developers generate revisions with
//! `mb db migrate` from the same head, the branches are merged, and the deployed database
//! goes up, down to the branch point and up again, its schema checked after each step;
//! then the verbs that show, join, label and edit branches, and their errors.

mod common;

use common::{Db, TestProject, fails_after_progress, tables_of};

const USERS: &str =
    "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"username\" VARCHAR(64) NOT NULL);\n";
const USERS_WITH_EMAIL: &str = "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"username\" VARCHAR(64) NOT NULL, \"email\" VARCHAR(120));\nCREATE UNIQUE INDEX \"ix_user_email\" ON \"user\" (\"email\");\n";
const POSTS: &str = "CREATE TABLE \"post\" (\"id\" INTEGER PRIMARY KEY, \"body\" TEXT, \"user_id\" INTEGER REFERENCES \"user\" (\"id\"));\n";

/// Copies the revision files of `from` into `to`, as `git pull` would.
fn pull(from: &TestProject, to: &TestProject) {
    let versions = from.path("migrations/versions");
    for entry in std::fs::read_dir(&versions).expect("read versions/") {
        let entry = entry.expect("a directory entry");
        std::fs::copy(
            entry.path(),
            to.path("migrations/versions").join(entry.file_name()),
        )
        .expect("copy a revision file");
    }
}

/// The deployed schema: users with or without the email column (and its index), and
/// the posts table or not.
fn assert_schema(p: &TestProject, email: bool, posts: bool, step: &str) {
    let mut tables = vec!["user"];
    if posts {
        tables.insert(0, "post");
    }
    assert_eq!(p.tables(), tables, "tables after {step}");
    let mut columns = vec!["id", "username"];
    if email {
        columns.push("email");
    }
    assert_eq!(p.columns("user"), columns, "user columns after {step}");
    let indexes: Vec<&str> = if email { vec!["ix_user_email"] } else { vec![] };
    assert_eq!(p.indexes("user"), indexes, "user indexes after {step}");
    if posts {
        assert_eq!(p.columns("post"), ["id", "body", "user_id"], "after {step}");
    }
}

/// The exit code and stdout of `mb ARGS`, for commands that report by exit code.
fn status(p: &TestProject, args: &[&str]) -> (Option<i32>, String) {
    let output = p.mb().args(args).output().expect("run mb");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("UTF-8"),
    )
}

/// Alice starts the project, Bob clones it, and each generates a revision on a branch
/// of their own from the same head, each on their own database (`developer_db`). Both
/// branches then land in a shared repository that deploys to `db`, returned.
fn two_branches(developer_db: Db, db: Db) -> TestProject {
    let alice = TestProject::on(developer_db);
    alice.write("schema.sql", USERS);
    alice.ok(&[
        "db",
        "migrate",
        "-m",
        "users table",
        "--rev-id",
        "0001_users",
    ]);
    let bob = TestProject::on(developer_db);
    pull(&alice, &bob);
    for (developer, schema, message, id, label) in [
        (
            &alice,
            USERS_WITH_EMAIL.to_string(),
            "add email",
            "0002_email",
            "email",
        ),
        (
            &bob,
            format!("{USERS}{POSTS}"),
            "posts table",
            "0003_posts",
            "posts",
        ),
    ] {
        developer.ok(&["db", "upgrade"]);
        developer.write("schema.sql", schema);
        developer.ok(&[
            "db",
            "migrate",
            "-m",
            message,
            "--rev-id",
            id,
            "--branch-label",
            label,
        ]);
    }
    let main = TestProject::on(db);
    pull(&alice, &main);
    pull(&bob, &main);
    main.write("schema.sql", format!("{USERS_WITH_EMAIL}{POSTS}"));
    main
}

fn two_developers_branch_merge_and_deploy(db: Db) {
    let main = two_branches(db, db);
    assert_eq!(
        main.ok(&["db", "heads"]).stdout,
        "0002_email (email) (head)\n0003_posts (posts) (head)\n"
    );
    let (_, message) = fails_after_progress(main.mb().args(["db", "upgrade"]), 4);
    assert_eq!(
        message,
        "the migrations have 2 heads (0002_email (add email), 0003_posts (posts table)); merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`"
    );
    assert_eq!(
        status(&main, &["db", "check", "--offline"]),
        (
            Some(1),
            "The migrations have 2 heads (0002_email (add email), 0003_posts (posts table)); every database must end at one schema, so merge them: `mb db merge heads -m \"merge\"`, then `mb db upgrade`.\n".to_string()
        )
    );

    // One branch, then every branch.
    main.ok(&["db", "upgrade", "email@head"]);
    assert_eq!(main.version_rows(), ["0002_email"]);
    assert_schema(&main, true, false, "upgrade email@head");
    main.ok(&["db", "upgrade", "heads"]);
    assert_eq!(main.version_rows(), ["0002_email", "0003_posts"]);
    assert_schema(&main, true, true, "upgrade heads");

    // The merge joins the heads; it has nothing to run.
    let merged = main.ok(&[
        "db",
        "merge",
        "heads",
        "-m",
        "merge email and posts",
        "--rev-id",
        "0004_merge",
    ]);
    assert_eq!(
        merged.stdout,
        "Generating migrations/versions/0004_merge_merge_email_and_posts.sql ... done\n"
    );
    assert_eq!(
        merged.stderr,
        "Merging 0002_email (add email), 0003_posts (posts table)\n"
    );
    assert!(
        main.read("migrations/versions/0004_merge_merge_email_and_posts.sql")
            .contains("\n-- Revises: 0002_email, 0003_posts\n")
    );
    main.ok(&["db", "upgrade"]);
    assert_eq!(main.version_rows(), ["0004_merge"]);
    assert_schema(&main, true, true, "upgrade to the merge");
    main.ok(&["db", "check", "--offline"]);
    main.ok(&["db", "check"]);
    assert_eq!(
        main.ok(&["db", "history", "-i"]).stdout,
        "* 0002_email, 0003_posts -> 0004_merge (head) (current) (mergepoint), merge email and posts\n\
         |\\\n\
         | * 0001_users -> 0003_posts (posts) (applied), posts table\n\
         * | 0001_users -> 0002_email (email) (applied), add email\n\
         |/\n\
         * <base> -> 0001_users (branchpoint) (applied), users table\n"
    );

    // Down to the branch point: the merge and both branches come down.
    let down = main.ok(&["db", "downgrade", "0001_users"]);
    assert_eq!(
        down.stderr_lines()[1..4],
        [
            "Running downgrade 0004_merge -> 0002_email, 0003_posts, merge email and posts",
            "Running downgrade 0003_posts -> 0001_users, posts table",
            "Running downgrade 0002_email -> 0001_users, add email",
        ]
    );
    assert_eq!(main.version_rows(), ["0001_users"]);
    assert_schema(&main, false, false, "downgrade to the branch point");

    // And up again.
    main.ok(&["db", "upgrade"]);
    assert_eq!(main.version_rows(), ["0004_merge"]);
    assert_schema(&main, true, true, "upgrade again");

    // One branch down across the merge point, and back.
    main.ok(&["db", "downgrade", "email@base"]);
    assert_eq!(main.version_rows(), ["0003_posts"]);
    assert_schema(&main, false, true, "downgrade email@base");
    main.ok(&["db", "upgrade", "email@+1"]);
    assert_eq!(main.version_rows(), ["0002_email", "0003_posts"]);
    assert_schema(&main, true, true, "upgrade email@+1");
    main.ok(&["db", "downgrade", "posts@-1"]);
    assert_eq!(main.version_rows(), ["0002_email"]);
    assert_schema(&main, true, false, "downgrade posts@-1");
    main.ok(&["db", "upgrade"]);
    assert_eq!(main.version_rows(), ["0004_merge"]);
    assert_schema(&main, true, true, "the last upgrade");
}

crate::on_each_database!(two_developers_branch_merge_and_deploy);

/// Revisions generated on SQLite (the developers' databases) deploy to PostgreSQL.
#[test]
fn two_developers_on_sqlite_deploying_to_postgres() {
    if !Db::Postgres.available(module_path!()) {
        return;
    }
    let main = two_branches(Db::Sqlite, Db::Postgres);
    main.ok(&["db", "merge", "heads", "-m", "merge"]);
    main.ok(&["db", "upgrade"]);
    assert_schema(&main, true, true, "upgrade");
    main.ok(&["db", "check"]);
    main.ok(&["db", "downgrade", "0001_users"]);
    assert_schema(&main, false, false, "downgrade to the branch point");
    main.ok(&["db", "upgrade"]);
    assert_schema(&main, true, true, "upgrade again");
}

/// `Depends On:` between two roots: the dependency runs first, its row is implied, and
/// taking its branch down takes down what depends on it first.
fn dependencies_between_branches(db: Db) {
    let p = TestProject::on(db);
    p.table_revision("app1", "");
    p.table_revision("lib1", "");
    add_header(&p, "lib1", "-- Branch Labels: lib");
    p.table_revision("app2", "app1");
    add_header(&p, "app2", "-- Depends On: lib");
    let run = p.ok(&["db", "upgrade", "app2"]);
    assert_eq!(
        run.stderr_lines()[1..4],
        [
            "Running upgrade <base> -> app1, create t_app1",
            "Running upgrade <base> -> lib1, create t_lib1",
            "Running upgrade app1 -> app2, create t_app2",
        ]
    );
    assert_eq!(p.version_rows(), ["app2"], "lib1 is implied by app2");
    assert_eq!(p.tables(), tables_of(&["app1", "lib1", "app2"]));
    let run = p.ok(&["db", "downgrade", "lib@base"]);
    assert_eq!(
        run.stderr_lines()[1..3],
        [
            "Running downgrade app2 -> app1, create t_app2",
            "Running downgrade lib1 -> <base>, create t_lib1",
        ]
    );
    assert_eq!(p.version_rows(), ["app1"]);
    assert_eq!(p.tables(), tables_of(&["app1"]));
    p.ok(&["db", "upgrade", "heads"]);
    assert_eq!(p.version_rows(), ["app2"]);
    assert_eq!(
        p.ok(&["db", "current"]).stdout,
        "app2 (head)\n",
        "lib1 is a head of the migrations, implied in the database"
    );
}

/// Inserts `line` into the header of revision `id` (written by `table_revision`).
fn add_header(p: &TestProject, id: &str, line: &str) {
    let rel = format!("migrations/versions/{id}_create_t_{id}.sql");
    let text = p.read(&rel).replacen(
        "--\n-- migrate:up",
        &format!("{line}\n--\n-- migrate:up"),
        1,
    );
    p.write(&rel, text);
}

crate::on_each_database!(dependencies_between_branches);

#[test]
fn migrate_with_several_heads_needs_a_head_and_every_branch_applied() {
    let p = TestProject::with_fork(Db::Sqlite);
    // schema.sql declares both branches (their code is merged) and a new table.
    p.write(
        "schema.sql",
        "CREATE TABLE \"t_aaa111\" (\"id\" INTEGER PRIMARY KEY);\nCREATE TABLE \"t_bbb222\" (\"id\" INTEGER PRIMARY KEY);\nCREATE TABLE \"t_ccc333\" (\"id\" INTEGER PRIMARY KEY);\nCREATE TABLE \"extra\" (\"id\" INTEGER PRIMARY KEY);\n",
    );
    assert_eq!(
        p.fails(&["db", "migrate", "-m", "extra"], 4),
        "the migrations have 2 heads (bbb222 (create t_bbb222), ccc333 (create t_ccc333)); pass --head REV to choose the one the new revision builds on, or merge them first with `mb db merge heads`"
    );
    // A database on one branch would make the revision create the other branch's table.
    p.ok(&["db", "upgrade", "bbb222"]);
    assert_eq!(
        p.fails(&["db", "migrate", "-m", "extra", "--head", "bbb222"], 4),
        "Target database is not up to date: 1 revision is not applied (ccc333 (create t_ccc333)); run `mb db upgrade heads` first"
    );
    p.ok(&["db", "upgrade", "heads"]);
    let run = p.ok(&[
        "db", "migrate", "-m", "extra", "--head", "bbb222", "--rev-id", "ddd444",
    ]);
    assert_eq!(run.stderr_lines(), ["Detected added table \"extra\""]);
    let text = p.read("migrations/versions/ddd444_extra.sql");
    assert!(text.contains("\n-- Revises: bbb222\n"), "{text}");
    assert_eq!(
        p.ok(&["db", "heads"]).stdout,
        "ddd444 (head)\nccc333 (head)\n"
    );
}

#[test]
fn revision_writes_labels_and_dependencies() {
    let p = TestProject::new();
    p.ok(&["db", "revision", "-m", "app", "--rev-id", "aaa111"]);
    let run = p.ok(&[
        "db",
        "revision",
        "-m",
        "audit",
        "--rev-id",
        "bbb222",
        "--head",
        "base",
        "--branch-label",
        "audit",
    ]);
    assert_eq!(
        run.stderr,
        "Starting a new base: the migrations have 2 heads until they are merged (`mb db merge heads`).\n"
    );
    p.ok(&[
        "db",
        "revision",
        "-m",
        "uses audit",
        "--rev-id",
        "ccc333",
        "--head",
        "aaa",
        "--depends-on",
        "audit,bbb",
    ]);
    let text = p.read("migrations/versions/ccc333_uses_audit.sql");
    assert!(
        text.contains("\n-- Revises: aaa111\n-- Create Date: ")
            && text.contains("\n-- Depends On: audit, bbb222\n--\n-- migrate:up\n"),
        "{text}"
    );
    assert!(
        p.read("migrations/versions/bbb222_audit.sql")
            .contains("\n-- Branch Labels: audit\n")
    );
    assert_eq!(
        p.ok(&["db", "heads"]).stdout,
        "bbb222 (audit) (head)\nccc333 (head)\n"
    );
    let refused =
        |flag: &str, value: &str| p.fails(&["db", "revision", "--head", "ccc333", flag, value], 4);
    assert_eq!(
        refused("--branch-label", "audit"),
        "branch label audit is already used by revision bbb222 (migrations/versions/bbb222_audit.sql); choose another"
    );
    assert_eq!(
        refused("--branch-label", "aaa111"),
        "branch label aaa111 is the id of revision aaa111 (migrations/versions/aaa111_app.sql); choose another"
    );
    assert_eq!(
        refused("--branch-label", "heads"),
        "'heads' cannot be a branch label: targets use it for the newest revisions; choose another name"
    );
    assert_eq!(
        refused("--rev-id", "audit"),
        "revision id audit is already a branch label (of bbb222 in migrations/versions/bbb222_audit.sql); choose another id"
    );
}

#[test]
fn a_revision_on_an_older_revision_says_it_starts_a_branch() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111", "bbb222"]);
    let run = p.ok(&["db", "revision", "-m", "hotfix", "--head", "aaa111"]);
    assert_eq!(
        run.stderr,
        "Branching from aaa111 (create t_aaa111), which already has bbb222: the migrations have 2 heads until they are merged (`mb db merge heads`).\n"
    );
}

#[test]
fn merge_refuses_what_it_cannot_merge() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111", "bbb222"]);
    assert_eq!(
        p.fails(&["db", "merge", "heads"], 4),
        "there is nothing to merge: the migrations have one head, bbb222 (create t_bbb222)"
    );
    assert_eq!(
        p.fails(&["db", "merge", "aaa111", "bbb222"], 4),
        "bbb222 is already built on aaa111, so merging them adds nothing; merge bbb222 with the other revisions"
    );
    assert_eq!(
        p.fails(&["db", "merge", "bbb222", "bbb"], 4),
        "a merge needs two or more revisions, and bbb222 bbb names only bbb222"
    );
    assert_eq!(
        p.fails(&["db", "merge", "base", "bbb222"], 4),
        "'base' is base, which cannot be merged; name revisions"
    );
    let clap = p.mb().args(["db", "merge"]).output().expect("run mb");
    assert_eq!(clap.status.code(), Some(2), "a revision is required");
}

#[test]
fn merge_takes_a_label_and_a_default_message() {
    let p = TestProject::with_fork(Db::Sqlite);
    p.ok(&[
        "db",
        "merge",
        "heads",
        "--rev-id",
        "ddd444",
        "--branch-label",
        "release",
    ]);
    let text = p.read("migrations/versions/ddd444_merge_bbb222_ccc333.sql");
    assert!(
        text.starts_with("-- merge bbb222, ccc333\n")
            && text.contains("\n-- Revises: bbb222, ccc333\n")
            && text.contains("\n-- Branch Labels: release\n"),
        "{text}"
    );
    assert_eq!(p.ok(&["db", "heads"]).stdout, "ddd444 (release) (head)\n");
    assert_eq!(
        p.ok(&["db", "show", "release"]).stdout.lines().next(),
        Some("Rev: ddd444 (release) (head) (mergepoint)")
    );
}

/// A fork whose two branches change column `x` of table `t` with `left` and `right`.
fn conflicting_fork(left: &str, right: &str) -> TestProject {
    let p = TestProject::new();
    p.write_revision(
        "aaa111",
        "",
        "t",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"x\" INTEGER);\n",
        "DROP TABLE \"t\";\n",
    );
    p.write_revision("bbb222", "aaa111", "left", left, "");
    p.write_revision("ccc333", "aaa111", "right", right, "");
    p
}

#[test]
fn merge_warns_when_the_branches_cannot_both_run() {
    let p = conflicting_fork(
        "ALTER TABLE \"t\" ADD COLUMN \"y\" INTEGER;\n",
        "ALTER TABLE \"t\" ADD COLUMN \"y\" TEXT;\n",
    );
    let run = p.ok(&["db", "merge", "heads", "--rev-id", "ddd444"]);
    assert_eq!(
        run.stderr_lines()[1],
        "warning: the merged branches conflict: with bbb222 applied first, migrations/versions/ccc333_right.sql:8: cannot apply `ALTER TABLE \"t\" ADD COLUMN \"y\" TEXT`: table \"t\" already has a column \"y\"; change the branches' revisions so that both can run in either order, before anyone upgrades past ddd444"
    );
}

#[test]
fn merge_warns_when_the_order_of_the_branches_matters() {
    let p = conflicting_fork(
        "ALTER TABLE \"t\" ALTER COLUMN \"x\" TYPE BIGINT;\n",
        "ALTER TABLE \"t\" ALTER COLUMN \"x\" TYPE TEXT;\n",
    );
    let run = p.ok(&["db", "merge", "heads", "--rev-id", "ddd444"]);
    let warning = run.stderr_lines()[1];
    assert!(
        warning.starts_with(
            "warning: the merged branches conflict: they end at different schemas depending on which runs first ("
        ) && warning.ends_with(
            "); change the branches' revisions so that they agree, before anyone upgrades past ddd444"
        ),
        "{warning}"
    );
}

#[test]
fn branches_lists_branch_points_and_bases() {
    let p = TestProject::new();
    p.ok(&["db", "revision", "-m", "one", "--rev-id", "aaa111"]);
    let run = p.ok(&["db", "branches"]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "No branches: every revision builds on the one before it (one base, one head).\n"
    );
    p.ok(&["db", "revision", "-m", "two", "--rev-id", "bbb222"]);
    p.ok(&["db", "revision", "-m", "three", "--rev-id", "ccc333"]);
    p.ok(&[
        "db", "revision", "-m", "fix", "--rev-id", "ddd444", "--head", "aaa111",
    ]);
    p.ok(&[
        "db",
        "revision",
        "-m",
        "lib",
        "--rev-id",
        "eee555",
        "--head",
        "base",
        "--branch-label",
        "lib",
    ]);
    assert_eq!(
        p.ok(&["db", "branches"]).stdout,
        "<base> (2 bases)\n  \
           -> aaa111 (branchpoint), one  [1 revision, branching again at aaa111]\n  \
           -> eee555 (lib) (head), lib  [1 revision, the head]\n\
         aaa111 (branchpoint), one\n  \
           -> bbb222, two  [2 revisions, head ccc333]\n  \
           -> ddd444 (head), fix  [1 revision, the head]\n"
    );
    p.ok(&[
        "db", "merge", "ccc333", "ddd444", "-m", "join", "--rev-id", "fff666",
    ]);
    let verbose = p.ok(&["db", "branches", "-v"]).stdout;
    assert!(
        verbose.contains(
            "Rev: aaa111 (branchpoint)\nParent: <base>\nBranches into: bbb222, ddd444\nPath: migrations/versions/aaa111_one.sql\n"
        ) && verbose.contains("  -> ddd444, fix  [1 revision, merged by fff666]\n"),
        "{verbose}"
    );
}

#[test]
fn heads_verbose_and_the_hint_to_merge() {
    let p = TestProject::with_fork(Db::Sqlite);
    let run = p.ok(&["db", "heads"]);
    assert_eq!(run.stdout, "bbb222 (head)\nccc333 (head)\n");
    assert_eq!(
        run.stderr,
        "2 heads: merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`.\n"
    );
    let verbose = p.ok(&["db", "heads", "-v"]).stdout;
    assert!(
        verbose.starts_with("Rev: bbb222 (head)\nParent: aaa111\nPath: migrations/versions/bbb222_create_t_bbb222.sql\n"),
        "{verbose}"
    );
    assert!(verbose.contains("Rev: ccc333 (head)\n"), "{verbose}");
}

#[test]
fn history_draws_branches_and_takes_branch_ranges() {
    let p = TestProject::with_fork(Db::Sqlite);
    add_header(&p, "ccc333", "-- Branch Labels: feature");
    p.table_revision("ddd444", "ccc333");
    assert_eq!(
        p.ok(&["db", "history"]).stdout,
        "* ccc333 -> ddd444 (head), create t_ddd444\n\
         * aaa111 -> ccc333 (feature), create t_ccc333\n\
         | * aaa111 -> bbb222 (head), create t_bbb222\n\
         |/\n\
         * <base> -> aaa111 (branchpoint), create t_aaa111\n"
    );
    // A range that is one line is not drawn.
    assert_eq!(
        p.ok(&["db", "history", "-r", "feature@base:feature@head"])
            .stdout,
        "ccc333 -> ddd444 (head), create t_ddd444\n\
         aaa111 -> ccc333 (feature), create t_ccc333\n"
    );
    assert_eq!(
        p.ok(&["db", "history", "-r", "aaa111:bbb222"]).stdout,
        "aaa111 -> bbb222 (head), create t_bbb222\n\
         <base> -> aaa111 (branchpoint), create t_aaa111\n"
    );
    p.ok(&["db", "upgrade", "ddd444"]);
    assert_eq!(
        p.ok(&["db", "history", "-r", "-2:current"]).stdout,
        "ccc333 -> ddd444 (head), create t_ddd444\n\
         aaa111 -> ccc333 (feature), create t_ccc333\n\
         <base> -> aaa111 (branchpoint), create t_aaa111\n"
    );
    let verbose = p.ok(&["db", "history", "-v"]).stdout;
    assert!(
        verbose.starts_with("* Rev: ddd444 (head)\n| Parent: ccc333\n"),
        "{verbose}"
    );
}

/// `mb db edit bbb` with `EDITOR` and `VISUAL` as given (unset when `None`): its exit
/// code and stderr.
fn edit(p: &TestProject, editor: Option<&str>, visual: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = p.mb();
    cmd.args(["db", "edit", "bbb"]);
    for (name, value) in [("EDITOR", editor), ("VISUAL", visual)] {
        match value {
            Some(value) => cmd.env(name, value),
            None => cmd.env_remove(name),
        };
    }
    let output = cmd.output().expect("run mb");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn edit_opens_the_revision_in_the_editor() {
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111", "bbb222"]);
    let file = "migrations/versions/bbb222_create_t_bbb222.sql";
    let fails = |code: i32, message: String| (Some(code), format!("error: {message}\n"));
    assert_eq!(
        edit(&p, Some("sed -i s/t_bbb222/t_edited/"), Some("false")),
        (Some(0), String::new())
    );
    assert!(p.read(file).contains("CREATE TABLE \"t_edited\""));
    // VISUAL when EDITOR is not set.
    assert_eq!(
        edit(&p, None, Some("sed -i s/t_edited/t_visual/")),
        (Some(0), String::new())
    );
    assert!(p.read(file).contains("CREATE TABLE \"t_visual\""));
    assert_eq!(
        edit(&p, None, None),
        fails(
            3,
            format!(
                "no editor to open {file} with: set EDITOR (for example `export EDITOR=vim`, or EDITOR=\"code --wait\")"
            )
        )
    );
    assert_eq!(
        edit(&p, Some("/nonexistent/editor --wait"), None),
        fails(
            3,
            "cannot start the editor '/nonexistent/editor --wait' (from EDITOR): No such file or directory; set EDITOR to an editor on your PATH".into()
        )
    );
    assert_eq!(
        edit(&p, Some("false"), None),
        fails(
            9,
            format!(
                "the editor 'false' (from EDITOR) failed (exit status: 1) editing {file}; check the file"
            )
        )
    );
    // A file broken in the editor is reported at once.
    assert_eq!(
        edit(&p, Some("sed -i s/migrate:down/migrate-down/"), None),
        fails(
            4,
            format!(
                "{file}: no '-- migrate:down' line; a revision needs '-- migrate:up' and then '-- migrate:down' (either section may be empty) (after editing {file}: edit it again to fix this)"
            )
        )
    );
}

#[test]
fn a_branch_label_claimed_twice_names_both_files() {
    let p = TestProject::with_fork(Db::Sqlite);
    add_header(&p, "bbb222", "-- Branch Labels: feature");
    add_header(&p, "ccc333", "-- Branch Labels: feature");
    assert_eq!(
        p.fails(&["db", "heads"], 4),
        "branch label feature is claimed by two files: migrations/versions/bbb222_create_t_bbb222.sql and migrations/versions/ccc333_create_t_ccc333.sql; a label names one branch, so rename one of them"
    );
}

#[test]
fn check_with_several_heads_prints_the_merge_command() {
    let p = TestProject::with_fork(Db::Sqlite);
    p.write("schema.sql", "");
    assert_eq!(
        status(&p, &["db", "check"]),
        (
            Some(1),
            "The migrations have 2 heads (bbb222 (create t_bbb222), ccc333 (create t_ccc333)); every database must end at one schema, so merge them: `mb db merge heads -m \"merge\"`, then `mb db upgrade`.\n".to_string()
        )
    );
    assert!(!p.exists("app.db"));
}

#[test]
fn a_redundant_version_row_is_rewritten_to_the_heads() {
    // A row another row implies (added by hand here) is gone after the next step: the
    // table holds exactly the heads, as Alembic keeps alembic_version.
    let p = TestProject::with_chain(Db::Sqlite, &["aaa111", "bbb222", "ccc333"]);
    p.ok(&["db", "upgrade", "bbb222"]);
    p.execute("INSERT INTO mb_version (version_num) VALUES ('aaa111')");
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["ccc333"]);
}
