//! Property tests of the autogenerate invariant on random pairs of schemas:
//! `apply(diff(A, B), A) == B` with every op reading back from its SQL, and on a real
//! SQLite database, migrating A → B → A with a row in every table reads back as B and
//! then A, keeping the values of unchanged columns; on MySQL (without rows), migrating
//! ∅ → A → B → A reads back as each, unless mb refuses a pair MySQL cannot have.
//!
//! Schemas are generated as schema.sql text (so the parser is exercised too) from a
//! universe of a few tables and columns, with names that need quoting. Generated pairs
//! are migratable with data: NOT NULL and key columns have defaults (the auto-increment
//! key excepted), checks hold for the inserted values and the defaults, and foreign-key
//! columns (`f0`, `f1`) are nullable and left NULL.

mod autogen_common;
mod common;

use autogen_common::{check_values_kept, database, migrate_and_check, schema, values};
use mb::autogenerate::diff;
use mb::backend::{Backend, OpenMode};
use mb::config::DatabaseUrl;
use mb::dialect::Dialect;
use mb::ops::Op;
use mb::schema::Schema;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const TABLES: [&str; 4] = ["t0", "order", "we\"ird t", "Grp"];
const COLUMNS: [&str; 4] = ["c0", "c1", "group", "c 3"];
const TYPES: [&str; 10] = [
    "INTEGER",
    "BIGINT",
    "TEXT",
    "VARCHAR(20)",
    "NUMERIC(10, 2)",
    "BOOLEAN",
    "TIMESTAMP",
    "DOUBLE PRECISION",
    "BLOB",
    "JSONB",
];
/// `TYPES` for MySQL, which can neither key TEXT and BLOB columns nor knows JSONB.
const MYSQL_TYPES: [&str; 10] = [
    "INTEGER",
    "BIGINT",
    "VARCHAR(30)",
    "VARCHAR(20)",
    "NUMERIC(10, 2)",
    "BOOLEAN",
    "TIMESTAMP",
    "DOUBLE PRECISION",
    "SMALLINT",
    "VARCHAR(40)",
];
/// Defaults for each type of `TYPES` and `MYSQL_TYPES`, as a database would accept them.
fn defaults_for(ty: &str) -> [&'static str; 2] {
    match ty {
        "TEXT" | "VARCHAR(20)" | "VARCHAR(30)" | "VARCHAR(40)" | "BLOB" | "JSONB" => {
            ["'x'", "'it''s'"]
        }
        "TIMESTAMP" => ["CURRENT_TIMESTAMP", "'2020-01-01 00:00:00'"],
        _ => ["1", "(2 + 3)"],
    }
}
/// Conditions true for the inserted value 1, for every default and for NULL.
const CHECKS: [&str; 3] = ["{c} > 0", "length({c}) > 0", "{c} <> 'zzz'"];
const ACTIONS: [&str; 4] = [
    "",
    " ON DELETE CASCADE",
    " ON DELETE SET NULL ON UPDATE CASCADE",
    " ON DELETE RESTRICT",
];

#[derive(Debug, Clone)]
struct ColumnSpec {
    ty: usize,
    nullable: bool,
    default: Option<usize>,
}

#[derive(Debug, Clone)]
struct TableSpec {
    /// The `id` column: (BIGINT rather than INTEGER, nullable when not the key).
    id: Option<(bool, bool)>,
    columns: [Option<ColumnSpec>; 4],
    /// 0 none, 1 (id), 2 (c0, c1), 3 (c0).
    primary_key: u8,
    /// 0 none, 1 (group), 2 (c0, group).
    unique: u8,
    /// (condition, column, declared on the column).
    checks: Vec<(usize, usize, bool)>,
    /// 0 none, 1 plain, 2 composite with DESC, 3 partial, 4 unique expression.
    index: u8,
    /// (referenced table, action), each on its own column f0/f1.
    foreign_keys: Vec<(usize, usize)>,
    /// Whether constraints and the index get explicit names.
    named: bool,
    view: bool,
}

fn column_spec() -> impl Strategy<Value = ColumnSpec> {
    (
        0..TYPES.len(),
        any::<bool>(),
        proptest::option::of(0..2usize),
    )
        .prop_map(|(ty, nullable, default)| ColumnSpec {
            ty,
            nullable,
            default,
        })
}

fn table_spec() -> impl Strategy<Value = TableSpec> {
    (
        proptest::option::of((any::<bool>(), any::<bool>())),
        [
            proptest::option::of(column_spec()),
            proptest::option::of(column_spec()),
            proptest::option::of(column_spec()),
            proptest::option::of(column_spec()),
        ],
        0u8..4,
        0u8..3,
        proptest::collection::vec((0..CHECKS.len(), 0..COLUMNS.len(), any::<bool>()), 0..3),
        0u8..5,
        proptest::collection::vec((0..TABLES.len(), 0..ACTIONS.len()), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(id, columns, primary_key, unique, checks, index, foreign_keys, named, view)| {
                TableSpec {
                    id,
                    columns,
                    primary_key,
                    unique,
                    checks,
                    index,
                    foreign_keys,
                    named,
                    view,
                }
            },
        )
}

fn schema_spec() -> impl Strategy<Value = [Option<TableSpec>; 4]> {
    [
        proptest::option::of(table_spec()),
        proptest::option::of(table_spec()),
        proptest::option::of(table_spec()),
        proptest::option::of(table_spec()),
    ]
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn primary_key_of(spec: &TableSpec) -> Option<Vec<&'static str>> {
    let has = |i: usize| spec.columns[i].is_some();
    match spec.primary_key {
        1 if spec.id.is_some() => Some(vec!["id"]),
        2 if has(0) && has(1) => Some(vec!["c0", "c1"]),
        3 if has(0) => Some(vec!["c0"]),
        _ => None,
    }
}

fn unique_of(spec: &TableSpec) -> Option<Vec<&'static str>> {
    let has = |i: usize| spec.columns[i].is_some();
    match spec.unique {
        1 if has(2) => Some(vec!["group"]),
        2 if has(0) && has(2) => Some(vec!["c0", "group"]),
        _ => None,
    }
}

/// The columns foreign keys to this table reference: its primary key, else its unique.
fn key_of(spec: &TableSpec) -> Option<Vec<&'static str>> {
    primary_key_of(spec).or_else(|| unique_of(spec))
}

/// The schema.sql of `tables`, with the types of `types`; `mysql` leaves out the partial
/// and expression indexes MySQL cannot have.
fn schema_sql(tables: &[Option<TableSpec>; 4], types: &[&str; 10], mysql: bool) -> String {
    let mut sql = String::new();
    let mut first_view = None;
    for (i, spec) in tables.iter().enumerate() {
        let Some(spec) = spec else { continue };
        let name = TABLES[i];
        let named = |what: &str| {
            if spec.named {
                format!("CONSTRAINT {} ", q(&format!("{name} {what}")))
            } else {
                String::new()
            }
        };
        let mut lines = Vec::new();
        let primary_key = primary_key_of(spec);
        let id = match spec.id {
            None if spec.columns.iter().all(Option::is_none) => Some((false, true)),
            id => id,
        };
        if let Some((bigint, nullable)) = id {
            let mut line = format!("\"id\" {}", if bigint { "BIGINT" } else { "INTEGER" });
            if primary_key != Some(vec!["id"]) && !nullable {
                line.push_str(" NOT NULL DEFAULT 1");
            }
            lines.push(line);
        }
        for (c, column) in spec.columns.iter().enumerate() {
            let Some(column) = column else { continue };
            let mut line = format!("{} {}", q(COLUMNS[c]), types[column.ty]);
            // MySQL's auto-increment key takes no default.
            let auto_increment = mysql
                && primary_key == Some(vec!["c0"])
                && c == 0
                && matches!(types[column.ty], "INTEGER" | "BIGINT");
            let default = match column.default {
                _ if auto_increment => None,
                // Key candidates and NOT NULL columns need a value for existing rows.
                None if c < 2 || !column.nullable => Some(0),
                d => d,
            };
            if !column.nullable {
                line.push_str(" NOT NULL");
            }
            if let Some(d) = default {
                line.push_str(&format!(" DEFAULT {}", defaults_for(types[column.ty])[d]));
            }
            for (k, &(check, on, inline)) in spec.checks.iter().enumerate() {
                if inline && on == c {
                    let condition = CHECKS[check].replace("{c}", &q(COLUMNS[c]));
                    line.push_str(&format!(" {}CHECK ({condition})", named(&format!("ck{k}"))));
                }
            }
            lines.push(line);
        }
        if let Some(columns) = &primary_key {
            let list: Vec<String> = columns.iter().map(|c| q(c)).collect();
            lines.push(format!("{}PRIMARY KEY ({})", named("pk"), list.join(", ")));
        }
        if let Some(columns) = unique_of(spec) {
            let list: Vec<String> = columns.iter().map(|c| q(c)).collect();
            lines.push(format!("{}UNIQUE ({})", named("uq"), list.join(", ")));
        }
        for (k, &(check, on, inline)) in spec.checks.iter().enumerate() {
            if !inline && spec.columns[on].is_some() {
                let condition = CHECKS[check].replace("{c}", &q(COLUMNS[on]));
                lines.push(format!("{}CHECK ({condition})", named(&format!("ck{k}"))));
            }
        }
        for (k, &(target, action)) in spec.foreign_keys.iter().enumerate().take(2) {
            let Some(key) = tables[target].as_ref().and_then(key_of) else {
                continue;
            };
            let local: Vec<String> = match key.len() {
                1 => vec![format!("f{k}")],
                _ if k == 0 => vec!["f0".into(), "f1".into()],
                _ => continue,
            };
            // Of the referenced column's type, as PostgreSQL and MySQL want.
            let target_spec = tables[target].as_ref().unwrap();
            for (column, referenced) in local.iter().zip(&key) {
                let ty = match *referenced {
                    "id" if target_spec.id.is_some_and(|(bigint, _)| bigint) => "BIGINT",
                    "id" => "INTEGER",
                    c => {
                        types[target_spec.columns[COLUMNS.iter().position(|n| *n == c).unwrap()]
                            .as_ref()
                            .unwrap()
                            .ty]
                    }
                };
                lines.push(format!("{} {ty}", q(column)));
            }
            let local: Vec<String> = local.iter().map(|c| q(c)).collect();
            let key: Vec<String> = key.iter().map(|c| q(c)).collect();
            lines.push(format!(
                "{}FOREIGN KEY ({}) REFERENCES {} ({}){}",
                named(&format!("fk{k}")),
                local.join(", "),
                q(TABLES[target]),
                key.join(", "),
                ACTIONS[action]
            ));
            if local.len() == 2 {
                break;
            }
        }
        sql.push_str(&format!(
            "CREATE TABLE {} (\n  {}\n);\n",
            q(name),
            lines.join(",\n  ")
        ));
        let has = |i: usize| spec.columns[i].is_some();
        let index = match spec.index {
            1 if has(2) => Some(("", "(\"group\")".to_string())),
            2 if has(0) && has(3) => Some(("", "(\"c0\" DESC, \"c 3\")".to_string())),
            3 if has(1) && has(2) && !mysql => {
                Some(("", "(\"c1\") WHERE \"group\" IS NOT NULL".to_string()))
            }
            4 if has(3) && !mysql => Some(("UNIQUE ", "(lower(\"c 3\"))".to_string())),
            _ => None,
        };
        if let Some((unique, parts)) = index {
            let index_name = if spec.named {
                q(&format!("{name} ix"))
            } else {
                String::new()
            };
            sql.push_str(&format!(
                "CREATE {unique}INDEX {index_name} ON {} {parts};\n",
                q(name)
            ));
        }
        if spec.view {
            let view = format!("v {name}");
            sql.push_str(&format!(
                "CREATE VIEW {} AS SELECT * FROM {};\n",
                q(&view),
                q(name)
            ));
            first_view.get_or_insert(view);
        }
    }
    if let Some(view) = first_view {
        sql.push_str(&format!(
            "CREATE VIEW \"v all\" AS SELECT * FROM {};\n",
            q(&view)
        ));
    }
    sql
}

fn schema_pair() -> impl Strategy<Value = (String, String)> {
    (schema_spec(), schema_spec())
        .prop_map(|(a, b)| (schema_sql(&a, &TYPES, false), schema_sql(&b, &TYPES, false)))
}

fn mysql_schema_pair() -> impl Strategy<Value = (String, String)> {
    (schema_spec(), schema_spec()).prop_map(|(a, b)| {
        (
            schema_sql(&a, &MYSQL_TYPES, true),
            schema_sql(&b, &MYSQL_TYPES, true),
        )
    })
}

/// Applies `diff(from, to)` to `from`, checking each op's SQL on the way.
fn apply_diff(from: &Schema, to: &Schema) -> Result<Schema, TestCaseError> {
    let mut state = from.clone();
    for op in diff(from, to) {
        let sql = op.to_sql();
        let parsed = Op::parse(&sql).map_err(|e| TestCaseError::fail(format!("{e}\n{sql}")))?;
        prop_assert_eq!(parsed.as_ref(), Some(&op), "{}", sql);
        op.apply(&mut state)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    Ok(state)
}

/// `cases` cases, with failures kept in proptest-regressions/ to be replayed first.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/autogen_props.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn diff_applied_gives_the_target_and_reads_back((a, b) in schema_pair()) {
        let (a, b) = (schema(&a).map_err(TestCaseError::fail)?, schema(&b).map_err(TestCaseError::fail)?);
        prop_assert_eq!(apply_diff(&a, &b)?, b.clone());
        prop_assert_eq!(apply_diff(&b, &a)?, a.clone());
        prop_assert!(diff(&a, &a).is_empty());
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn sqlite_migrates_up_and_down_keeping_data((a_sql, b_sql) in schema_pair()) {
        let a = schema(&a_sql).map_err(TestCaseError::fail)?;
        let b = schema(&b_sql).map_err(TestCaseError::fail)?;
        let (_dir, conn) = database();
        let fail = |e: String| TestCaseError::fail(format!("{e}\nA:\n{a_sql}\nB:\n{b_sql}"));
        migrate_and_check(&conn, &Schema::default(), &a).map_err(fail)?;
        for table in a.tables.values() {
            let columns: Vec<String> = table.columns.iter().filter(|c| !c.name.starts_with('f')).map(|c| q(&c.name)).collect();
            let ones = vec!["1"; columns.len()].join(", ");
            conn.execute_batch(&format!("INSERT INTO {} ({}) VALUES ({ones})", q(&table.name), columns.join(", "))).unwrap();
        }
        let original = values(&conn, &a);
        migrate_and_check(&conn, &a, &b).map_err(fail)?;
        check_values_kept(&original, &values(&conn, &b), &a, &b).map_err(fail)?;
        migrate_and_check(&conn, &b, &a).map_err(fail)?;
        check_values_kept(&original, &values(&conn, &a), &a, &b).map_err(fail)?;
    }
}

/// mb's connection to a database of its own on the MySQL test server (dropped at the
/// end); `None` after a loud skip when there is no server.
fn mysql_database() -> Option<(common::ServerDatabase, Box<dyn Backend>)> {
    if !common::Db::Mysql.available("autogen_props::mysql_migrates_up_and_down") {
        return None;
    }
    let server = common::ServerDatabase::create(common::Db::Mysql);
    let url = DatabaseUrl::parse(&server.url, std::path::Path::new(".")).unwrap();
    let backend = mb::backend::connect(&url, OpenMode::Read).unwrap().backend;
    Some((server, backend))
}

/// Runs `diff(from, to)` on MySQL as mb renders it and checks that the database reads
/// back as `to`; `Ok(false)` when mb refuses to render it (what MySQL cannot do).
fn mysql_migrate(backend: &mut dyn Backend, from: &Schema, to: &Schema) -> Result<bool, String> {
    let mut state = from.clone();
    let mut statements = Vec::new();
    for op in diff(from, to) {
        match Dialect::Mysql.render(&op, &state) {
            Ok(rendered) => statements.extend(rendered.statements),
            Err(_) => return Ok(false),
        }
        op.apply(&mut state).map_err(|e| e.to_string())?;
    }
    for sql in &statements {
        backend
            .execute(sql)
            .map_err(|e| format!("{e}\n  in: {sql}"))?;
    }
    let live = backend
        .introspect_against(&[to])
        .map_err(|e| e.to_string())?;
    if &live != to {
        return Err(format!(
            "reads back as\n{live:#?}\nafter\n{}",
            statements.join(";\n")
        ));
    }
    Ok(true)
}

proptest! {
    #![proptest_config(config(64))]

    /// Schemas only: MySQL converts (or refuses to convert) values between the random
    /// types by its own rules, which the SQLite test above covers for mb's part.
    #[test]
    fn mysql_migrates_up_and_down((a_sql, b_sql) in mysql_schema_pair()) {
        let a = schema(&a_sql).map_err(TestCaseError::fail)?;
        let b = schema(&b_sql).map_err(TestCaseError::fail)?;
        let Some((_server, mut backend)) = mysql_database() else {
            return Ok(());
        };
        let fail = |e: String| TestCaseError::fail(format!("{e}\nA:\n{a_sql}\nB:\n{b_sql}"));
        // A pair with something MySQL cannot have is refused before anything runs.
        if mysql_migrate(backend.as_mut(), &Schema::default(), &a).map_err(fail)?
            && mysql_migrate(backend.as_mut(), &a, &b).map_err(fail)?
        {
            prop_assert!(mysql_migrate(backend.as_mut(), &b, &a).map_err(fail)?);
        }
    }
}
