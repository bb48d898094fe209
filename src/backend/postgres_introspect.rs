//! Reads a PostgreSQL schema from `pg_catalog` into the model, and reads a declared
//! schema back the way PostgreSQL stores it.
//!
//! [`introspect`] reads one namespace (the connection's `current_schema()` for the live
//! database): tables with their columns, primary keys, unique constraints, foreign keys
//! and checks, the indexes that no constraint owns, and views. mb's own `mb_*` tables are
//! skipped. What the model has no place for is left out of the schema and returned beside
//! it by name ([`Unmanaged`]): on a table, a generated column, an exclusion constraint, a
//! deferrable foreign key, an index `USING` another method than btree or with `INCLUDE`
//! columns (and whatever uses them); beside the tables, triggers, functions, procedures
//! and aggregates, sequences no column owns, enum, domain, composite and range types,
//! extensions, materialized views, the partitions of a partitioned table (which is read
//! as a plain table), and comments.
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

use super::{Introspected, Unmanaged, unmanaged::leave_out_dependents};
use crate::autogenerate;
use crate::dialect::{Dialect, postgres::render, types};
use crate::nesting;
use crate::schema::expr::{normalize_expr, normalize_query};
use crate::schema::parse::column_type;
use crate::schema::{
    Check, Column, ColumnType, Constraint, FkAction, ForeignKey, Index, IndexKey, IndexPart,
    PrimaryKey, Schema, Table, UniqueConstraint, View,
};
use crate::{Error, Result};

/// Name prefix of mb's own tables (`mb_version`, `mb_history`, `mb_progress`).
const OWN_PREFIX: &str = "mb_";

/// The schema in namespace `namespace`, and what it has beside.
pub fn introspect(client: &mut impl GenericClient, namespace: &str) -> Result<Introspected> {
    let db = |e: postgres::Error| {
        Error::database(format!(
            "cannot read the database schema: {}",
            super::postgres::message(&e)
        ))
    };
    // Assembled as a plain map, row by row, and indexed once as a schema at the end.
    let mut tables = BTreeMap::new();
    let mut unmanaged = Vec::new();
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
            unmanaged.push(Unmanaged::new(
                "column",
                &name,
                Some(&table),
                "is a generated column",
            ));
            continue;
        }
        let ty = read_type(&row.get::<_, String>(2));
        let owns_sequence: bool = row.get(5);
        let default = match row
            .get::<_, Option<String>>(4)
            .filter(|d| !(owns_sequence && d.starts_with("nextval(")))
            .map(|d| read_default(&d, &ty))
            .transpose()
        {
            Ok(default) => default,
            Err(e) => {
                let why = format!("has a default mb cannot read ({e})");
                unmanaged.push(Unmanaged::new("column", &name, Some(&table), why));
                continue;
            }
        };
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
            match read_constraint(&row, namespace) {
                Ok(constraint) => t.add_constraint(constraint),
                Err((kind, why)) => unmanaged.push(Unmanaged::new(
                    kind,
                    &row.get::<_, String>(1),
                    Some(&table),
                    why,
                )),
            }
        }
    }
    for row in client.query(INDEXES, &[&namespace]).map_err(db)? {
        let table: String = row.get(0);
        let Some(t) = tables.get_mut(&table) else {
            continue;
        };
        match read_index(&row) {
            Ok(index) => t.indexes.push(index),
            Err(why) => unmanaged.push(Unmanaged::new(
                "index",
                &row.get::<_, String>(1),
                Some(&table),
                why,
            )),
        }
    }
    for table in tables.values_mut() {
        table.normalize();
    }
    let mut schema = Schema {
        tables: tables.into(),
        ..Schema::default()
    };
    leave_out_dependents(&mut schema, &mut unmanaged);
    for row in client.query(OTHER_OBJECTS, &[&namespace]).map_err(db)? {
        let table: Option<String> = row.get(2);
        unmanaged.push(Unmanaged::new(
            row.get(0),
            &row.get::<_, String>(1),
            table.as_deref(),
            row.get::<_, String>(3),
        ));
    }
    for row in client.query(VIEWS, &[&namespace]).map_err(db)? {
        let name: String = row.get(0);
        let definition = read_query(&row.get::<_, String>(1));
        schema.views.insert(name.clone(), View { name, definition });
    }
    Ok(Introspected::new(schema, unmanaged, namespace))
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
    let read = introspect(&mut tx, &scratch).map(|read| read.schema);
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

/// Everything in the namespace that the model has no place for, as rows of kind, name,
/// table (for a part of one) and why. Objects an extension created belong to the
/// extension, which is reported instead.
const OTHER_OBJECTS: &str = "\
    SELECT 'trigger', t.tgname::text, c.relname::text, 'runs ' || p.proname || '()' \
    FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid \
    WHERE n.nspname = $1 AND NOT t.tgisinternal AND NOT c.relispartition \
    UNION ALL \
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, \
        p.proname::text, NULL, \
        'takes (' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' \
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
    WHERE n.nspname = $1 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
        WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') \
    UNION ALL \
    SELECT 'sequence', c.relname::text, NULL, 'is not owned by a serial or identity column' \
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e')) \
    UNION ALL \
    SELECT CASE t.typtype WHEN 'e' THEN 'enum type' WHEN 'd' THEN 'domain' \
        WHEN 'r' THEN 'range type' WHEN 'm' THEN 'multirange type' ELSE 'composite type' END, \
        t.typname::text, NULL, \
        CASE t.typtype WHEN 'e' THEN 'has the values ' || pg_catalog.array_to_string(ARRAY(SELECT \
            pg_catalog.quote_literal(e.enumlabel) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid \
            ORDER BY e.enumsortorder), ', ') \
        WHEN 'd' THEN 'is over ' || pg_catalog.format_type(t.typbasetype, t.typtypmod) \
        ELSE 'is a type of its own' END \
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
    WHERE n.nspname = $1 AND (t.typtype IN ('e', 'd', 'r') \
        OR t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c') \
    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
        WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e') \
    UNION ALL \
    SELECT 'extension', x.extname::text, NULL, 'is installed (version ' || x.extversion || ')' \
    FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace \
    WHERE n.nspname = $1 \
    UNION ALL \
    SELECT 'materialized view', c.relname::text, NULL, 'is a materialized view' \
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind = 'm' \
    UNION ALL \
    SELECT 'table', c.relname::text, NULL, \
        'is PARTITION BY ' || pg_catalog.pg_get_partkeydef(c.oid) || ', read as a plain table: the partitioning' \
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = $1 AND c.relkind = 'p' \
    UNION ALL \
    SELECT 'partition', c.relname::text, parent.relname::text, \
        'is a partition (' || pg_catalog.pg_get_expr(c.relpartbound, c.oid) || ')' \
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid \
    JOIN pg_catalog.pg_class parent ON parent.oid = i.inhparent \
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relispartition \
    UNION ALL \
    SELECT CASE WHEN d.objsubid = 0 THEN 'comment on ' || CASE c.relkind WHEN 'v' THEN 'view' \
            WHEN 'm' THEN 'materialized view' ELSE 'table' END ELSE 'comment on column' END, \
        CASE WHEN d.objsubid = 0 THEN c.relname::text ELSE a.attname::text END, \
        CASE WHEN d.objsubid = 0 THEN NULL ELSE c.relname::text END, \
        'says ' || pg_catalog.quote_literal(pg_catalog.left(d.description, 60)) \
    FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid \
    WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND n.nspname = $1 \
    AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition";

/// A `format_type` text as a portable type, by the rules `schema.sql` uses.
fn read_type(text: &str) -> ColumnType {
    let parsed: Option<DataType> = nesting::parser(&PostgreSqlDialect {}, text)
        .and_then(|mut p| p.parse_data_type())
        .ok();
    match parsed.map(|data_type| column_type(&data_type)) {
        // A type PostgreSQL does not have built in (an enum, a domain, an extension's type)
        // is the database's own: its name is quoted, as schema.sql declares a user-defined
        // type, so that it is neither upper-cased nor refused as unknown.
        Some(ColumnType::Other(other))
            if !other.contains('"') && !types::has_type(Dialect::Postgres, &other) =>
        {
            ColumnType::Other(user_type(text))
        }
        Some(ty) => ty,
        None => ColumnType::Other(user_type(text)),
    }
}

/// A user-defined type's name as `format_type` prints it, quoted (it already is when its
/// name needs quotes; an array keeps its `[]` outside the quotes).
fn user_type(text: &str) -> String {
    if text.starts_with('"') {
        return text.to_string();
    }
    let (name, array) = match text.find('[') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    format!("\"{}\"{array}", name.replace('"', "\"\""))
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

/// One row of [`CONSTRAINTS`]; one the model cannot hold is its kind and why.
fn read_constraint(
    row: &postgres::Row,
    namespace: &str,
) -> std::result::Result<Constraint, (&'static str, String)> {
    let name: String = row.get(1);
    let kind: String = row.get(2);
    let columns: Vec<String> = row.get(3);
    Ok(match kind.as_str() {
        "p" => Constraint::PrimaryKey(PrimaryKey { name, columns }),
        "u" => Constraint::Unique(UniqueConstraint { name, columns }),
        "c" => {
            let text: String = row.get(11);
            let expr = read_expr(&text)
                .map_err(|e| ("check", format!("has an expression mb cannot read ({e})")))?;
            Constraint::Check(Check { name, expr })
        }
        "f" => {
            let ref_table: String = row.get(4);
            let ref_namespace: String = row.get(5);
            if ref_namespace != namespace {
                return Err((
                    "foreign key",
                    format!("references {ref_namespace}.{ref_table} in another schema"),
                ));
            }
            if row.get::<_, bool>(9) {
                return Err(("foreign key", "is DEFERRABLE".into()));
            }
            if row.get::<_, String>(10) != "s" {
                return Err(("foreign key", "uses MATCH FULL".into()));
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
        _ => return Err(("exclusion constraint", "is an exclusion constraint".into())),
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

/// One row of [`INDEXES`]; one the model cannot hold is why.
fn read_index(row: &postgres::Row) -> std::result::Result<Index, String> {
    let name: String = row.get(1);
    let method: String = row.get(6);
    if method != "btree" {
        return Err(format!("uses the {method} method"));
    }
    if row.get::<_, bool>(7) {
        return Err("has INCLUDE columns".into());
    }
    let unreadable = |e: String| format!("has an expression mb cannot read ({e})");
    let keys: Vec<String> = row.get(4);
    let descending: Vec<bool> = row.get(5);
    let mut parts = Vec::with_capacity(keys.len());
    for (key, descending) in keys.iter().zip(descending) {
        let key = match key.split_at(2) {
            ("c:", column) => IndexKey::Column(column.to_string()),
            (_, expr) => IndexKey::Expr(read_expr(expr).map_err(unreadable)?),
        };
        parts.push(IndexPart { key, descending });
    }
    let where_clause = row
        .get::<_, Option<String>>(3)
        .map(|text| read_expr(&text))
        .transpose()
        .map_err(unreadable)?;
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
