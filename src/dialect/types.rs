//! Which column types each database has, so that a type one of a project's databases
//! lacks (`DATETIME` on PostgreSQL, `JSONB` on MySQL) or a misspelt one (`VARCHR`) is
//! refused where it is declared instead of failing at deploy time.
//!
//! The portable types (`ColumnType` other than `Other`) exist everywhere: mb renders them
//! for each database. For a type mb passes through as written, each database has a
//! catalog of the names it knows (arguments such as `(140)` and PostgreSQL's array
//! brackets aside). SQLite accepts any name, so for it a name is known when some
//! database knows it or SQLite's own documentation uses it: a typo is still a typo there.
//! A double-quoted type name is a user-defined type (`CREATE TYPE`), passed through
//! unchecked.

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use super::Dialect;
use crate::config::Targets;
use crate::schema::declaration::Declaration;
use crate::schema::parse::Problem;
use crate::schema::{ColumnType, Schema};
use crate::text::edit_distance;

/// PostgreSQL's built-in types (PostgreSQL 16 documentation, "Data Types"), as
/// `format_type` and `CREATE TABLE` spell them; each may be an array (`INTEGER[]`).
const POSTGRES: &[&str] = &[
    "BIGINT",
    "INT8",
    "BIGSERIAL",
    "SERIAL8",
    "BIT",
    "BIT VARYING",
    "VARBIT",
    "BOOLEAN",
    "BOOL",
    "BOX",
    "BYTEA",
    "CHARACTER",
    "CHAR",
    "CHARACTER VARYING",
    "VARCHAR",
    "CIDR",
    "CIRCLE",
    "DATE",
    "DOUBLE PRECISION",
    "FLOAT8",
    "FLOAT",
    "INET",
    "INTEGER",
    "INT",
    "INT4",
    "INTERVAL",
    "JSON",
    "JSONB",
    "JSONPATH",
    "LINE",
    "LSEG",
    "MACADDR",
    "MACADDR8",
    "MONEY",
    "NUMERIC",
    "DECIMAL",
    "PATH",
    "PG_LSN",
    "PG_SNAPSHOT",
    "POINT",
    "POLYGON",
    "REAL",
    "FLOAT4",
    "SMALLINT",
    "INT2",
    "SMALLSERIAL",
    "SERIAL2",
    "SERIAL",
    "SERIAL4",
    "TEXT",
    "TIME",
    "TIME WITHOUT TIME ZONE",
    "TIME WITH TIME ZONE",
    "TIMETZ",
    "TIMESTAMP",
    "TIMESTAMP WITHOUT TIME ZONE",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMPTZ",
    "TSQUERY",
    "TSVECTOR",
    "TXID_SNAPSHOT",
    "UUID",
    "XML",
    "INT4RANGE",
    "INT8RANGE",
    "NUMRANGE",
    "TSRANGE",
    "TSTZRANGE",
    "DATERANGE",
    "INT4MULTIRANGE",
    "INT8MULTIRANGE",
    "NUMMULTIRANGE",
    "TSMULTIRANGE",
    "TSTZMULTIRANGE",
    "DATEMULTIRANGE",
    "OID",
    "NAME",
    "REGCLASS",
    "REGTYPE",
    "REGPROC",
];

/// MySQL's and MariaDB's numeric types, the ones that take `UNSIGNED` and `ZEROFILL`.
const MYSQL_NUMERIC: &[&str] = &[
    "TINYINT",
    "SMALLINT",
    "MEDIUMINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "INT1",
    "INT2",
    "INT3",
    "INT4",
    "INT8",
    "MIDDLEINT",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "FIXED",
    "FLOAT",
    "FLOAT4",
    "FLOAT8",
    "DOUBLE",
    "DOUBLE PRECISION",
    "REAL",
];

/// MySQL's and MariaDB's other types (MySQL 8.0 "Data Types", MariaDB's additions `UUID`,
/// `INET4`, `INET6`), with their synonyms.
const MYSQL_OTHER: &[&str] = &[
    "BIT",
    "BOOLEAN",
    "BOOL",
    "SERIAL",
    "DATE",
    "DATETIME",
    "TIMESTAMP",
    "TIME",
    "YEAR",
    "CHAR",
    "CHARACTER",
    "VARCHAR",
    "CHARACTER VARYING",
    "NCHAR",
    "NATIONAL CHAR",
    "NATIONAL CHARACTER",
    "NVARCHAR",
    "NATIONAL VARCHAR",
    "BINARY",
    "VARBINARY",
    "TINYBLOB",
    "BLOB",
    "MEDIUMBLOB",
    "LONGBLOB",
    "TINYTEXT",
    "TEXT",
    "MEDIUMTEXT",
    "LONGTEXT",
    "LONG",
    "LONG VARCHAR",
    "ENUM",
    "SET",
    "JSON",
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
    "UUID",
    "INET4",
    "INET6",
    "VARCHARACTER",
];

/// Names SQLite's documentation uses ("Datatypes In SQLite", 3.1.1) that neither server
/// has, and `ANY` of STRICT tables.
const SQLITE_OWN: &[&str] = &[
    "CLOB",
    "NATIVE CHARACTER",
    "VARYING CHARACTER",
    "UNSIGNED BIG INT",
    "ANY",
];

/// The portable spellings, for suggestions.
const PORTABLE: &[&str] = &[
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "VARCHAR",
    "TEXT",
    "BOOLEAN",
    "REAL",
    "DOUBLE PRECISION",
    "NUMERIC",
    "DATE",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "BLOB",
    "JSON",
    "UUID",
];

/// The portable type that holds the same values, by type name.
const PORTABLE_FOR: &[(&str, &str)] = &[
    ("DATETIME", "TIMESTAMP"),
    ("JSONB", "JSON"),
    ("TINYINT", "SMALLINT"),
    ("INT1", "SMALLINT"),
    ("YEAR", "SMALLINT"),
    ("MEDIUMINT", "INTEGER"),
    ("INT3", "INTEGER"),
    ("MIDDLEINT", "INTEGER"),
    ("TINYTEXT", "TEXT"),
    ("MEDIUMTEXT", "TEXT"),
    ("LONGTEXT", "TEXT"),
    ("CLOB", "TEXT"),
    ("LONG", "TEXT"),
    ("LONG VARCHAR", "TEXT"),
    ("NCHAR", "VARCHAR(n)"),
    ("NATIONAL CHAR", "VARCHAR(n)"),
    ("NATIONAL CHARACTER", "VARCHAR(n)"),
    ("NVARCHAR", "VARCHAR(n)"),
    ("NATIONAL VARCHAR", "VARCHAR(n)"),
    ("TINYBLOB", "BLOB"),
    ("MEDIUMBLOB", "BLOB"),
    ("LONGBLOB", "BLOB"),
    ("BINARY", "BLOB"),
    ("VARBINARY", "BLOB"),
    ("BYTEA", "BLOB"),
    ("SERIAL", AUTO_INCREMENT),
    ("SERIAL4", AUTO_INCREMENT),
    ("SERIAL2", AUTO_INCREMENT),
    ("SMALLSERIAL", AUTO_INCREMENT),
    (
        "BIGSERIAL",
        "BIGINT (a single-column BIGINT PRIMARY KEY auto-increments on every database)",
    ),
    (
        "SERIAL8",
        "BIGINT (a single-column BIGINT PRIMARY KEY auto-increments on every database)",
    ),
    ("TIMETZ", "TIME"),
    ("TIME WITH TIME ZONE", "TIME"),
    ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"),
    ("MONEY", "NUMERIC(19,2)"),
    ("ENUM", "VARCHAR(n) with a CHECK constraint on its values"),
    ("SET", "VARCHAR(n)"),
];

const AUTO_INCREMENT: &str =
    "INTEGER (a single-column INTEGER PRIMARY KEY auto-increments on every database)";

/// The portable type for MySQL's unsigned integers: the next wider one holds every value.
const PORTABLE_FOR_UNSIGNED: &[(&str, &str)] = &[
    ("TINYINT", "SMALLINT"),
    ("INT1", "SMALLINT"),
    ("SMALLINT", "INTEGER"),
    ("INT2", "INTEGER"),
    ("MEDIUMINT", "INTEGER"),
    ("INT3", "INTEGER"),
    ("MIDDLEINT", "INTEGER"),
    ("INT", "BIGINT"),
    ("INTEGER", "BIGINT"),
    ("INT4", "BIGINT"),
    ("BIGINT", "NUMERIC(20)"),
    ("INT8", "NUMERIC(20)"),
];

/// A passed-through type reduced to what the catalogs list.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    /// The type's words, upper case, without arguments, array brackets or MySQL's
    /// `UNSIGNED`/`SIGNED`/`ZEROFILL`: `TIMESTAMP WITH TIME ZONE` for
    /// `TIMESTAMP(3) WITH TIME ZONE`.
    name: String,
    array: bool,
    /// MySQL's `UNSIGNED`, `SIGNED` or `ZEROFILL`.
    mysql_modifier: bool,
}

fn shape(text: &str) -> Shape {
    let mut bare = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut array = false;
    for c in text.chars() {
        match c {
            '\'' => in_string = !in_string,
            _ if in_string => {}
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '[' => {
                array = true;
                depth += 1;
            }
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => bare.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    let mut words: Vec<&str> = bare.split_whitespace().collect();
    if words.last() == Some(&"ARRAY") {
        words.pop();
        array = true;
    }
    let before = words.len();
    words.retain(|w| !matches!(*w, "UNSIGNED" | "SIGNED" | "ZEROFILL"));
    Shape {
        name: words.join(" "),
        array,
        mysql_modifier: words.len() != before,
    }
}

fn known_on(dialect: Dialect, shape: &Shape) -> bool {
    let name = shape.name.as_str();
    match dialect {
        Dialect::Postgres => !shape.mysql_modifier && POSTGRES.contains(&name),
        Dialect::Mysql => {
            !shape.array
                && (MYSQL_NUMERIC.contains(&name)
                    || (!shape.mysql_modifier && MYSQL_OTHER.contains(&name)))
        }
        // SQLite takes any words as a type name (but `[` starts a quoted name there):
        // it knows the spellings the others know, and its own.
        Dialect::Sqlite => {
            !shape.array
                && (known_on(Dialect::Postgres, shape)
                    || known_on(Dialect::Mysql, shape)
                    || (!shape.mysql_modifier && SQLITE_OWN.contains(&name)))
        }
    }
}

/// The databases of `targets` that lack `ty`, or an unknown type: one message that says
/// which and what to write instead. `Ok` for every portable type.
pub fn check_type(ty: &ColumnType, targets: Targets) -> Result<(), String> {
    let ColumnType::Other(text) = ty else {
        return Ok(());
    };
    if text.contains('"') {
        return Ok(());
    }
    let shape = shape(text);
    let all = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];
    if !all.iter().any(|d| known_on(*d, &shape)) {
        return Err(unknown(text, &shape));
    }
    let Some(lacking) = targets.iter().find(|d| !known_on(*d, &shape)) else {
        return Ok(());
    };
    let instead = match portable_for(&shape) {
        Some(portable) => format!("use the portable {portable}"),
        None => {
            let knowing = Targets::of(targets.iter().filter(|d| known_on(*d, &shape)));
            format!(
                "use a portable type, or if the project deploys only to {}, say so in mb.toml: databases = {}",
                knowing.names(),
                knowing.to_toml()
            )
        }
    };
    Err(format!(
        "type {text} does not exist on {}, one of the databases this project deploys to (mb.toml: databases); {instead}",
        lacking.name()
    ))
}

/// Checks every declared column type against `targets` ([`check_type`]); the first
/// problem in the file points at the type. `text` is the schema.sql the declaration was
/// parsed from.
pub fn check_declared(
    declaration: &Declaration,
    text: &str,
    targets: Targets,
) -> Result<(), Problem> {
    let mut problems: Vec<(Location, String)> = Vec::new();
    for table in declaration.schema.tables.values() {
        for column in &table.columns {
            if let Err(message) = check_type(&column.ty, targets) {
                let key = (table.name.clone(), column.name.clone());
                let at = declaration
                    .column_name_starts
                    .get(&key)
                    .map_or(Location { line: 1, column: 1 }, |name| {
                        token_after(text, *name)
                    });
                problems.push((at, message));
            }
        }
    }
    match problems.into_iter().min_by_key(|(at, _)| *at) {
        Some((at, message)) => Err(Problem::new(at, message)),
        None => Ok(()),
    }
}

/// Where the token after the one at `name` starts (comments and spaces are tokens of
/// their own and skipped): the type of a column whose name starts at `name`.
fn token_after(text: &str, name: Location) -> Location {
    Tokenizer::new(&GenericDialect {}, text)
        .tokenize_with_location()
        .ok()
        .and_then(|tokens| {
            tokens
                .into_iter()
                .find(|t| t.span.start > name && !matches!(t.token, Token::Whitespace(_)))
        })
        .map_or(name, |t| t.span.start)
}

/// Whether a `dialect` database has the type `text` (a type mb passes through).
pub fn has_type(dialect: Dialect, text: &str) -> bool {
    known_on(dialect, &shape(text))
}

/// The databases that have `ty`: all three for a portable type, none for an unknown one.
pub fn databases_knowing(ty: &ColumnType) -> Vec<Dialect> {
    let all = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];
    match ty {
        ColumnType::Other(text) if !text.contains('"') => {
            let shape = shape(text);
            all.into_iter().filter(|d| known_on(*d, &shape)).collect()
        }
        _ => all.to_vec(),
    }
}

/// The portable type that `ty`, read from a `dialect` database, stores exactly like:
/// what adopting a database writes instead of the database's own spelling. SQLite's
/// `DATETIME` and `TIMESTAMP` have the same (NUMERIC) affinity; MySQL's `DATETIME` has
/// no fractional seconds where mb's `TIMESTAMP` has six, so it stays.
pub fn portable_spelling(ty: &ColumnType, dialect: Dialect) -> Option<ColumnType> {
    match (dialect, ty) {
        (Dialect::Sqlite, ColumnType::Other(text)) if text == "DATETIME" => {
            Some(ColumnType::Timestamp)
        }
        _ => None,
    }
}

/// A column of `live` (read from a `dialect` database) whose type one of the `known`
/// schemas spells the portable way, and which the database stores alike
/// ([`portable_spelling`]), takes the known spelling: an adopted database whose
/// `DATETIME` columns schema.sql declares `TIMESTAMP` compares equal to it.
pub fn take_known_spellings(live: &mut Schema, known: &[&Schema], dialect: Dialect) {
    live.tables.change_each(|name, table| {
        for column in &mut table.columns {
            let Some(portable) = portable_spelling(&column.ty, dialect) else {
                continue;
            };
            let known_so = known.iter().any(|schema| {
                schema.tables.get(name).is_some_and(|t| {
                    t.columns
                        .iter()
                        .any(|c| c.name == column.name && c.ty == portable)
                })
            });
            if known_so {
                column.ty = portable;
            }
        }
    });
}

fn portable_for(shape: &Shape) -> Option<String> {
    let name = shape.name.as_str();
    if shape.array {
        return Some("JSON".to_string());
    }
    let table = if shape.mysql_modifier {
        PORTABLE_FOR_UNSIGNED
    } else {
        PORTABLE_FOR
    };
    let mapped = table
        .iter()
        .find(|(from, _)| *from == name)
        .map(|(_, to)| *to);
    mapped
        .or_else(|| PORTABLE.iter().copied().find(|p| *p == name))
        .map(str::to_string)
}

fn unknown(text: &str, shape: &Shape) -> String {
    let names = POSTGRES
        .iter()
        .chain(MYSQL_NUMERIC)
        .chain(MYSQL_OTHER)
        .chain(SQLITE_OWN)
        .chain(PORTABLE);
    let closest = names
        .map(|candidate| (edit_distance(&shape.name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2 && *distance * 3 <= candidate.len())
        .min();
    match closest {
        Some((_, name)) => {
            let corrected = text.replacen(shape.name.as_str(), name, 1);
            format!("unknown type {text}; did you mean {corrected}?")
        }
        None => format!(
            "unknown type {text}: neither SQLite, PostgreSQL nor MySQL has it; use a portable type ({}), or double-quote the name of a type of your own",
            PORTABLE.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Targets = Targets::ALL;

    fn other(text: &str) -> ColumnType {
        ColumnType::Other(text.to_string())
    }

    fn check(text: &str, targets: Targets) -> Result<(), String> {
        check_type(&other(text), targets)
    }

    #[test]
    fn shapes_leave_out_arguments_arrays_and_mysql_modifiers() {
        let s = shape("TIMESTAMP(3) WITH TIME ZONE");
        assert_eq!(s.name, "TIMESTAMP WITH TIME ZONE");
        assert!(!s.array && !s.mysql_modifier);
        let s = shape("ENUM('a(', 'b''s')");
        assert_eq!(s.name, "ENUM");
        assert!(shape("INTEGER[][]").array && shape("TEXT ARRAY").array);
        let s = shape("int(10) unsigned zerofill");
        assert_eq!((s.name.as_str(), s.mysql_modifier), ("INT", true));
    }

    #[test]
    fn portable_types_pass_everywhere() {
        for ty in [
            ColumnType::Timestamp,
            ColumnType::Json,
            ColumnType::Blob,
            ColumnType::Varchar(Some(140)),
        ] {
            assert_eq!(check_type(&ty, ALL), Ok(()));
        }
        assert_eq!(check_type(&other("\"mood\""), ALL), Ok(()));
    }

    #[test]
    fn each_database_knows_its_own_types() {
        for (text, sqlite, postgres, mysql) in [
            ("DATETIME", true, false, true),
            ("DATETIME(6)", true, false, true),
            ("JSONB", true, true, false),
            ("TINYINT", true, false, true),
            ("MEDIUMINT", true, false, true),
            ("YEAR", true, false, true),
            ("INT UNSIGNED", true, false, true),
            ("TEXT UNSIGNED", false, false, false),
            ("ENUM('a', 'b')", true, false, true),
            ("SET('a')", true, false, true),
            ("INTEGER[]", false, true, false),
            ("INET", true, true, false),
            ("TIMESTAMP(3)", true, true, true),
            ("TIMESTAMP(3) WITH TIME ZONE", true, true, false),
            ("CHAR(10)", true, true, true),
            ("CLOB", true, false, false),
            ("SERIAL", true, true, true),
            ("BLOB(100)", true, false, true),
            ("VARCHR(140)", false, false, false),
        ] {
            let known = databases_knowing(&other(text));
            assert_eq!(
                (
                    known.contains(&Dialect::Sqlite),
                    known.contains(&Dialect::Postgres),
                    known.contains(&Dialect::Mysql)
                ),
                (sqlite, postgres, mysql),
                "{text}"
            );
        }
    }

    #[test]
    fn a_type_one_target_lacks_names_it_and_the_portable_spelling() {
        assert_eq!(
            check("DATETIME", ALL).unwrap_err(),
            "type DATETIME does not exist on PostgreSQL, one of the databases this project deploys to (mb.toml: databases); use the portable TIMESTAMP"
        );
        assert_eq!(
            check("JSONB", ALL).unwrap_err(),
            "type JSONB does not exist on MySQL, one of the databases this project deploys to (mb.toml: databases); use the portable JSON"
        );
        assert_eq!(check("JSONB", Targets::of([Dialect::Postgres])), Ok(()));
        assert_eq!(
            check("DATETIME", Targets::of([Dialect::Sqlite, Dialect::Mysql])),
            Ok(())
        );
        assert!(
            check("INT UNSIGNED", ALL)
                .unwrap_err()
                .ends_with("use the portable BIGINT")
        );
        assert!(
            check("INTEGER[]", Targets::of([Dialect::Postgres, Dialect::Mysql]))
                .unwrap_err()
                .ends_with("on MySQL, one of the databases this project deploys to (mb.toml: databases); use the portable JSON")
        );
        assert_eq!(
            check("INET", ALL).unwrap_err(),
            "type INET does not exist on MySQL, one of the databases this project deploys to (mb.toml: databases); use a portable type, or if the project deploys only to SQLite and PostgreSQL, say so in mb.toml: databases = [\"sqlite\", \"postgresql\"]"
        );
    }

    #[test]
    fn an_unknown_type_gets_the_closest_name() {
        assert_eq!(
            check("VARCHR(140)", ALL).unwrap_err(),
            "unknown type VARCHR(140); did you mean VARCHAR(140)?"
        );
        // Unknown even where SQLite alone is the target: SQLite would take anything.
        assert_eq!(
            check("INTEGR", Targets::of([Dialect::Sqlite])).unwrap_err(),
            "unknown type INTEGR; did you mean INTEGER?"
        );
        assert!(
            check("WIBBLE", ALL)
                .unwrap_err()
                .starts_with("unknown type WIBBLE: neither SQLite, PostgreSQL nor MySQL has it; use a portable type (INTEGER, BIGINT,")
        );
    }

    #[test]
    fn sqlite_datetime_is_adopted_as_timestamp() {
        assert_eq!(
            portable_spelling(&other("DATETIME"), Dialect::Sqlite),
            Some(ColumnType::Timestamp)
        );
        assert_eq!(portable_spelling(&other("DATETIME"), Dialect::Mysql), None);
        assert_eq!(portable_spelling(&other("JSONB"), Dialect::Postgres), None);
    }
}
