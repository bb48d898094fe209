//! Identifiers from files are always quoted for the target database: tables, columns and
//! indexes whose names hold double quotes, backticks, semicolons and `--` go through
//! `schema.sql` → `mb db migrate` → `upgrade` → `downgrade` and are created exactly as
//! named, and the SQL hidden in them never runs (the table it would drop survives).

mod common;

use common::{Db, TestProject};

const TABLE: &str = "v\"; DROP TABLE victim; --";
const COLUMNS: [&str; 4] = ["id", "q\"uote", "back`tick", "semi;colon -- dash"];
const INDEX: &str = "ix`); DROP TABLE victim;--";

/// `name` as a portable quoted identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn names_with_sql_in_them_are_created_exactly(db: Db) {
    let p = TestProject::on(db);
    let schema = format!(
        "CREATE TABLE \"victim\" (\"id\" INTEGER PRIMARY KEY);\n\
         CREATE TABLE {table} (\n    {id} INTEGER PRIMARY KEY,\n    {q} VARCHAR(20) DEFAULT 'it''s; --',\n    {b} INTEGER REFERENCES \"victim\" (\"id\"),\n    {s} TEXT\n);\n\
         CREATE INDEX {index} ON {table} ({b}, {q});\n",
        table = quoted(TABLE),
        id = quoted(COLUMNS[0]),
        q = quoted(COLUMNS[1]),
        b = quoted(COLUMNS[2]),
        s = quoted(COLUMNS[3]),
        index = quoted(INDEX),
    );
    p.write("schema.sql", &schema);
    p.ok(&["-q", "db", "migrate", "-m", "odd names"]);
    p.ok(&["-q", "db", "upgrade"]);

    let mut expected = vec![TABLE.to_string(), "victim".to_string()];
    expected.sort();
    assert_eq!(p.tables(), expected, "{}", db.name());
    assert_eq!(p.columns(TABLE), COLUMNS, "{}", db.name());
    assert!(
        p.indexes(TABLE).contains(&INDEX.to_string()),
        "{:?}",
        p.indexes(TABLE)
    );
    // The default kept its text, and rows go in through the odd names.
    p.execute("INSERT INTO \"victim\" (\"id\") VALUES (1)");
    p.execute(&format!(
        "INSERT INTO {} ({}, {}) VALUES (1, 1)",
        quoted(TABLE),
        quoted(COLUMNS[0]),
        quoted(COLUMNS[2])
    ));
    assert_eq!(
        p.scalar(&format!(
            "SELECT {} FROM {}",
            quoted(COLUMNS[1]),
            quoted(TABLE)
        )),
        "it's; --"
    );
    // mb reads the names back as declared: nothing left to migrate.
    p.ok(&["-q", "db", "check"]);

    // A wider column (a table rebuild on SQLite, MODIFY COLUMN on MySQL) and a new one.
    let added = "n'ew`\"; --";
    let wider = schema.replace("VARCHAR(20)", "VARCHAR(40)").replace(
        " TEXT\n);",
        &format!(" TEXT,\n    {} INTEGER\n);", quoted(added)),
    );
    p.write("schema.sql", &wider);
    p.ok(&["-q", "db", "migrate", "-m", "wider"]);
    p.ok(&["-q", "db", "upgrade"]);
    let mut columns = COLUMNS.to_vec();
    columns.push(added);
    assert_eq!(p.columns(TABLE), columns, "{}", db.name());
    assert_eq!(p.tables(), expected, "{}", db.name());
    assert!(
        p.indexes(TABLE).contains(&INDEX.to_string()),
        "{:?}",
        p.indexes(TABLE)
    );
    p.ok(&["-q", "db", "check"]);
    p.ok(&["-q", "db", "downgrade", "-1"]);
    assert_eq!(p.columns(TABLE), COLUMNS, "{}", db.name());

    p.execute(&format!("DELETE FROM {}", quoted(TABLE)));
    p.execute("DELETE FROM \"victim\"");
    p.ok(&["-q", "db", "downgrade", "base"]);
    assert_eq!(p.tables(), Vec::<String>::new(), "{}", db.name());
    p.ok(&["-q", "db", "upgrade"]);
    assert_eq!(p.tables(), expected, "{}", db.name());
}

on_each_database!(names_with_sql_in_them_are_created_exactly);
