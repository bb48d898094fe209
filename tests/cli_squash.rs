//! `mb db squash` on a generated 400-revision history: databases at any point of it
//! (before the squashed run, part way through it, after it) upgrade to the same schema
//! and rows as without the squash; a fresh database upgrades from base, and the squashed
//! history downgrades to base. On SQLite for a wide sample of starting points, on
//! PostgreSQL and MariaDB for a smaller one.

mod common;

use std::collections::BTreeMap;

use common::{Db, TestProject};
use mb::schema::Schema;

/// The history on SQLite, and the squashed run in it: FROM and TO.
const REVISIONS: usize = 400;
const FROM: usize = 50;
const TO: usize = 350;
/// On the servers, where each revision costs more, a shorter one.
const SERVER_REVISIONS: usize = 100;
const SERVER_FROM: usize = 10;
const SERVER_TO: usize = 80;

fn id(k: usize) -> String {
    format!("r{k:03}")
}

/// The up and down sections of revision `k` (1-based). Five revisions make one table's
/// life: create it, add a column, insert a row (data, carried over as written), rename
/// the column, index it; every fourth table also drops the one made two tables before.
/// Sections that drop a table or column say the loss is intended: a downgrade counts
/// rows before it runs, so the DELETE that runs first in the same run does not count.
fn sections(k: usize) -> (String, String) {
    let (n, phase) = ((k - 1) / 5, (k - 1) % 5);
    let t = format!("\"t{n}\"");
    match phase {
        0 => (
            format!("CREATE TABLE {t} (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER);"),
            format!("-- mb:allow-data-loss\nDROP TABLE {t};"),
        ),
        1 => (
            format!("ALTER TABLE {t} ADD COLUMN \"b\" VARCHAR(20);"),
            format!("-- mb:allow-data-loss\nALTER TABLE {t} DROP COLUMN \"b\";"),
        ),
        2 => (
            format!("INSERT INTO {t} (\"a\", \"b\") VALUES ({k}, 'row {k}');"),
            format!("DELETE FROM {t} WHERE \"a\" = {k};"),
        ),
        3 => (
            format!("ALTER TABLE {t} RENAME COLUMN \"b\" TO \"c\";"),
            format!("ALTER TABLE {t} RENAME COLUMN \"c\" TO \"b\";"),
        ),
        _ if n % 4 == 3 => {
            let old = n - 2;
            (
                format!(
                    "CREATE INDEX \"ix_t{n}_a\" ON {t} (\"a\");\n-- mb:allow-data-loss\nDROP TABLE \"t{old}\";"
                ),
                format!(
                    "CREATE TABLE \"t{old}\" (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER, \"c\" VARCHAR(20));\nCREATE INDEX \"ix_t{old}_a\" ON \"t{old}\" (\"a\");\nDROP INDEX \"ix_t{n}_a\";"
                ),
            )
        }
        _ => (
            format!("CREATE INDEX \"ix_t{n}_a\" ON {t} (\"a\");"),
            format!("DROP INDEX \"ix_t{n}_a\";"),
        ),
    }
}

/// The schema.sql the whole history builds: the tables not dropped, each with its
/// renamed column, its index and one row.
fn final_schema(revisions: usize) -> String {
    assert_eq!(revisions % 5, 0, "whole tables only");
    let tables = revisions / 5;
    let dropped = |n: usize| n + 2 < tables && (n + 2) % 4 == 3;
    (0..tables)
        .filter(|&n| !dropped(n))
        .map(|n| format!("CREATE TABLE \"t{n}\" (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER, \"c\" VARCHAR(20));\nCREATE INDEX \"ix_t{n}_a\" ON \"t{n}\" (\"a\");\n"))
        .collect()
}

/// Writes a history of `revisions` into `p`'s migrations, and the schema it builds into
/// schema.sql.
fn write_history(p: &TestProject, revisions: usize) {
    for k in 1..=revisions {
        let (up, down) = sections(k);
        let parent = if k == 1 { String::new() } else { id(k - 1) };
        p.write_revision(&id(k), &parent, &format!("step {k}"), &up, &down);
    }
    p.write("schema.sql", final_schema(revisions));
}

fn squash(p: &TestProject, from: usize, to: usize) {
    let (first, last) = (id(from), id(to));
    let run = p.ok(&[
        "db", "squash", &first, &last, "-m", "squashed", "--rev-id", "sq",
    ]);
    assert!(
        run.stderr.contains(&format!(
            "Squashed {} revisions ({first} … {last}) into sq",
            to - from + 1
        )),
        "{}",
        run.stderr
    );
}

/// The schema and the rows (per table, sorted) of the database at `url`.
fn contents(p: &TestProject, db: Db, url: &str) -> (Schema, BTreeMap<String, Vec<Vec<String>>>) {
    let parsed = mb::config::DatabaseUrl::parse(url, p.root()).unwrap();
    let mut connected = mb::backend::connect(&parsed, mb::backend::OpenMode::Read).unwrap();
    let schema = connected.backend.introspect_against(&[]).unwrap().schema;
    let mut rows = BTreeMap::new();
    for table in schema.tables.keys() {
        let sql = format!("SELECT * FROM \"{table}\" ORDER BY \"id\"");
        let found = match db {
            Db::Sqlite => {
                let path = url.strip_prefix("sqlite:///").unwrap();
                let conn = rusqlite::Connection::open(p.path(path)).unwrap();
                let mut statement = conn.prepare(&sql).unwrap();
                let width = statement.column_count();
                statement
                    .query_map([], |row| {
                        (0..width)
                            .map(|i| {
                                row.get::<_, rusqlite::types::Value>(i)
                                    .map(|v| format!("{v:?}"))
                            })
                            .collect()
                    })
                    .unwrap()
                    .collect::<Result<Vec<Vec<String>>, _>>()
                    .unwrap()
            }
            _ => common::ServerConnection::open(db, url)
                .unwrap()
                .query(&sql)
                .unwrap(),
        };
        rows.insert(table.clone(), found);
    }
    (schema, rows)
}

/// Runs mb on the database at `url`.
fn mb_on(p: &TestProject, url: &str, args: &[&str]) -> common::Run {
    common::ok(p.mb().arg("--database-url").arg(url).args(args))
}

/// The target for starting point `k` (0 is base).
fn point(k: usize) -> String {
    if k == 0 { "base".to_string() } else { id(k) }
}

#[test]
fn sqlite_databases_at_any_point_upgrade_to_the_same_schema_after_a_squash() {
    let p = TestProject::on(Db::Sqlite);
    write_history(&p, REVISIONS);
    let points = [
        0,
        1,
        FROM - 1,
        FROM,
        FROM + 1,
        137,
        250,
        TO - 1,
        TO,
        TO + 1,
        399,
        400,
    ];
    // One database walks up the history; a copy is kept at each point (at_0.db, base,
    // is made by the upgrade).
    let walker = "sqlite:///walker.db";
    for &k in points.iter().filter(|&&k| k > 0) {
        mb_on(&p, walker, &["-q", "db", "upgrade", &id(k)]);
        std::fs::copy(p.path("walker.db"), p.path(&format!("at_{k}.db"))).unwrap();
    }
    mb_on(&p, walker, &["db", "check"]);
    let expected = contents(&p, Db::Sqlite, walker);
    squash(&p, FROM, TO);
    assert!(p.exists(&format!("migrations/replaced/{}_step_{FROM}.sql", id(FROM))));
    for &k in &points {
        let url = format!("sqlite:///at_{k}.db");
        let run = mb_on(&p, &url, &["db", "upgrade"]);
        let part_way = (FROM..TO).contains(&k);
        assert_eq!(
            run.stderr
                .contains("part way through the revisions squash revision sq replaced"),
            part_way,
            "from {}: {}",
            point(k),
            run.stderr
        );
        // Finishing the replaced revisions is not "nothing to upgrade".
        assert!(
            !(part_way && run.stderr.contains("Nothing to upgrade")),
            "from {}: {}",
            point(k),
            run.stderr
        );
        assert_eq!(
            contents(&p, Db::Sqlite, &url),
            expected,
            "from {}",
            point(k)
        );
        assert_eq!(p_version(&p, &url), vec![id(REVISIONS)]);
    }
    // Fresh from base after the squash: through the squash revision, not the originals.
    let fresh = "sqlite:///fresh.db";
    let run = mb_on(&p, fresh, &["db", "upgrade"]);
    assert!(
        run.stderr
            .contains(&format!("Running upgrade {} -> sq, squashed", id(FROM - 1))),
        "{}",
        run.stderr
    );
    assert_eq!(contents(&p, Db::Sqlite, fresh).0, expected.0);
    // And down to base.
    mb_on(&p, fresh, &["db", "downgrade", "base"]);
    assert!(contents(&p, Db::Sqlite, fresh).0.tables.is_empty());
    // The history reads as the squash.
    let history = p.ok(&["db", "history"]).stdout;
    assert!(
        history.contains(&format!("{} -> sq, squashed", id(FROM - 1))),
        "{history}"
    );
    assert!(!history.contains(&format!("{} ->", id(FROM))), "{history}");
}

/// The version rows of the database at `url`.
fn p_version(p: &TestProject, url: &str) -> Vec<String> {
    let path = url.strip_prefix("sqlite:///").unwrap();
    let conn = rusqlite::Connection::open(p.path(path)).unwrap();
    let mut statement = conn.prepare("SELECT version_num FROM mb_version").unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
}

/// On a server: a database part way through the squashed run, and a fresh one, each
/// checked against the schema the history declares (`mb db check`) and its rows.
fn server_databases_upgrade_to_the_same_schema_after_a_squash(db: Db) {
    let p = TestProject::on(db);
    write_history(&p, SERVER_REVISIONS);
    let part_way = common::ServerDatabase::create(db);
    mb_on(&p, &part_way.url, &["-q", "db", "upgrade", &id(37)]);
    squash(&p, SERVER_FROM, SERVER_TO);
    let fresh = common::ServerDatabase::create(db);
    let tables = final_schema(SERVER_REVISIONS)
        .matches("CREATE TABLE")
        .count();
    for database in [&part_way, &fresh] {
        mb_on(&p, &database.url, &["-q", "db", "upgrade"]);
        mb_on(&p, &database.url, &["db", "check"]);
        let (schema, rows) = contents(&p, db, &database.url);
        assert_eq!(schema.tables.len(), tables);
        assert!(rows.values().all(|r| r.len() == 1), "{rows:?}");
    }
    mb_on(&p, &fresh.url, &["-q", "db", "downgrade", "base"]);
    assert!(contents(&p, db, &fresh.url).0.tables.is_empty());
}

on_each_server!(server_databases_upgrade_to_the_same_schema_after_a_squash);

#[test]
fn squash_refuses_what_it_cannot_replace_and_says_why() {
    let p = TestProject::with_fork(Db::Sqlite);
    let message = p.fails(&["db", "squash", "aaa111", "bbb222", "-m", "x"], 4);
    assert_eq!(
        message,
        "aaa111 is a branch point (revised by bbb222, ccc333); a squash replaces a linear run, so start at the revision after it, or end at it"
    );
    let message = p.fails(&["db", "squash", "bbb222", "ccc333", "-m", "x"], 4);
    assert!(message.starts_with("aaa111 is a branch point"), "{message}");
    p.chain(&["ddd444", "eee555"]);
    let message = p.fails(&["db", "squash", "eee555", "ddd444", "-m", "x"], 4);
    assert!(
        message.starts_with("eee555 is not an ancestor of ddd444"),
        "{message}"
    );
    p.mb().args(["db", "squash", "-m", "x"]).assert().code(2);
    assert_eq!(
        std::fs::read_dir(p.path("migrations/versions"))
            .unwrap()
            .count(),
        5
    );
    assert!(!p.exists("migrations/replaced"));
}

#[test]
fn a_database_part_way_through_a_squash_needs_the_replaced_files() {
    let p = TestProject::on(Db::Sqlite);
    write_history(&p, 10);
    p.ok(&["-q", "db", "upgrade", &id(3)]);
    squash(&p, 2, 8);
    assert_eq!(
        p.ok(&["db", "current"]).stdout,
        format!(
            "{} (part way through squash revision sq; `mb db upgrade` finishes it)\n",
            id(3)
        )
    );
    let message = p.fails(&["db", "migrate", "-m", "x"], 4);
    assert!(
        message.contains("part way through the revisions that squash revision sq replaced"),
        "{message}"
    );
    std::fs::remove_dir_all(p.path("migrations/replaced")).unwrap();
    let message = p.fails(&["db", "upgrade"], 4);
    assert!(
        message.starts_with(&format!(
            "revision {}, which squash revision sq replaced, is not in migrations/replaced",
            id(2)
        )),
        "{message}"
    );
    assert_eq!(p.version_rows(), [id(3)]);
}

#[test]
fn a_squash_of_a_squash_still_finishes_databases_part_way_through_either() {
    let p = TestProject::on(Db::Sqlite);
    write_history(&p, 15);
    let at = |k: usize| {
        let url = format!("sqlite:///at_{k}.db");
        mb_on(&p, &url, &["-q", "db", "upgrade", &id(k)]);
        url
    };
    let starts = [at(3), at(5), at(7)];
    p.ok(&[
        "db",
        "squash",
        &id(2),
        &id(5),
        "-m",
        "first",
        "--rev-id",
        "sqa",
    ]);
    p.ok(&[
        "db",
        "squash",
        "sqa",
        &id(8),
        "-m",
        "second",
        "--rev-id",
        "sqb",
    ]);
    for url in &starts {
        mb_on(&p, url, &["-q", "db", "upgrade"]);
        mb_on(&p, url, &["db", "check"]);
    }
    let fresh = "sqlite:///fresh.db";
    let run = mb_on(&p, fresh, &["db", "upgrade"]);
    assert!(
        run.stderr.contains("Running upgrade r001 -> sqb, second"),
        "{}",
        run.stderr
    );
    mb_on(&p, fresh, &["db", "check"]);
}

/// On MySQL, whose DDL commits by itself, a replaced revision that stops part way while
/// it is being finished resumes with `upgrade --resume` like any other.
#[test]
fn mysql_a_replaced_revision_that_stops_part_way_resumes() {
    if !Db::Mysql.available("cli_squash::mysql_a_replaced_revision_that_stops_part_way_resumes") {
        return;
    }
    let p = TestProject::on(Db::Mysql);
    let table = |k: usize| format!("CREATE TABLE \"u{k}\" (\"id\" INTEGER PRIMARY KEY);");
    p.write_revision(
        &id(1),
        "",
        "t",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"a\" INTEGER);\nINSERT INTO \"t\" (\"a\") VALUES (1), (1);",
        "DROP TABLE \"t\";",
    );
    p.write_revision(&id(2), &id(1), "u2", &table(2), "DROP TABLE \"u2\";");
    p.write_revision(
        &id(3),
        &id(2),
        "unique",
        "ALTER TABLE \"t\" ADD COLUMN \"b\" INTEGER;\nALTER TABLE \"t\" ADD CONSTRAINT \"uq_t_a\" UNIQUE (\"a\");",
        "ALTER TABLE \"t\" DROP CONSTRAINT \"uq_t_a\";\nALTER TABLE \"t\" DROP COLUMN \"b\";",
    );
    p.write_revision(&id(4), &id(3), "u4", &table(4), "DROP TABLE \"u4\";");
    p.ok(&["-q", "db", "upgrade", &id(2)]);
    squash(&p, 1, 3);
    let (progress, message) = common::fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert!(
        progress[0].contains("part way through the revisions squash revision sq replaced"),
        "{progress:?}"
    );
    assert!(
        message.contains("statement 1 of 2 ran and stays applied"),
        "{message}"
    );
    p.execute("DELETE FROM \"t\" WHERE \"id\" = 2");
    p.ok(&["db", "upgrade", "--resume"]);
    assert_eq!(p.version_rows(), [id(4)]);
    assert_eq!(p.columns("t"), ["id", "a", "b"]);
}
