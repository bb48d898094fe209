//! Reads a PostgreSQL schema from `pg_catalog` into the model, and reads a declared
//! schema back the way PostgreSQL stores it.
//!
//! [`introspect`] reads one namespace (the connection's `current_schema()` for the live
//! database): tables with their columns, primary keys, unique constraints, foreign keys
//! and checks, the indexes that no constraint owns, and views. mb's own `mb_*` tables are
//! skipped, as are objects the model has no place for (sequences, triggers, functions,
//! materialized views). Something the model cannot represent on a table mb does read — a
//! generated column, an exclusion constraint, a deferrable foreign key, an index `USING`
//! another method than btree or with `INCLUDE` columns — is an error that names it.
//!
//! Types are mapped back to the portable ones by parsing `format_type` with the same
//! rules as `schema.sql`; identity columns (and `serial` ones) are the auto-incrementing
//! keys, so their sequence's `nextval` default is not a default. Expressions come from
//! `pg_get_expr` and `pg_get_viewdef` and are brought to canonical text like any other.
//!
//! PostgreSQL stores expressions in its own words (`CHECK (price > 0)` reads back as
//! `price > (0)::numeric`, a view's query is printed again from its parse tree), so a
//! declared schema and the database it was created in can only be compared after the
//! declared one took the same path: [`read_back`] creates it in a scratch schema inside a
//! transaction that is rolled back, and introspects that.

use std::collections::BTreeMap;

use postgres::GenericClient;
use sqlparser::ast::{DataType, Expr, Value};
use sqlparser::dialect::PostgreSqlDialect;

use crate::autogenerate;
use crate::dialect::{Dialect, postgres::render};
use crate::nesting;
use crate::schema::expr::{normalize_expr, normalize_query};
use crate::schema::parse::column_type;
use crate::schema::{
    Check, Column, ColumnType, Constraint, FkAction, ForeignKey, Index, IndexKey, IndexPart,
    PrimaryKey, Schema, Table, UniqueConstraint, View, quoted,
};
use crate::{Error, Result};

/// Name prefix of mb's own tables (`mb_version`, `mb_history`, `mb_progress`).
const OWN_PREFIX: &str = "mb_";

/// The schema in namespace `namespace`.
pub fn introspect(client: &mut impl GenericClient, namespace: &str) -> Result<Schema> {
    let db = |e: postgres::Error| {
        Error::database(format!(
            "cannot read the database schema: {}",
            super::postgres::message(&e)
        ))
    };
    // Assembled as a plain map, row by row, and indexed once as a schema at the end.
    let mut tables = BTreeMap::new();
    for row in client.query(TABLES, &[&namespace]).map_err(db)? {
        let name: String = row.get(0);
        if !name.starts_with(OWN_PREFIX) {
            tables.insert(
                name.clone(),
                Table {
                    name,
                    ..Table::default()
                },
            );
        }
    }
    for row in client.query(COLUMNS, &[&namespace]).map_err(db)? {
        let table: String = row.get(0);
        let Some(t) = tables.get_mut(&table) else {
            continue;
        };
        let name: String = row.get(1);
        if !row.get::<_, String>(6).is_empty() {
            return Err(unsupported(
                &table,
                &format!("column {} is a generated column", quoted(&name)),
            ));
        }
        let ty = read_type(&row.get::<_, String>(2));
        let owns_sequence: bool = row.get(5);
        let default = row
            .get::<_, Option<String>>(4)
            .filter(|d| !(owns_sequence && d.starts_with("nextval(")))
            .map(|d| read_default(&d, &ty))
            .transpose()
            .map_err(|e| unsupported(&table, &format!("the default of {}: {e}", quoted(&name))))?;
        t.columns.push(Column {
            name,
            ty,
            nullable: !row.get::<_, bool>(3),
            default,
            autoincrement: false,
        });
    }
    for row in client.query(CONSTRAINTS, &[&namespace]).map_err(db)? {
        let table: String = row.get(0);
        if let Some(t) = tables.get_mut(&table) {
            t.add_constraint(read_constraint(&row, &table, namespace)?);
        }
    }
    for row in client.query(INDEXES, &[&namespace]).map_err(db)? {
        let table: String = row.get(0);
        let Some(t) = tables.get_mut(&table) else {
            continue;
        };
        t.indexes.push(read_index(&row, &table)?);
    }
    for table in tables.values_mut() {
        table.normalize();
    }
    let mut schema = Schema {
        tables: tables.into(),
        ..Schema::default()
    };
    for row in client.query(VIEWS, &[&namespace]).map_err(db)? {
        let name: String = row.get(0);
        let definition = read_query(&row.get::<_, String>(1));
        schema.views.insert(name.clone(), View { name, definition });
    }
    Ok(schema)
}

/// `schema` as PostgreSQL reads it back: created in a scratch schema (ahead of the
/// current ones on the search path, so names print alike) inside a transaction that is
/// rolled back, and introspected. PostgreSQL refusing an object of `schema` is an
/// [`crate::ErrorKind::Schema`] error that names it; anything else is a database error.
pub fn read_back(client: &mut postgres::Client, schema: &Schema) -> Result<Schema> {
    // Each statement with the object it creates, for the message when it is refused.
    let mut statements = Vec::new();
    let mut state = Schema::default();
    for op in autogenerate::diff(&Schema::default(), schema) {
        let summary = op.summary();
        let object = summary
            .strip_prefix("added ")
            .unwrap_or(&summary)
            .to_string();
        for sql in render(&op, &state)?.statements {
            statements.push((object.clone(), sql));
        }
        op.apply(&mut state)?;
    }
    let fail = |what: String, e: postgres::Error| {
        Error::database(format!("{what}: {}", super::postgres::message(&e)))
    };
    let mut tx = client
        .transaction()
        .map_err(|e| fail("cannot start a transaction".into(), e))?;
    let search_path: String = tx
        .query_one("SHOW search_path", &[])
        .map(|row| row.get(0))
        .map_err(|e| fail("cannot read the search path".into(), e))?;
    let scratch = format!("mb_scratch_{}", std::process::id());
    let q = Dialect::Postgres.quote_ident(&scratch);
    tx.batch_execute(&format!(
        "CREATE SCHEMA {q}; SET LOCAL search_path TO {q}, {search_path}"
    ))
    .map_err(|e| {
        Error::database(format!(
            "cannot create a scratch schema to compare with: {} — grant the user CREATE on the database (mb rolls the scratch schema back)",
            super::postgres::message(&e)
        ))
    })?;
    for (object, sql) in &statements {
        tx.batch_execute(sql).map_err(|e| {
            Error::schema(format!(
                "PostgreSQL refuses {object}: {}",
                super::postgres::message(&e)
            ))
        })?;
    }
    let read = introspect(&mut tx, &scratch);
    tx.rollback()
        .map_err(|e| fail("cannot roll back the scratch schema".into(), e))?;
    read
}

const TABLES: &str = "SELECT c.relname::text FROM pg_catalog.pg_class c \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition";

const COLUMNS: &str = "SELECT c.relname::text, a.attname::text, \
    pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, \
    pg_catalog.pg_get_expr(d.adbin, d.adrelid), \
    pg_catalog.pg_get_serial_sequence(pg_catalog.format('%I.%I', n.nspname, c.relname), a.attname) IS NOT NULL, \
    a.attgenerated::text \
    FROM pg_catalog.pg_attribute a \
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    AND a.attnum > 0 AND NOT a.attisdropped \
    ORDER BY c.relname, a.attnum";

/// Columns of `conkey`/`confkey` in key order.
macro_rules! key_columns {
    ($key:literal, $rel:literal) => {
        concat!(
            "ARRAY(SELECT a.attname::text FROM unnest(con.",
            $key,
            ") WITH ORDINALITY k(num, ord) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.",
            $rel,
            " AND a.attnum = k.num ORDER BY k.ord)"
        )
    };
}

const CONSTRAINTS: &str = concat!(
    "SELECT c.relname::text, con.conname::text, con.contype::text, ",
    key_columns!("conkey", "conrelid"),
    ", fc.relname::text, fn.nspname::text, ",
    key_columns!("confkey", "confrelid"),
    ", con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.confmatchtype::text, \
    pg_catalog.pg_get_expr(con.conbin, con.conrelid) \
    FROM pg_catalog.pg_constraint con \
    JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid \
    LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace \
    WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f', 'c', 'x') \
    ORDER BY c.relname, con.conname"
);

/// Indexes that no primary key, unique or exclusion constraint owns. Each key part is
/// `c:<column>` or `e:<expression>`, with its DESC flag alongside.
const INDEXES: &str = "SELECT c.relname::text, ic.relname::text, i.indisunique, \
    pg_catalog.pg_get_expr(i.indpred, i.indrelid), \
    ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 \
        THEN 'e:' || pg_catalog.pg_get_indexdef(i.indexrelid, k, true) \
        ELSE 'c:' || (SELECT a.attname::text FROM pg_catalog.pg_attribute a \
            WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) END \
        FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
    ARRAY(SELECT (i.indoption[k - 1] & 1) = 1 FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
    am.amname::text, i.indnatts > i.indnkeyatts \
    FROM pg_catalog.pg_index i \
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
    JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_catalog.pg_am am ON am.oid = ic.relam \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con \
        WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')) \
    ORDER BY c.relname, ic.relname";

const VIEWS: &str = "SELECT c.relname::text, pg_catalog.pg_get_viewdef(c.oid, true) \
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind = 'v' ORDER BY c.relname";

fn unsupported(table: &str, what: &str) -> Error {
    Error::database(format!(
        "cannot read table {} of the database: {what}, which mb does not manage — change it by hand to what schema.sql can declare, or keep it out of mb's schema",
        quoted(table)
    ))
}

/// A `format_type` text as a portable type, by the rules `schema.sql` uses.
fn read_type(text: &str) -> ColumnType {
    let parsed: Option<DataType> = nesting::parser(&PostgreSqlDialect {}, text)
        .and_then(|mut p| p.parse_data_type())
        .ok();
    match parsed {
        Some(data_type) => column_type(&data_type),
        None => ColumnType::Other(text.to_uppercase()),
    }
}

fn parse_pg_expr(text: &str) -> std::result::Result<Expr, String> {
    nesting::parser(&PostgreSqlDialect {}, text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| e.to_string())
}

/// Canonical text of an expression PostgreSQL printed.
fn read_expr(text: &str) -> std::result::Result<String, String> {
    parse_pg_expr(text).map(normalize_expr)
}

/// A default without the cast PostgreSQL adds to a literal of the column's own type
/// (`'a'::character varying`, `'-1'::integer`).
fn read_default(text: &str, ty: &ColumnType) -> std::result::Result<String, String> {
    let expr = parse_pg_expr(text)?;
    if let Expr::Cast {
        expr: inner,
        data_type,
        ..
    } = &expr
        && same_kind(&column_type(data_type), ty)
        && let Expr::Value(value) = inner.as_ref()
    {
        let number = matches!(
            ty,
            ColumnType::SmallInt
                | ColumnType::Integer
                | ColumnType::BigInt
                | ColumnType::Real
                | ColumnType::Double
                | ColumnType::Numeric(_)
        );
        return Ok(match &value.value {
            Value::SingleQuotedString(s) if number && s.parse::<f64>().is_ok() => s.clone(),
            _ => normalize_expr(inner.as_ref().clone()),
        });
    }
    Ok(normalize_expr(expr))
}

/// Whether two types differ at most in length, precision or scale (PostgreSQL casts a
/// literal to `character varying`, not to `character varying(10)`).
fn same_kind(a: &ColumnType, b: &ColumnType) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b) && !matches!(a, ColumnType::Other(_))
        || a == b
}

/// Canonical text of a view query PostgreSQL printed; the text as printed (without
/// its `;`) if sqlparser cannot read it.
fn read_query(text: &str) -> String {
    let text = text.trim().trim_end_matches(';').trim();
    match nesting::parser(&PostgreSqlDialect {}, text).and_then(|mut p| p.parse_query()) {
        Ok(query) => normalize_query(*query),
        Err(_) => text.to_string(),
    }
}

/// One row of [`CONSTRAINTS`].
fn read_constraint(row: &postgres::Row, table: &str, namespace: &str) -> Result<Constraint> {
    let name: String = row.get(1);
    let kind: String = row.get(2);
    let columns: Vec<String> = row.get(3);
    let named = |what: &str| format!("{what} {}", quoted(&name));
    Ok(match kind.as_str() {
        "p" => Constraint::PrimaryKey(PrimaryKey { name, columns }),
        "u" => Constraint::Unique(UniqueConstraint { name, columns }),
        "c" => {
            let text: String = row.get(11);
            let expr = read_expr(&text)
                .map_err(|e| unsupported(table, &format!("{} ({e})", named("check"))))?;
            Constraint::Check(Check { name, expr })
        }
        "f" => {
            let ref_table: String = row.get(4);
            let ref_namespace: String = row.get(5);
            if ref_namespace != namespace {
                return Err(unsupported(
                    table,
                    &format!(
                        "{} references {ref_namespace}.{ref_table} in another schema",
                        named("foreign key")
                    ),
                ));
            }
            if row.get::<_, bool>(9) || row.get::<_, String>(10) != "s" {
                return Err(unsupported(
                    table,
                    &format!("{} is DEFERRABLE or uses MATCH FULL", named("foreign key")),
                ));
            }
            Constraint::ForeignKey(ForeignKey {
                name,
                columns,
                ref_table,
                ref_columns: row.get(6),
                on_delete: action(&row.get::<_, String>(7)),
                on_update: action(&row.get::<_, String>(8)),
            })
        }
        _ => return Err(unsupported(table, &named("exclusion constraint"))),
    })
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// One row of [`INDEXES`].
fn read_index(row: &postgres::Row, table: &str) -> Result<Index> {
    let name: String = row.get(1);
    let method: String = row.get(6);
    let index = format!("index {}", quoted(&name));
    if method != "btree" || row.get::<_, bool>(7) {
        return Err(unsupported(
            table,
            &format!("{index} uses {method} or INCLUDE columns"),
        ));
    }
    let keys: Vec<String> = row.get(4);
    let descending: Vec<bool> = row.get(5);
    let mut parts = Vec::with_capacity(keys.len());
    for (key, descending) in keys.iter().zip(descending) {
        let key = match key.split_at(2) {
            ("c:", column) => IndexKey::Column(column.to_string()),
            (_, expr) => IndexKey::Expr(
                read_expr(expr).map_err(|e| unsupported(table, &format!("{index} ({e})")))?,
            ),
        };
        parts.push(IndexPart { key, descending });
    }
    let where_clause = row
        .get::<_, Option<String>>(3)
        .map(|text| read_expr(&text))
        .transpose()
        .map_err(|e| unsupported(table, &format!("{index} ({e})")))?;
    Ok(Index {
        name,
        parts,
        unique: row.get(2),
        where_clause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_types_read_back_as_portable_types() {
        for (text, ty) in [
            ("integer", ColumnType::Integer),
            ("character varying(64)", ColumnType::Varchar(Some(64))),
            ("character varying", ColumnType::Varchar(None)),
            ("numeric(10,2)", ColumnType::Numeric(Some((10, 2)))),
            ("timestamp without time zone", ColumnType::Timestamp),
            ("timestamp with time zone", ColumnType::TimestampTz),
            ("time without time zone", ColumnType::Time),
            ("double precision", ColumnType::Double),
            ("bytea", ColumnType::Blob),
            ("jsonb", ColumnType::Other("JSONB".into())),
        ] {
            assert_eq!(read_type(text), ty, "{text}");
        }
    }

    #[test]
    fn literal_defaults_lose_the_cast_postgresql_adds() {
        let varchar = ColumnType::Varchar(Some(10));
        assert_eq!(
            read_default("'new'::character varying", &varchar).unwrap(),
            "'new'"
        );
        assert_eq!(
            read_default("'-1'::integer", &ColumnType::Integer).unwrap(),
            "-1"
        );
        assert_eq!(
            read_default("CURRENT_TIMESTAMP", &ColumnType::Timestamp).unwrap(),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(
            read_default("'2020-01-01'::date", &ColumnType::Text).unwrap(),
            "'2020-01-01'::DATE"
        );
    }
}
