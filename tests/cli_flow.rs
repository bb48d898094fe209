//! The everyday workflow: init, revision, upgrade, current, downgrade, stamp, history,
//! and `mb db --help`.

mod common;

use common::{Db, TestProject};

/// Puts SQL into the up and down sections of a revision file `mb db revision` wrote.
fn fill(project: &TestProject, rel: &str, up: &str, down: &str) {
    let text = project
        .read(rel)
        .replace("-- migrate:up\n", &format!("-- migrate:up\n{up}"))
        .replace("-- migrate:down\n", &format!("-- migrate:down\n{down}"));
    project.write(rel, text);
}

fn init_revision_upgrade_current_downgrade_stamp_history(db: Db) {
    let mut p = TestProject::empty();
    let init = p.ok(&["db", "init"]);
    assert_eq!(
        init.stderr_lines(),
        [
            "Created migrations with versions/, README and script.sql.template",
            "Created mb.toml",
            "Created schema.sql: declare your tables there",
        ]
    );
    assert!(p.path("migrations/versions").is_dir());
    assert!(p.exists("migrations/README") && p.exists("migrations/script.sql.template"));
    let config = p.read("mb.toml");
    assert!(
        config.contains("database_url = \"sqlite:///app.db\"\n"),
        "{config}"
    );
    assert!(config.contains("migrations = \"migrations\"\n"), "{config}");
    p.use_database(db);

    let users = p.new_revision(&["-m", "users table"]);
    assert_eq!(users.len(), 12, "{users}");
    assert!(users.chars().all(|c| c.is_ascii_hexdigit()), "{users}");
    let users_file = format!("migrations/versions/{users}_users_table.sql");
    let text = p.read(&users_file);
    assert!(
        text.starts_with(&format!(
            "-- users table\n--\n-- Revision ID: {users}\n-- Revises: \n-- Create Date: "
        )),
        "{text}"
    );
    assert!(
        text.contains("\n-- migrate:up\n") && text.contains("\n-- migrate:down\n"),
        "{text}"
    );
    fill(
        &p,
        &users_file,
        "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"username\" VARCHAR(64));\n",
        "DROP TABLE \"user\";\n",
    );

    let posts = p.new_revision(&["-m", "posts table"]);
    let posts_file = format!("migrations/versions/{posts}_posts_table.sql");
    assert!(
        p.read(&posts_file)
            .contains(&format!("\n-- Revises: {users}\n"))
    );
    fill(
        &p,
        &posts_file,
        "CREATE TABLE \"post\" (\"id\" INTEGER PRIMARY KEY, \"user_id\" INTEGER REFERENCES \"user\" (\"id\"));\n",
        "DROP TABLE \"post\";\n",
    );

    let upgrade = p.ok(&["db", "upgrade"]);
    assert_eq!(
        upgrade.stderr_lines(),
        [
            p.using_line(true),
            format!("Running upgrade <base> -> {users}, users table"),
            format!("Running upgrade {users} -> {posts}, posts table"),
            format!("Upgraded 2 revisions; the database is at {posts} (posts table)."),
        ]
    );
    assert_eq!(p.tables(), ["post", "user"]);
    assert_eq!(p.ok(&["db", "current"]).stdout, format!("{posts} (head)\n"));

    let downgrade = p.ok(&["db", "downgrade"]);
    assert_eq!(
        downgrade.stderr_lines(),
        [
            p.using_line(false),
            format!("Running downgrade {posts} -> {users}, posts table"),
            format!("Downgraded 1 revision; the database is at {users} (users table)."),
        ]
    );
    assert_eq!(p.tables(), ["user"]);
    assert_eq!(p.ok(&["db", "current"]).stdout, format!("{users}\n"));

    let stamp = p.ok(&["db", "stamp", "head"]);
    assert_eq!(
        stamp.stderr_lines().last().copied(),
        Some(format!("Stamped the database at {posts} (posts table); no SQL was run.").as_str())
    );
    assert_eq!(p.tables(), ["user"], "stamp must not run SQL");
    assert_eq!(p.ok(&["db", "current"]).stdout, format!("{posts} (head)\n"));

    assert_eq!(
        p.ok(&["db", "history"]).stdout,
        format!("{users} -> {posts} (head), posts table\n<base> -> {users}, users table\n")
    );
}

#[test]
fn init_refuses_a_non_empty_migrations_directory() {
    let p = TestProject::empty();
    p.write("migrations/notes.txt", "mine");
    let message = p.fails(&["db", "init"], 4);
    assert_eq!(
        message,
        "migrations already exists and is not empty; choose another directory with -d DIR, or remove it first"
    );
    assert!(
        !p.exists("mb.toml"),
        "a refused init must not write mb.toml"
    );
    assert_eq!(p.read("migrations/notes.txt"), "mine");
}

#[test]
fn init_twice_refuses_the_second_time() {
    let p = TestProject::new();
    let before = p.read("mb.toml");
    let message = p.fails(&["db", "init"], 4);
    assert!(
        message
            == "migrations already exists and is not empty (the migrations directory of mb.toml); choose another directory with -d DIR, or remove it first",
        "{message}"
    );
    assert_eq!(p.read("mb.toml"), before);
}

#[test]
fn init_into_an_existing_empty_directory_is_fine() {
    let p = TestProject::empty();
    p.mkdir("migrations");
    p.ok(&["db", "init"]);
    assert!(p.path("migrations/versions").is_dir());
}

#[test]
fn init_with_directory_records_it_in_mb_toml_for_later_commands() {
    let p = TestProject::empty();
    let init = p.ok(&["db", "init", "-d", "db/migrations"]);
    assert_eq!(
        init.stderr_lines()[0],
        "Created db/migrations with versions/, README and script.sql.template"
    );
    assert!(p.path("db/migrations/versions").is_dir());
    assert!(p.exists("db/migrations/script.sql.template"));
    assert!(!p.exists("migrations"));
    assert!(
        p.read("mb.toml")
            .contains("migrations = \"db/migrations\"\n")
    );

    // Later commands find the directory through mb.toml, without -d.
    let run = p.ok(&["db", "revision", "-m", "first", "--rev-id", "abc123"]);
    assert_eq!(
        run.stdout,
        "Generating db/migrations/versions/abc123_first.sql ... done\n"
    );
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["abc123"]);
}

#[test]
fn revision_with_rev_id_uses_it_in_the_header_and_the_file_name() {
    let p = TestProject::new();
    let run = p.ok(&["db", "revision", "-m", "Seed roles!", "--rev-id", "seed_01"]);
    assert_eq!(
        run.stdout,
        "Generating migrations/versions/seed_01_seed_roles.sql ... done\n"
    );
    let text = p.read("migrations/versions/seed_01_seed_roles.sql");
    assert!(
        text.starts_with("-- Seed roles!\n--\n-- Revision ID: seed_01\n-- Revises: \n"),
        "{text}"
    );
    assert_eq!(p.ok(&["db", "heads"]).stdout, "seed_01 (head)\n");
}

#[test]
fn revision_revises_the_current_head() {
    let p = TestProject::new();
    let first = p.new_revision(&["-m", "one"]);
    let second = p.new_revision(&["-m", "two"]);
    let third = p.new_revision(&["-m", "three"]);
    assert!(
        p.read(&format!("migrations/versions/{second}_two.sql"))
            .contains(&format!("\n-- Revises: {first}\n"))
    );
    assert!(
        p.read(&format!("migrations/versions/{third}_three.sql"))
            .contains(&format!("\n-- Revises: {second}\n"))
    );
    assert_eq!(p.ok(&["db", "heads"]).stdout, format!("{third} (head)\n"));
}

#[test]
fn revision_head_base_starts_a_second_root() {
    let p = TestProject::new();
    p.ok(&["db", "revision", "-m", "main", "--rev-id", "aaa111"]);
    p.ok(&[
        "db",
        "revision",
        "-m",
        "other root",
        "--rev-id",
        "bbb222",
        "--head",
        "base",
    ]);
    assert!(
        p.read("migrations/versions/bbb222_other_root.sql")
            .contains("\n-- Revises: \n")
    );
    assert_eq!(
        p.ok(&["db", "heads"]).stdout,
        "aaa111 (head)\nbbb222 (head)\n"
    );

    // With two heads, a plain `revision` cannot guess the parent.
    let message = p.fails(&["db", "revision", "-m", "next"], 4);
    assert_eq!(
        message,
        "the migrations have 2 heads (aaa111 (main), bbb222 (other root)); pass --head REV to choose the one the new revision builds on, or merge them first with `mb db merge heads`"
    );
}

#[test]
fn revision_head_rev_branches_from_that_revision() {
    let p = TestProject::new();
    p.ok(&["db", "revision", "-m", "one", "--rev-id", "aaa111"]);
    p.ok(&["db", "revision", "-m", "two", "--rev-id", "bbb222"]);
    p.ok(&[
        "db", "revision", "-m", "hotfix", "--rev-id", "ccc333", "--head", "aaa",
    ]);
    assert!(
        p.read("migrations/versions/ccc333_hotfix.sql")
            .contains("\n-- Revises: aaa111\n")
    );
    assert_eq!(
        p.ok(&["db", "heads"]).stdout,
        "bbb222 (head)\nccc333 (head)\n"
    );
}

#[test]
fn revision_rejects_a_used_or_malformed_rev_id() {
    let p = TestProject::new();
    p.ok(&["db", "revision", "-m", "one", "--rev-id", "aaa111"]);
    assert_eq!(
        p.fails(&["db", "revision", "-m", "again", "--rev-id", "aaa111"], 4),
        "revision id aaa111 is already used"
    );
    assert_eq!(
        p.fails(&["db", "revision", "-m", "bad", "--rev-id", "a-b"], 4),
        "'a-b' is not a valid revision id; use 1 to 32 letters, digits or '_' (mb makes 12 hex digits)"
    );
    assert_eq!(p.ok(&["db", "heads"]).stdout, "aaa111 (head)\n");
}

#[test]
fn db_help_lists_every_verb_with_a_description_and_examples() {
    let p = TestProject::empty();
    let help = p.ok(&["db", "--help"]).stdout;
    let verbs = [
        (
            "init",
            "Create the migrations directory (versions/, README, template) and mb.toml",
        ),
        (
            "revision",
            "Write an empty revision file to fill in by hand",
        ),
        ("upgrade", "Apply revisions up to a target (default: head)"),
        (
            "downgrade",
            "Undo revisions down to a target (default: -1, the last one)",
        ),
        ("stamp", "Record revisions as applied without running them"),
        (
            "resolve",
            "Settle a revision that stopped part way, after finishing or undoing it by hand",
        ),
        ("current", "Show the revision(s) the database is at"),
        ("history", "List revisions, newest first"),
        ("heads", "Show the head revision(s) of the migrations"),
        ("show", "Show one revision: its header and its SQL"),
        (
            "drift",
            "Show how the database differs from what its migrations build (exit 1 when it does)",
        ),
        (
            "adopt",
            "Keep the drift: a revision that records it, and the database stamped at it",
        ),
    ];
    for (verb, description) in verbs {
        let line = help
            .lines()
            .find(|line| line.split_whitespace().next() == Some(verb))
            .unwrap_or_else(|| panic!("{verb} is not listed:\n{help}"));
        assert_eq!(
            line.split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" "),
            description,
            "{help}"
        );
    }
    let examples = help
        .split_once("Examples:\n")
        .map(|(_, e)| e)
        .unwrap_or_else(|| panic!("no examples:\n{help}"));
    for example in [
        "mb db init",
        "mb db revision -m",
        "mb db upgrade",
        "mb db downgrade",
        "mb db stamp head",
        "mb db upgrade --resume",
        "mb db resolve undone",
        "mb db history -i",
        "mb db current -v",
    ] {
        assert!(
            examples
                .lines()
                .any(|l| l.trim_start().starts_with(example)),
            "no example of {example}:\n{help}"
        );
    }
}

fn the_repository_tutorial_project_upgrades_and_downgrades(db: Db) {
    let mut p = TestProject::empty();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["mb.toml", "schema.sql"] {
        std::fs::copy(repo.join(file), p.path(file)).expect("copy the tutorial project");
    }
    p.use_database(db);
    let versions = repo.join("migrations/versions");
    for entry in std::fs::read_dir(&versions).expect("the repository's revisions") {
        let entry = entry.expect("a directory entry");
        p.write(
            &format!(
                "migrations/versions/{}",
                entry.file_name().to_string_lossy()
            ),
            std::fs::read(entry.path()).expect("read a revision"),
        );
    }
    p.ok(&["db", "upgrade"]);
    assert_eq!(p.tables(), ["post", "user"]);
    assert_eq!(p.version_rows(), ["780739b227a7"]);
    // The indexes the tutorial declares are there.
    assert_eq!(p.indexes("user"), ["ix_user_email", "ix_user_username"]);
    assert_eq!(p.indexes("post"), ["ix_post_timestamp", "ix_post_user_id"]);
    p.ok(&["db", "downgrade", "base"]);
    assert!(p.tables().is_empty());
    assert!(p.version_rows().is_empty());
}

#[test]
fn init_with_another_directory_in_an_existing_project_warns_about_mb_toml() {
    let p = TestProject::new();
    let before = p.read("mb.toml");
    let run = p.ok(&["db", "init", "-d", "other"]);
    assert_eq!(
        run.stderr_lines(),
        [
            "Created other with versions/, README and script.sql.template",
            "warning: mb.toml says the migrations are in migrations; set migrations = \"other\" there, or pass -d to every command",
        ]
    );
    assert!(p.path("other/versions").is_dir());
    assert_eq!(
        p.read("mb.toml"),
        before,
        "init must not rewrite an existing mb.toml"
    );
}

#[test]
fn a_project_on_another_database_file_migrates_that_file() {
    let p = TestProject::with_database_url(Some("sqlite:///dev.db"));
    p.chain(&["aaa111", "bbb222"]);
    let run = p.ok(&["db", "upgrade"]);
    assert_eq!(
        run.stderr_lines()[0],
        format!("Creating SQLite database {}", p.abs("dev.db"))
    );
    assert_eq!(p.sqlite_path(), p.path("dev.db"));
    assert_eq!(p.version_rows(), ["bbb222"]);
    assert!(!p.exists("app.db"));
    p.ok(&["db", "downgrade", "base"]);
    assert!(p.tables().is_empty());
}

crate::on_each_database!(
    init_revision_upgrade_current_downgrade_stamp_history,
    the_repository_tutorial_project_upgrades_and_downgrades,
);
