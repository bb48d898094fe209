//! `--format json` (docs/json.md): each reading verb prints one JSON document on stdout
//! that parses, has the documented fields, and keeps the verb's exit code.

mod common;

use common::{Db, TestProject};
use serde_json::Value;

fn json_of(p: &TestProject, args: &[&str]) -> Value {
    let run = p.ok(args);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout))
}

/// `mb ARGS`, which must exit with `code` and print a JSON document.
fn json_with_code(p: &TestProject, args: &[&str], code: i32) -> Value {
    let output = p.mb().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(code), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"))
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

fn current_reports_the_applied_revisions(db: Db) {
    let p = TestProject::with_chain(db, &["aaa111", "bbb222"]);
    let at_base = json_of(&p, &["db", "current", "--format", "json"]);
    assert_eq!(at_base["current"], serde_json::json!([]));
    let dialect = match db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgresql",
        Db::Mysql => "mysql",
    };
    assert_eq!(at_base["database"]["dialect"], dialect);
    assert_eq!(at_base["partly_applied"], Value::Null);

    p.ok(&["db", "upgrade", "+1"]);
    let after = json_of(&p, &["db", "current", "--format", "json"]);
    assert_eq!(ids(&after["current"]), ["aaa111"]);
    let current = &after["current"][0];
    assert_eq!(current["is_head"], false);
    assert_eq!(current["parents"], serde_json::json!([]));
    assert_eq!(current["message"], "create t_aaa111");
    assert_eq!(current["applied"]["operation"], "upgrade");
    assert_eq!(current["applied"]["file_unchanged"], true);
    assert!(current["applied"]["duration_ms"].is_i64());
    assert_eq!(after["edited"], serde_json::json!([]));

    // An edited applied revision is listed, with both checksums.
    let path = p.path("migrations/versions/aaa111_create_t_aaa111.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n-- edited\n")).unwrap();
    let edited = json_of(&p, &["db", "current", "--format", "json"]);
    assert_eq!(ids(&edited["edited"]), ["aaa111"]);
    assert_ne!(
        edited["edited"][0]["applied_checksum"],
        edited["edited"][0]["checksum"]
    );
    assert_eq!(edited["current"][0]["applied"]["file_unchanged"], false);
}

fn check_reports_each_outcome(db: Db) {
    let p = TestProject::on(db);
    p.write(
        "schema.sql",
        "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40) NOT NULL);\n",
    );
    p.ok(&["db", "migrate", "-m", "users", "--rev-id", "u1"]);

    let behind = json_with_code(&p, &["db", "check", "--format", "json"], 1);
    assert_eq!(behind["status"], "not_up_to_date");
    assert_eq!(behind["compared_with"], "database");
    assert!(
        behind["message"]
            .as_str()
            .unwrap()
            .starts_with("Target database is not up to date"),
        "{behind}"
    );

    p.ok(&["db", "upgrade"]);
    let clean = json_with_code(&p, &["db", "check", "--format", "json"], 0);
    assert_eq!(clean["status"], "clean");
    assert_eq!(clean["schema_file"], "schema.sql");
    assert_eq!(clean["operations"], serde_json::json!([]));
    assert_eq!(clean["diff"], Value::Null);

    p.write(
        "schema.sql",
        "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(40) NOT NULL, \"email\" TEXT);\n",
    );
    let differs = json_with_code(&p, &["db", "check", "--format", "json"], 1);
    assert_eq!(differs["status"], "differs");
    assert_eq!(
        differs["operations"],
        serde_json::json!([{
            "summary": "added column \"user\".\"email\"",
            "sql": "ALTER TABLE \"user\" ADD COLUMN \"email\" TEXT",
        }])
    );
    assert!(
        differs["diff"]
            .as_str()
            .unwrap()
            .contains("+    \"email\" TEXT"),
        "{differs}"
    );
    let offline = json_with_code(&p, &["db", "check", "--offline", "--format", "json"], 1);
    assert_eq!(offline["compared_with"], "migrations");
    assert_eq!(offline["operations"], differs["operations"]);
}

on_each_database!(
    current_reports_the_applied_revisions,
    check_reports_each_outcome
);

#[test]
fn heads_history_and_show() {
    let p = TestProject::with_fork(Db::Sqlite);
    let heads = json_of(&p, &["db", "heads", "--format", "json"]);
    assert_eq!(ids(&heads["heads"]), ["bbb222", "ccc333"]);
    assert_eq!(heads["heads"][0]["parents"], serde_json::json!(["aaa111"]));

    let history = json_of(&p, &["db", "history", "--format", "json"]);
    assert_eq!(
        ids(&history["revisions"]),
        ["ccc333", "bbb222", "aaa111"],
        "newest first, like the text"
    );
    let base = &history["revisions"][2];
    assert_eq!(base["is_branch_point"], true);
    assert_eq!(base["applied"], Value::Null, "unknown without -i");

    p.ok(&["db", "upgrade", "bbb222"]);
    let marked = json_of(&p, &["db", "history", "-i", "--format", "json"]);
    let flags: Vec<(bool, bool)> = marked["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["applied"].as_bool().unwrap(),
                r["current"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(flags, [(false, false), (true, true), (true, false)]);

    let show = json_of(&p, &["db", "show", "bbb222", "--format", "json"]);
    assert_eq!(show["id"], "bbb222");
    assert_eq!(
        show["path"],
        "migrations/versions/bbb222_create_t_bbb222.sql"
    );
    assert!(
        show["up"]
            .as_str()
            .unwrap()
            .contains("CREATE TABLE \"t_bbb222\"")
    );
    assert!(
        show["down"]
            .as_str()
            .unwrap()
            .contains("DROP TABLE \"t_bbb222\"")
    );
    assert_eq!(
        show["text"],
        p.read("migrations/versions/bbb222_create_t_bbb222.sql")
    );
}

#[test]
fn several_heads_and_errors_keep_their_exit_codes() {
    let p = TestProject::with_fork(Db::Sqlite);
    let check = json_with_code(&p, &["db", "check", "--format", "json"], 1);
    assert_eq!(check["status"], "several_heads");
    // Errors stay one line on stderr with their exit code; stdout stays empty.
    p.fails(&["db", "show", "nope", "--format", "json"], 4);
}
