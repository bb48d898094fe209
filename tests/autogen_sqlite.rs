//! SQLite specifics of rendering and introspection: triggers around a rebuild, objects
//! that are not the application's, tables mb cannot represent, tables made by hand.

mod autogen_common;

use autogen_common::{database, migrate, migrate_and_check, schema};
use mb::backend::sqlite_introspect::introspect;
use mb::schema::{ColumnType, Schema};

#[test]
fn triggers_survive_a_rebuild_of_their_table_and_of_the_tables_they_name() {
    let (_dir, conn) = database();
    let before = schema("CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER); CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT)").unwrap();
    migrate_and_check(&conn, &Schema::default(), &before).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER on_account AFTER INSERT ON account BEGIN INSERT INTO audit (note) VALUES ('account'); END;
         CREATE TRIGGER on_audit AFTER DELETE ON audit BEGIN UPDATE account SET balance = 0; END;",
    )
    .unwrap();
    let after = schema("CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0); CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT NOT NULL DEFAULT '')").unwrap();
    let executed = migrate(&conn, &before, &after).unwrap();
    assert!(
        executed
            .iter()
            .any(|s| s.starts_with("CREATE TABLE \"_mb_tmp_account\"")),
        "{executed:?}"
    );
    assert_eq!(introspect(&conn).unwrap().schema, after);
    conn.execute_batch("INSERT INTO account (balance) VALUES (5); DELETE FROM audit")
        .unwrap();
    let (accounts, balance): (i64, i64) = conn
        .query_row("SELECT count(*), max(balance) FROM account", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((accounts, balance), (1, 0), "both triggers ran");
}

#[test]
fn objects_that_are_not_the_applications_are_skipped() {
    let (_dir, conn) = database();
    conn.execute_batch(
        "CREATE TABLE mb_version (version_num TEXT);
         CREATE TABLE counter (id INTEGER PRIMARY KEY AUTOINCREMENT);
         INSERT INTO counter DEFAULT VALUES;
         CREATE VIRTUAL TABLE doc USING fts5(body);
         CREATE TRIGGER t AFTER INSERT ON counter BEGIN SELECT 1; END;",
    )
    .unwrap();
    let found = introspect(&conn).unwrap().schema;
    assert_eq!(found.tables.keys().collect::<Vec<_>>(), ["counter"]);
    assert!(found.tables["counter"].columns[0].autoincrement);
}

#[test]
fn tables_made_by_hand_read_like_declared_ones() {
    let (_dir, conn) = database();
    conn.execute_batch(
        "CREATE TABLE Parent (Id integer primary key, Code text unique);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent, code TEXT REFERENCES Parent(code));
         CREATE INDEX child_code ON child(code);",
    )
    .unwrap();
    let declared = schema(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), code TEXT REFERENCES parent (code));
         CREATE INDEX child_code ON child (code);",
    )
    .unwrap();
    assert_eq!(introspect(&conn).unwrap().schema, declared);
}

#[test]
fn a_bigint_rowid_key_reads_back_as_bigint() {
    let (_dir, conn) = database();
    let declared = schema("CREATE TABLE big (id BIGINT PRIMARY KEY, n INTEGER); CREATE TABLE small (id INTEGER PRIMARY KEY)").unwrap();
    migrate_and_check(&conn, &Schema::default(), &declared).unwrap();
    conn.execute_batch("INSERT INTO big (n) VALUES (1)")
        .unwrap();
    let id: i64 = conn
        .query_row("SELECT id FROM big", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, 1, "the key is the rowid and was generated");
    assert_eq!(
        introspect(&conn).unwrap().schema.tables["big"].columns[0].ty,
        ColumnType::BigInt
    );
}

#[test]
fn a_table_mb_cannot_represent_is_left_out_and_named_with_what_refers_to_it() {
    let (_dir, conn) = database();
    conn.execute_batch(
        "CREATE TABLE tagged (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE);
         CREATE TABLE note (id INTEGER PRIMARY KEY, tagged_id INTEGER CONSTRAINT fk_note_tagged REFERENCES tagged (id));
         CREATE TRIGGER note_touch AFTER UPDATE ON note BEGIN SELECT 1; END;",
    )
    .unwrap();
    let live = introspect(&conn).unwrap();
    assert!(!live.schema.tables.contains_key("tagged"));
    assert!(live.schema.tables["note"].foreign_keys.is_empty());
    let found: Vec<String> = live.unmanaged.iter().map(|u| u.to_string()).collect();
    assert_eq!(
        found,
        [
            "foreign key \"fk_note_tagged\" on \"note\" uses a column or table that mb leaves out",
            "table \"tagged\" has column \"name\": `COLLATE NOCASE` is not supported",
            "trigger \"note_touch\" on \"note\" is a trigger",
        ]
        .map(String::from),
        "{found:#?}"
    );
}
