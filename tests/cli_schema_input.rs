//! What `schema.sql` may hold beyond SQL syntax: a byte order mark is accepted, a NUL
//! byte is refused where it is, and so is a name the target database would cut short
//! (PostgreSQL, over 63 bytes) or refuse only when the revision runs (MySQL and
//! MariaDB, over 64 characters or with a 4-byte UTF-8 character).

mod common;

use common::{Db, TestProject};

const TABLE: &str = "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY);\n";

#[test]
fn a_byte_order_mark_at_the_start_of_schema_sql_is_accepted() {
    let p = TestProject::new();
    p.write("schema.sql", format!("\u{feff}{TABLE}"));
    p.ok(&["-q", "db", "migrate", "-m", "t"]);
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(p.tables(), ["t"]);
    p.ok(&["-q", "db", "check"]);
    // Columns are counted as an editor shows them, without the mark.
    p.write(
        "schema.sql",
        "\u{feff}CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY,);\n",
    );
    let error = p.fails(&["-q", "db", "check"], 5);
    assert!(error.starts_with("schema.sql:1:44: "), "{error}");
}

#[test]
fn a_nul_byte_in_schema_sql_is_refused_where_it_is() {
    let p = TestProject::new();
    p.write("schema.sql", format!("{TABLE}-- a note\0\n"));
    for verb in [
        &["db", "migrate", "-m", "x"][..],
        &["db", "check"],
        &["db", "check", "--offline"],
    ] {
        assert_eq!(
            p.fails(verb, 5),
            "schema.sql:2:10: a NUL character (byte 0) is not SQL text (PostgreSQL cannot store one in a string, so a revision holding it would fail there) — remove it"
        );
    }
    assert!(p.revision_files().is_empty());
}

/// A table with a column of each name, the second on line 3 at column 5.
fn two_columns(first: &str, second: &str) -> String {
    format!(
        "CREATE TABLE \"t\" (\n    \"{first}\" INTEGER PRIMARY KEY,\n    \"{second}\" TEXT\n);\n"
    )
}

fn names_a_database_would_not_keep_are_refused(db: Db) {
    let p = TestProject::on(db);
    let bytes_64 = "b".repeat(64);
    let chars_65 = "c".repeat(65);
    let accented = "é".repeat(32); // 32 characters, 64 bytes
    let emoji = "smile_😀";
    let refusals: Vec<(&str, String)> = match db {
        Db::Sqlite => Vec::new(),
        Db::Postgres => vec![
            (&bytes_64, "is 64 bytes long, and PostgreSQL keeps only the first 63 bytes of a name".to_string()),
            (&accented, "is 64 bytes long, and PostgreSQL".to_string()),
        ],
        Db::Mysql => vec![
            (&chars_65, "is 65 characters long, and MySQL and MariaDB refuse names longer than 64 characters".to_string()),
            (emoji, "holds '😀' (U+1F600), a 4-byte UTF-8 character, which MySQL and MariaDB names cannot hold".to_string()),
        ],
    };
    for (name, why) in &refusals {
        p.write("schema.sql", two_columns("id", name));
        for verb in [&["db", "migrate", "-m", "x"][..], &["db", "check"]] {
            let error = p.fails(verb, 5);
            assert!(
                error.starts_with(&format!("schema.sql:3:5: the name \"{name}\" {why}")),
                "{}: {error}",
                db.name()
            );
        }
        assert!(p.revision_files().is_empty());
    }
    // The longest names each database keeps go through and read back unchanged.
    let kept = match db {
        Db::Sqlite => chars_65.repeat(3),
        Db::Postgres => "k".repeat(63),
        Db::Mysql => "é".repeat(64),
    };
    p.write("schema.sql", two_columns("id", &kept));
    p.ok(&["-q", "db", "migrate", "-m", "long names"]);
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(
        p.columns("t"),
        ["id".to_string(), kept.clone()],
        "{}",
        db.name()
    );
    p.ok(&["-q", "db", "check"]);
}

on_each_database!(names_a_database_would_not_keep_are_refused);
