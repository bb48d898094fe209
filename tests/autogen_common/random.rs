//! Random pairs of schemas for the property tests, as schema.sql text (so the parser is
//! exercised too), from a universe of a few tables and columns with names that need
//! quoting, and the types, defaults and checks one database accepts ([`Universe`]).
//! Generated pairs are migratable with data: NOT NULL and key columns have defaults (the
//! auto-increment key excepted), checks hold for the inserted value 1 and the defaults,
//! and foreign-key columns (`f0`, `f1`, of the referenced column's type) are nullable and
//! left NULL.

use proptest::prelude::*;

const TABLES: [&str; 4] = ["t0", "order", "we\"ird t", "Grp"];
const COLUMNS: [&str; 4] = ["c0", "c1", "group", "c 3"];
/// What one database accepts: its types, their defaults, checks, the index kinds it has.
pub struct Universe {
    pub types: &'static [&'static str],
    /// Two defaults for a type of `types`.
    pub defaults: fn(&str) -> [&'static str; 2],
    /// Conditions on `{c}`, true for the value 1, for every default and for NULL.
    pub checks: &'static [&'static str],
    /// The expression of the unique expression index, on `"c 3"`; `None` where the
    /// database cannot index an expression.
    pub expression: Option<&'static str>,
    pub partial_indexes: bool,
    /// Whether a single-column integer key other than `id` may have a default (MySQL's
    /// auto-increment key takes none).
    pub key_default: bool,
}

/// SQLite keeps any type and compares anything with anything.
pub const SQLITE: Universe = Universe {
    types: &[
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
    ],
    defaults: |ty| match ty {
        "TEXT" | "VARCHAR(20)" | "BLOB" | "JSONB" => ["'x'", "'it''s'"],
        "TIMESTAMP" => ["CURRENT_TIMESTAMP", "'2020-01-01 00:00:00'"],
        _ => ["1", "(2 + 3)"],
    },
    checks: &["{c} > 0", "length({c}) > 0", "{c} <> 'zzz'"],
    expression: Some("lower(\"c 3\")"),
    partial_indexes: true,
    key_default: true,
};

/// PostgreSQL types its expressions: numbers and strings, which it converts into each
/// other (a row holds 1 or '1'), with checks and an index expression valid for both.
pub const POSTGRES: Universe = Universe {
    types: &[
        "INTEGER",
        "BIGINT",
        "NUMERIC(10, 2)",
        "DOUBLE PRECISION",
        "TEXT",
        "VARCHAR(20)",
    ],
    defaults: |ty| match ty {
        "TEXT" | "VARCHAR(20)" => ["'1'", "'it''s'"],
        _ => ["1", "(2 + 3)"],
    },
    checks: &["{c} <> '7'", "length(CAST({c} AS TEXT)) < 50"],
    expression: Some("lower(CAST(\"c 3\" AS TEXT))"),
    partial_indexes: true,
    key_default: true,
};

/// MySQL can neither key TEXT and BLOB columns nor knows JSONB, and has no partial or
/// (on MariaDB) expression indexes.
pub const MYSQL: Universe = Universe {
    types: &[
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
    ],
    defaults: |ty| match ty {
        "VARCHAR(20)" | "VARCHAR(30)" | "VARCHAR(40)" => ["'x'", "'it''s'"],
        "TIMESTAMP" => ["CURRENT_TIMESTAMP", "'2020-01-01 00:00:00'"],
        _ => ["1", "(2 + 3)"],
    },
    // No comparison of a column with a string literal: when the column becomes numeric,
    // MariaDB re-prints `c <> 'zzz'` as `c <> 0`, a different check.
    checks: &["{c} > 0", "length({c}) > 0", "length({c}) < 50"],
    expression: None,
    partial_indexes: false,
    key_default: false,
};

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

fn column_spec(u: &'static Universe) -> impl Strategy<Value = ColumnSpec> {
    (
        0..u.types.len(),
        any::<bool>(),
        proptest::option::of(0..2usize),
    )
        .prop_map(|(ty, nullable, default)| ColumnSpec {
            ty,
            nullable,
            default,
        })
}

fn table_spec(u: &'static Universe) -> impl Strategy<Value = TableSpec> {
    (
        proptest::option::of((any::<bool>(), any::<bool>())),
        [
            proptest::option::of(column_spec(u)),
            proptest::option::of(column_spec(u)),
            proptest::option::of(column_spec(u)),
            proptest::option::of(column_spec(u)),
        ],
        0u8..4,
        0u8..3,
        proptest::collection::vec((0..u.checks.len(), 0..COLUMNS.len(), any::<bool>()), 0..3),
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

fn schema_spec(u: &'static Universe) -> impl Strategy<Value = [Option<TableSpec>; 4]> {
    [
        proptest::option::of(table_spec(u)),
        proptest::option::of(table_spec(u)),
        proptest::option::of(table_spec(u)),
        proptest::option::of(table_spec(u)),
    ]
}

pub fn q(name: &str) -> String {
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

fn schema_sql(u: &Universe, tables: &[Option<TableSpec>; 4]) -> String {
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
            let mut line = format!("{} {}", q(COLUMNS[c]), u.types[column.ty]);
            let auto_increment = !u.key_default
                && primary_key == Some(vec!["c0"])
                && c == 0
                && matches!(u.types[column.ty], "INTEGER" | "BIGINT");
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
                line.push_str(&format!(" DEFAULT {}", (u.defaults)(u.types[column.ty])[d]));
            }
            for (k, &(check, on, inline)) in spec.checks.iter().enumerate() {
                if inline && on == c {
                    let condition = u.checks[check].replace("{c}", &q(COLUMNS[c]));
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
                let condition = u.checks[check].replace("{c}", &q(COLUMNS[on]));
                lines.push(format!("{}CHECK ({condition})", named(&format!("ck{k}"))));
            }
        }
        for (k, &(target, action)) in spec.foreign_keys.iter().enumerate().take(2) {
            let Some((target_spec, key)) =
                tables[target].as_ref().and_then(|t| Some((t, key_of(t)?)))
            else {
                continue;
            };
            let local: Vec<String> = match key.len() {
                1 => vec![format!("f{k}")],
                _ if k == 0 => vec!["f0".into(), "f1".into()],
                _ => continue,
            };
            // Of the referenced column's type, as PostgreSQL and MySQL want.
            for (column, referenced) in local.iter().zip(&key) {
                let ty = match *referenced {
                    "id" if target_spec.id.is_some_and(|(bigint, _)| bigint) => "BIGINT",
                    "id" => "INTEGER",
                    c => COLUMNS
                        .iter()
                        .position(|n| *n == c)
                        .and_then(|i| target_spec.columns[i].as_ref())
                        .map_or("INTEGER", |spec| u.types[spec.ty]),
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
            3 if has(1) && has(2) && u.partial_indexes => {
                Some(("", "(\"c1\") WHERE \"group\" IS NOT NULL".to_string()))
            }
            4 if has(3) => u.expression.map(|e| ("UNIQUE ", format!("({e})"))),
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

/// Two schemas as schema.sql text.
pub fn schema_pair(u: &'static Universe) -> impl Strategy<Value = (String, String)> {
    (schema_spec(u), schema_spec(u)).prop_map(|(a, b)| (schema_sql(u, &a), schema_sql(u, &b)))
}
