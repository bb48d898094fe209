//! Schema operations rendered for MySQL and MariaDB, one statement per operation.
//!
//! MySQL commits each DDL statement by itself, so every op becomes exactly one statement
//! (or none, when MySQL stores the change as it was): `mb_progress` then records exactly
//! what ran. A change to a table, with everything MySQL needs alongside it, is one
//! `ALTER TABLE` whose clauses turn the table as it was (the schema `before` the op)
//! into the table after it:
//!
//! - `MODIFY COLUMN` restates the whole column definition (type, NULL, DEFAULT,
//!   AUTO_INCREMENT), taken from the table after the op;
//! - dropping a column also drops the constraints and indexes that use it (MySQL would
//!   shrink a composite index instead, and refuses to drop a column a foreign key or a
//!   check uses);
//! - a single-column integer primary key is `AUTO_INCREMENT`; adding or dropping such a
//!   key modifies the column too;
//! - renaming a column drops the checks that use it and adds them back (MySQL 8 refuses
//!   to rename a column a check uses);
//! - InnoDB needs an index whose first columns are a foreign key's columns. When no
//!   declared index serves, it creates one named after the foreign key; mb does the
//!   same explicitly ([`implicit_foreign_key_indexes`]), dropping it with the foreign
//!   key or when a declared index takes over, and adding it back when the index that
//!   served goes. Introspection leaves such indexes out.
//!
//! Types: INTEGER `INT`, BOOLEAN `TINYINT(1)`, TEXT `LONGTEXT`, BLOB `LONGBLOB`, REAL
//! `FLOAT`, DOUBLE PRECISION `DOUBLE`, NUMERIC(p, s) `DECIMAL(p,s)` (NUMERIC without
//! precision `DECIMAL(65,30)`, the largest), TIME `TIME(6)`, TIMESTAMP `DATETIME(6)`,
//! TIMESTAMP WITH TIME ZONE `TIMESTAMP(6)` (stored in UTC and converted to the session's
//! time zone, like PostgreSQL's `timestamptz`; its range ends in 2038), UUID `CHAR(36)
//! CHARACTER SET ascii`, JSON `JSON`; other types as written. Each reads back as the
//! portable type (see `crate::backend::mysql_introspect`).
//!
//! Names MySQL does not keep are kept in index comments: a primary key has `COMMENT
//! 'mb:name=<name>'` (MySQL calls every primary key PRIMARY; the comment stays when the
//! table is renamed, as the name does on other databases), and a unique index made by
//! `CREATE UNIQUE INDEX` has `COMMENT 'mb:index'` (MySQL keeps a unique constraint as a
//! unique index too).
//!
//! Expressions, defaults and view queries are written with backticks and with
//! backslashes in string literals escaped, so the output also runs in a plain `mysql`
//! client. `||` stays: mb's sessions use `PIPES_AS_CONCAT`.
//!
//! What MySQL and MariaDB cannot do is an error that says what to do instead: partial
//! indexes, expression indexes (MySQL 8 has them, MariaDB does not, and mb renders one
//! SQL for both), indexes and keys on TEXT, BLOB and JSON columns (MySQL needs a prefix
//! length), VARCHAR without a length, `ON DELETE/UPDATE SET DEFAULT` (InnoDB refuses it),
//! a default on the auto-increment key, and changing the type of a column that a foreign
//! key uses (drop the foreign key around it, as `mb db migrate` does).

use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{Dialect, Rendered};
use crate::ops::{Op, standard_sql};
use crate::schema::expr::{DefaultKind, default_kind};
use crate::schema::{
    Check, Column, ColumnType, FkAction, ForeignKey, Index, IndexKey, PrimaryKey, Schema, Table,
    quoted,
};
use crate::{Error, Result};

const MYSQL: Dialect = Dialect::Mysql;

/// The comment that marks a unique index created with `CREATE UNIQUE INDEX`.
pub const UNIQUE_INDEX_COMMENT: &str = "mb:index";
/// The comment prefix that keeps the name of a primary key.
pub const PRIMARY_KEY_NAME_COMMENT: &str = "mb:name=";
/// NUMERIC without precision: MySQL's largest DECIMAL.
pub const UNBOUNDED_NUMERIC: &str = "DECIMAL(65,30)";

/// The statement that performs `op` on MySQL, given the schema `before` it; none when
/// MySQL stores the result as it stored the schema before (a type change that maps to
/// the same MySQL type).
pub fn render(op: &Op, before: &Schema) -> Result<Rendered> {
    render_applying(op, &mut before.clone())
}

/// [`render`], applying `op` to `schema` on the way. MySQL's statements are worked out
/// from the changed table before and after the op, so only that table is copied, not
/// the schema: a copy of the schema for each op made an upgrade of N one-table
/// revisions quadratic (3,000 revisions: 8 s of copying).
pub fn render_applying(op: &Op, schema: &mut Schema) -> Result<Rendered> {
    let fail = |reason: String| {
        let statement = op.to_sql();
        let first_line = statement.lines().next().unwrap_or_default();
        Error::script(format!("cannot run `{first_line}` on MySQL: {reason}"))
    };
    // The table the op changes, as it was: the statement is worked out from it and the
    // same table after the op.
    let old = match op {
        Op::RenameColumn { table, .. }
        | Op::AlterColumn { table, .. }
        | Op::AddColumn { table, .. }
        | Op::DropColumn { table, .. }
        | Op::CreateIndex { table, .. }
        | Op::AddConstraint { table, .. }
        | Op::DropConstraint { table, .. } => schema.tables.get(table).cloned(),
        Op::DropIndex { name, .. } => schema.index_table(name).cloned(),
        Op::CreateTable(_)
        | Op::CreateView(_)
        | Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::DropView { .. } => None,
    };
    op.apply(schema)?;
    let after = &*schema;
    let statement = match op {
        Op::CreateTable(table) => match after.tables.get(&table.name) {
            Some(created) => Some(create_table(after, created).map_err(fail)?),
            None => None,
        },
        Op::CreateView(view) => Some(format!(
            "CREATE VIEW {} AS {}",
            MYSQL.quote_ident(&view.name),
            mysql_text(&view.definition)
        )),
        Op::DropTable { .. } | Op::RenameTable { .. } | Op::DropView { .. } => {
            standard_sql(MYSQL, op)
        }
        Op::RenameColumn { table, from, to } => match (&old, after.tables.get(table)) {
            (Some(old), Some(new)) => Some(rename_column(old, new, from, to).map_err(fail)?),
            _ => None,
        },
        Op::AlterColumn {
            table,
            column,
            change,
        } => {
            let mysql_type = |t: Option<&Table>| {
                let column = t.and_then(|t| t.column(column));
                column.map(|c| column_type(&c.ty))
            };
            if change.ty.is_some()
                && mysql_type(old.as_ref()) != mysql_type(after.tables.get(table))
            {
                // The op changes no foreign key, so the schema after it has the ones
                // before.
                refuse_type_change_under_foreign_key(after, table, column).map_err(fail)?;
            }
            alter(old.as_ref(), after).map_err(fail)?
        }
        Op::AddColumn { .. }
        | Op::DropColumn { .. }
        | Op::CreateIndex { .. }
        | Op::AddConstraint { .. }
        | Op::DropConstraint { .. }
        | Op::DropIndex { .. } => alter(old.as_ref(), after).map_err(fail)?,
    };
    Ok(Rendered {
        statements: statement.into_iter().collect(),
        ..Rendered::default()
    })
}

/// The MySQL type of a portable one.
pub fn column_type(ty: &ColumnType) -> std::result::Result<String, String> {
    use ColumnType::*;
    Ok(match ty {
        SmallInt => "SMALLINT".into(),
        Integer => "INT".into(),
        BigInt => "BIGINT".into(),
        Varchar(Some(n)) => format!("VARCHAR({n})"),
        Varchar(None) => {
            return Err(
                "MySQL needs a length for VARCHAR — declare VARCHAR(n), or TEXT for text of any length"
                    .into(),
            );
        }
        Text => "LONGTEXT".into(),
        Boolean => "TINYINT(1)".into(),
        Real => "FLOAT".into(),
        Double => "DOUBLE".into(),
        Numeric(Some((p, s))) => format!("DECIMAL({p},{s})"),
        Numeric(None) => UNBOUNDED_NUMERIC.into(),
        Date => "DATE".into(),
        Time => "TIME(6)".into(),
        Timestamp => "DATETIME(6)".into(),
        TimestampTz => "TIMESTAMP(6)".into(),
        Blob => "LONGBLOB".into(),
        Json => "JSON".into(),
        Uuid => "CHAR(36) CHARACTER SET ascii".into(),
        Other(text) => {
            let base = base_type(text).to_ascii_uppercase();
            if !MYSQL_TYPES.contains(&base.as_str()) {
                return Err(format!(
                    "{text} is not a MySQL or MariaDB type — use a portable type (JSON, BLOB, VARCHAR(n), …) or one MySQL knows"
                ));
            }
            text.clone()
        }
    })
}

/// The type names MySQL 8 or MariaDB know (MariaDB's UUID, INET4 and INET6 included), so
/// that a type only another database has is refused before anything runs.
const MYSQL_TYPES: [&str; 51] = [
    "BIT",
    "TINYINT",
    "SMALLINT",
    "MEDIUMINT",
    "INT",
    "INTEGER",
    "BIGINT",
    "SERIAL",
    "BOOL",
    "BOOLEAN",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "FIXED",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "DATE",
    "DATETIME",
    "TIMESTAMP",
    "TIME",
    "YEAR",
    "CHAR",
    "CHARACTER",
    "NCHAR",
    "NATIONAL",
    "VARCHAR",
    "NVARCHAR",
    "VARCHARACTER",
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
    "ENUM",
    "SET",
    "JSON",
    "GEOMETRY",
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "UUID",
    "INET4",
    "INET6",
];

/// `` `c` TYPE [NOT NULL] [DEFAULT x] [AUTO_INCREMENT] ``, the whole definition that
/// `MODIFY COLUMN` needs.
pub fn column_definition(column: &Column) -> std::result::Result<String, String> {
    let ty = column_type(&column.ty)?;
    let mut sql = format!("{} {ty}", MYSQL.quote_ident(&column.name));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    } else if base_type(&ty) == "TIMESTAMP" {
        // Without NULL, a server with explicit_defaults_for_timestamp=OFF would make it
        // NOT NULL and fill it in on every update.
        sql.push_str(" NULL");
    }
    if let Some(default) = &column.default {
        if column.autoincrement {
            return Err(format!(
                "the auto-increment key column {} cannot have a default on MySQL — remove the DEFAULT",
                quoted(&column.name)
            ));
        }
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_sql(default, &ty));
    }
    if column.autoincrement {
        sql.push_str(" AUTO_INCREMENT");
    }
    Ok(sql)
}

/// A default as MySQL takes it: literals bare, except on TEXT, BLOB and JSON columns
/// (which take only expressions); `CURRENT_TIMESTAMP` with the column's fractional
/// digits on DATETIME and TIMESTAMP; anything else as an expression in parentheses.
fn default_sql(default: &str, ty: &str) -> String {
    let text = mysql_text(default);
    match default_kind(default) {
        DefaultKind::CurrentTime
            if default == "CURRENT_TIMESTAMP"
                && matches!(base_type(ty), "DATETIME" | "TIMESTAMP") =>
        {
            match ty.find('(') {
                Some(i) => format!("CURRENT_TIMESTAMP{}", &ty[i..]),
                None => text,
            }
        }
        DefaultKind::Literal if !is_long_type(ty) => text,
        _ => format!("({text})"),
    }
}

/// The type's name without length or precision: `DATETIME` for `DATETIME(6)`.
fn base_type(ty: &str) -> &str {
    let end = ty.find(['(', ' ']).unwrap_or(ty.len());
    &ty[..end]
}

/// TEXT, BLOB and JSON types: no index without a prefix length, no literal default.
fn is_long_type(ty: &str) -> bool {
    matches!(
        base_type(&ty.to_ascii_uppercase()),
        "TINYTEXT"
            | "TEXT"
            | "MEDIUMTEXT"
            | "LONGTEXT"
            | "TINYBLOB"
            | "BLOB"
            | "MEDIUMBLOB"
            | "LONGBLOB"
            | "JSON"
            | "GEOMETRY"
    )
}

/// Portable SQL text (an expression or a view's query) as any MySQL session reads it:
/// identifiers in backticks, backslashes in string literals escaped.
pub fn mysql_text(portable: &str) -> String {
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, portable).tokenize() else {
        return portable.to_string();
    };
    tokens
        .iter()
        .map(|token| match token {
            Token::Word(word) if word.quote_style.is_some() => MYSQL.quote_ident(&word.value),
            Token::SingleQuotedString(value) => MYSQL.quote_literal(value),
            Token::NationalStringLiteral(value) => format!("N{}", MYSQL.quote_literal(value)),
            other => other.to_string(),
        })
        .collect()
}

/// `CREATE TABLE` with every constraint. InnoDB adds the indexes that foreign keys need,
/// as [`implicit_foreign_key_indexes`] predicts.
fn create_table(schema: &Schema, table: &Table) -> std::result::Result<String, String> {
    let mut lines = Vec::new();
    for column in &table.columns {
        lines.push(column_definition(column)?);
    }
    if let Some(pk) = &table.primary_key {
        lines.push(primary_key_clause(table, pk)?);
    }
    for unique in &table.uniques {
        lines.push(unique_clause(table, unique)?);
    }
    for check in &table.checks {
        lines.push(check_clause(table, check)?);
    }
    for fk in &table.foreign_keys {
        lines.push(foreign_key_clause(schema, table, fk)?);
    }
    Ok(format!(
        "CREATE TABLE {} (\n    {}\n)",
        MYSQL.quote_ident(&table.name),
        lines.join(",\n    ")
    ))
}

/// Fails when `table` has anything MySQL cannot have: an `ALTER TABLE` that leaves it so
/// would fail (a column changed under a key or a check, a key made auto-increment).
fn check_table(schema: &Schema, table: &Table) -> std::result::Result<(), String> {
    create_table(schema, table)?;
    for index in &table.indexes {
        index_definition(table, index)?;
    }
    Ok(())
}

/// `RENAME COLUMN`; MySQL 8 refuses to rename a column that a check uses, so such checks
/// are dropped and added back with the new name in the same statement.
fn rename_column(
    old: &Table,
    new: &Table,
    from: &str,
    to: &str,
) -> std::result::Result<String, String> {
    let q = |name: &str| MYSQL.quote_ident(name);
    let changed: Vec<&Check> = new
        .checks
        .iter()
        .filter(|c| !old.checks.contains(c))
        .collect();
    let mut clauses: Vec<String> = changed
        .iter()
        .map(|c| format!("DROP CONSTRAINT {}", q(&c.name)))
        .collect();
    clauses.push(format!("RENAME COLUMN {} TO {}", q(from), q(to)));
    for check in changed {
        clauses.push(format!("ADD {}", check_clause(new, check)?));
    }
    Ok(format!(
        "ALTER TABLE {} {}",
        q(&new.name),
        clauses.join(", ")
    ))
}

/// The statement that turns `old`, a table before the op, into the same table in
/// `after`.
fn alter(old: Option<&Table>, after: &Schema) -> std::result::Result<Option<String>, String> {
    match old.and_then(|old| Some((old, after.tables.get(&old.name)?))) {
        Some((old, new)) => alter_table(after, old, new),
        None => Ok(None),
    }
}

/// The one statement that turns `old` into `new` (the same table before and after an
/// op), or `None` when MySQL would store both alike.
fn alter_table(
    schema: &Schema,
    old: &Table,
    new: &Table,
) -> std::result::Result<Option<String>, String> {
    let q = |name: &str| MYSQL.quote_ident(name);
    check_table(schema, new)?;
    let mut clauses: Vec<Clause> = Vec::new();

    // What goes: foreign keys and checks first, then keys and indexes, then columns.
    for fk in old
        .foreign_keys
        .iter()
        .filter(|fk| !new.foreign_keys.contains(fk))
    {
        clauses.push(Clause::Other(format!("DROP FOREIGN KEY {}", q(&fk.name))));
    }
    for check in old.checks.iter().filter(|c| !new.checks.contains(c)) {
        clauses.push(Clause::Other(format!("DROP CONSTRAINT {}", q(&check.name))));
    }
    if old.primary_key.is_some() && old.primary_key != new.primary_key {
        clauses.push(Clause::Other("DROP PRIMARY KEY".into()));
    }
    let old_implicit = implicit_foreign_key_indexes(old);
    let new_implicit = implicit_foreign_key_indexes(new);
    let dropped_indexes = old
        .uniques
        .iter()
        .filter(|u| !new.uniques.contains(u))
        .map(|u| &u.name)
        .chain(
            old.indexes
                .iter()
                .filter(|i| !new.indexes.contains(i))
                .map(|i| &i.name),
        )
        .chain(
            old_implicit
                .iter()
                .filter(|i| !new_implicit.contains(i))
                .map(|(name, _)| name),
        );
    for name in dropped_indexes {
        clauses.push(Clause::DropIndex(name.clone()));
    }
    for column in old.columns.iter().filter(|c| new.column(&c.name).is_none()) {
        clauses.push(Clause::Other(format!("DROP COLUMN {}", q(&column.name))));
    }

    // What comes or changes: columns, then keys, indexes, checks and foreign keys.
    for column in &new.columns {
        let definition = column_definition(column)?;
        match old.column(&column.name) {
            None => clauses.push(Clause::Other(format!("ADD COLUMN {definition}"))),
            Some(was) => {
                let was_definition = column_definition(was)?;
                if was_definition != definition {
                    clauses.push(Clause::Other(format!("MODIFY COLUMN {definition}")));
                }
            }
        }
    }
    if let Some(pk) = new
        .primary_key
        .as_ref()
        .filter(|_| old.primary_key != new.primary_key)
    {
        clauses.push(Clause::Other(format!(
            "ADD {}",
            primary_key_clause(new, pk)?
        )));
    }
    for unique in new.uniques.iter().filter(|u| !old.uniques.contains(u)) {
        clauses.push(Clause::Other(format!(
            "ADD {}",
            unique_clause(new, unique)?
        )));
    }
    for index in new.indexes.iter().filter(|i| !old.indexes.contains(i)) {
        clauses.push(Clause::AddIndex(index_definition(new, index)?));
    }
    for (name, columns) in new_implicit.iter().filter(|i| !old_implicit.contains(i)) {
        let index = Index {
            name: name.clone(),
            parts: columns
                .iter()
                .map(|c| crate::schema::IndexPart {
                    key: IndexKey::Column(c.clone()),
                    descending: false,
                })
                .collect(),
            unique: false,
            where_clause: None,
        };
        clauses.push(Clause::AddIndex(index_definition(new, &index)?));
    }
    for check in new.checks.iter().filter(|c| !old.checks.contains(c)) {
        clauses.push(Clause::Other(format!("ADD {}", check_clause(new, check)?)));
    }
    for fk in new
        .foreign_keys
        .iter()
        .filter(|fk| !old.foreign_keys.contains(fk))
    {
        clauses.push(Clause::Other(format!(
            "ADD {}",
            foreign_key_clause(schema, new, fk)?
        )));
    }

    let table = q(&new.name);
    Ok(match clauses.as_slice() {
        [] => None,
        // The familiar statements when the op needs nothing else.
        [Clause::DropIndex(name)] => Some(format!("DROP INDEX {} ON {table}", q(name))),
        [Clause::AddIndex(index)] => Some(format!(
            "CREATE {}INDEX {} ON {table} {}",
            index.unique, index.name, index.rest
        )),
        _ => Some(format!(
            "ALTER TABLE {table} {}",
            clauses
                .iter()
                .map(Clause::sql)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    })
}

/// One clause of an `ALTER TABLE`; index clauses are kept apart so that an op that only
/// adds or drops an index reads as `CREATE INDEX` / `DROP INDEX`.
enum Clause {
    DropIndex(String),
    AddIndex(IndexDefinition),
    Other(String),
}

/// An index as `UNIQUE ` (or nothing), `` `name` `` and `(parts) [COMMENT '…']`.
struct IndexDefinition {
    unique: &'static str,
    name: String,
    rest: String,
}

impl Clause {
    fn sql(&self) -> String {
        match self {
            Clause::DropIndex(name) => format!("DROP INDEX {}", MYSQL.quote_ident(name)),
            Clause::AddIndex(index) => {
                format!("ADD {}INDEX {} {}", index.unique, index.name, index.rest)
            }
            Clause::Other(sql) => sql.clone(),
        }
    }
}

/// The indexes InnoDB needs for the foreign keys of `table` that no primary key, unique
/// constraint or index serves (one whose first columns are the foreign key's), each named
/// after its foreign key as InnoDB names the ones it creates; in name order, a foreign key
/// served by an earlier one's index getting none.
pub fn implicit_foreign_key_indexes(table: &Table) -> Vec<(String, Vec<String>)> {
    let mut keys: Vec<Vec<String>> = Vec::new();
    keys.extend(table.primary_key.iter().map(|pk| pk.columns.clone()));
    keys.extend(table.uniques.iter().map(|u| u.columns.clone()));
    keys.extend(
        table
            .indexes
            .iter()
            .filter(|i| i.where_clause.is_none())
            .map(|i| {
                i.parts
                    .iter()
                    .map_while(|p| match &p.key {
                        IndexKey::Column(c) => Some(c.clone()),
                        IndexKey::Expr(_) => None,
                    })
                    .collect()
            }),
    );
    let mut implicit = Vec::new();
    for fk in &table.foreign_keys {
        let served = keys.iter().any(|k| k.starts_with(&fk.columns));
        if !served {
            keys.push(fk.columns.clone());
            implicit.push((fk.name.clone(), fk.columns.clone()));
        }
    }
    implicit
}

/// `PRIMARY KEY (…)` with its name in a comment: MySQL calls every primary key PRIMARY,
/// and the comment stays when the table is renamed, as the name does elsewhere.
fn primary_key_clause(table: &Table, pk: &PrimaryKey) -> std::result::Result<String, String> {
    check_keyable(table, &pk.columns)?;
    Ok(format!(
        "PRIMARY KEY ({}) COMMENT {}",
        column_list(&pk.columns),
        MYSQL.quote_literal(&format!("{PRIMARY_KEY_NAME_COMMENT}{}", pk.name))
    ))
}

fn unique_clause(
    table: &Table,
    unique: &crate::schema::UniqueConstraint,
) -> std::result::Result<String, String> {
    check_keyable(table, &unique.columns)?;
    Ok(format!(
        "CONSTRAINT {} UNIQUE ({})",
        MYSQL.quote_ident(&unique.name),
        column_list(&unique.columns)
    ))
}

/// `CONSTRAINT … CHECK (…)`; MySQL refuses checks on the auto-increment column.
fn check_clause(table: &Table, check: &Check) -> std::result::Result<String, String> {
    let columns = crate::schema::expr::columns_in(&check.expr);
    if let Some(key) = table
        .columns
        .iter()
        .find(|c| c.autoincrement && columns.contains(&c.name))
    {
        return Err(format!(
            "check {} uses the auto-increment key column {}, which MySQL does not allow — check another column or drop the check",
            quoted(&check.name),
            quoted(&key.name)
        ));
    }
    Ok(format!(
        "CONSTRAINT {} CHECK ({})",
        MYSQL.quote_ident(&check.name),
        mysql_text(&check.expr)
    ))
}

/// `CONSTRAINT … FOREIGN KEY … REFERENCES …` of `table` in `schema` (which has the
/// referenced table).
fn foreign_key_clause(
    schema: &Schema,
    table: &Table,
    fk: &ForeignKey,
) -> std::result::Result<String, String> {
    check_keyable(table, &fk.columns)?;
    let referenced = if fk.ref_table == table.name {
        Some(table)
    } else {
        schema.tables.get(&fk.ref_table)
    };
    for (local, remote) in fk.columns.iter().zip(&fk.ref_columns) {
        let ty =
            |t: Option<&Table>, c: &str| t.and_then(|t| t.column(c)).map(|c| column_type(&c.ty));
        if let (Some(Ok(a)), Some(Ok(b))) = (ty(Some(table), local), ty(referenced, remote))
            && !similar_types(&a, &b)
        {
            return Err(format!(
                "foreign key {} joins {} {a} to {} {b}, and MySQL needs the same type on both sides (strings may differ in length) — give both columns one type",
                quoted(&fk.name),
                quoted(local),
                quoted(remote)
            ));
        }
    }
    let mut sql = format!(
        "CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({})",
        MYSQL.quote_ident(&fk.name),
        column_list(&fk.columns),
        MYSQL.quote_ident(&fk.ref_table),
        column_list(&fk.ref_columns)
    );
    for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        if action == FkAction::SetDefault {
            return Err(format!(
                "InnoDB does not support ON {event} SET DEFAULT (foreign key {}) — use SET NULL, CASCADE or RESTRICT",
                quoted(&fk.name)
            ));
        }
        if let Some(action) = action.sql() {
            sql.push_str(&format!(" ON {event} {action}"));
        }
    }
    Ok(sql)
}

/// An index's name and parts; MySQL has neither partial nor (on MariaDB) expression
/// indexes.
fn index_definition(table: &Table, index: &Index) -> std::result::Result<IndexDefinition, String> {
    if let Some(predicate) = &index.where_clause {
        return Err(format!(
            "MySQL has no partial indexes (index {} has WHERE {predicate}) — index every row by removing the WHERE clause",
            quoted(&index.name)
        ));
    }
    let mut parts = Vec::new();
    for part in &index.parts {
        let IndexKey::Column(column) = &part.key else {
            return Err(format!(
                "MariaDB cannot index an expression (index {}), and mb writes one SQL for MySQL and MariaDB — index a column that holds the value instead",
                quoted(&index.name)
            ));
        };
        check_keyable(table, std::slice::from_ref(column))?;
        let key = MYSQL.quote_ident(column);
        parts.push(if part.descending {
            format!("{key} DESC")
        } else {
            key
        });
    }
    let mut rest = format!("({})", parts.join(", "));
    if index.unique {
        rest.push_str(&format!(
            " COMMENT {}",
            MYSQL.quote_literal(UNIQUE_INDEX_COMMENT)
        ));
    }
    Ok(IndexDefinition {
        unique: if index.unique { "UNIQUE " } else { "" },
        name: MYSQL.quote_ident(&index.name),
        rest,
    })
}

/// MySQL indexes TEXT, BLOB and JSON columns only by a prefix, which mb does not write.
fn check_keyable(table: &Table, columns: &[String]) -> std::result::Result<(), String> {
    for name in columns {
        let Some(column) = table.column(name) else {
            continue;
        };
        let ty = column_type(&column.ty)?;
        if is_long_type(&ty) {
            return Err(format!(
                "MySQL cannot index the {} column {} of {} whole (keys, unique constraints, indexes and foreign keys need an index) — declare it VARCHAR(n)",
                column.ty,
                quoted(name),
                quoted(&table.name)
            ));
        }
    }
    Ok(())
}

/// MySQL refuses to change the type of a column that a foreign key uses, on either side.
fn refuse_type_change_under_foreign_key(
    schema: &Schema,
    table: &str,
    column: &str,
) -> std::result::Result<(), String> {
    let uses = |owner: &Table, fk: &ForeignKey| {
        (owner.name == table && fk.columns.iter().any(|c| c == column))
            || (fk.ref_table == table && fk.ref_columns.iter().any(|c| c == column))
    };
    for owner in schema.tables.values() {
        if let Some(fk) = owner.foreign_keys.iter().find(|fk| uses(owner, fk)) {
            return Err(format!(
                "MySQL cannot change the type of {} while foreign key {} uses it — drop the foreign key before this statement and add it back after",
                quoted(column),
                quoted(&fk.name)
            ));
        }
    }
    Ok(())
}

/// Whether MySQL accepts a foreign key between columns of these types: the same type,
/// except that strings may differ in length.
fn similar_types(a: &str, b: &str) -> bool {
    let string = |t: &str| matches!(base_type(t), "VARCHAR" | "CHAR");
    a == b
        || (string(a)
            && string(b)
            && base_type(a) == base_type(b)
            && a.contains(" CHARACTER SET ") == b.contains(" CHARACTER SET "))
}

fn column_list(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| MYSQL.quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_schema_sql;

    fn table(sql: &str) -> Table {
        let schema = parse_schema_sql(sql, std::path::Path::new("schema.sql")).unwrap();
        schema.tables.values().next_back().unwrap().clone()
    }

    #[test]
    fn portable_text_gets_backticks_and_escaped_backslashes() {
        assert_eq!(
            mysql_text(r#""a""b" || 'it''s \ here' AND "x`y" > 1"#),
            r#"`a"b` || 'it''s \\ here' AND `x``y` > 1"#
        );
        assert_eq!(mysql_text(r"N'\''' = 'x'"), r"N'\\''' = 'x'");
    }

    #[test]
    fn foreign_keys_without_a_serving_index_get_one_named_after_them() {
        let t = table(
            "CREATE TABLE p (a INT, b INT, PRIMARY KEY (a, b));
             CREATE TABLE t (
                 a INT, b INT, c INT, d INT,
                 PRIMARY KEY (c),
                 CONSTRAINT fk_ab FOREIGN KEY (a, b) REFERENCES p (a, b),
                 CONSTRAINT fk_b FOREIGN KEY (b, a) REFERENCES p (b, a),
                 CONSTRAINT fk_b2 FOREIGN KEY (b, a) REFERENCES p (b, a),
                 CONSTRAINT fk_c FOREIGN KEY (c, d) REFERENCES p (a, b)
             );",
        );
        // fk_c: the primary key (c) is not (c, d); fk_b2 is served by fk_b's index.
        assert_eq!(
            implicit_foreign_key_indexes(&t),
            [
                ("fk_ab".to_string(), vec!["a".to_string(), "b".to_string()]),
                ("fk_b".to_string(), vec!["b".to_string(), "a".to_string()]),
                ("fk_c".to_string(), vec!["c".to_string(), "d".to_string()]),
            ]
        );
        let served = table(
            "CREATE TABLE p (a INT PRIMARY KEY);
             CREATE TABLE t (a INT REFERENCES p, b INT, UNIQUE (a, b));",
        );
        assert!(implicit_foreign_key_indexes(&served).is_empty());
    }

    #[test]
    fn defaults_follow_mysql_rules() {
        assert_eq!(
            default_sql("CURRENT_TIMESTAMP", "DATETIME(6)"),
            "CURRENT_TIMESTAMP(6)"
        );
        assert_eq!(
            default_sql("CURRENT_TIMESTAMP", "DATETIME"),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(
            default_sql("CURRENT_TIMESTAMP", "VARCHAR(30)"),
            "(CURRENT_TIMESTAMP)"
        );
        assert_eq!(default_sql("CURRENT_DATE", "DATE"), "(CURRENT_DATE)");
        assert_eq!(default_sql("'x'", "LONGTEXT"), "('x')");
        assert_eq!(default_sql("-1", "INT"), "-1");
        assert_eq!(default_sql("LOWER('X')", "VARCHAR(3)"), "(LOWER('X'))");
    }

    #[test]
    fn foreign_key_types_must_match_but_strings_may_differ_in_length() {
        assert!(similar_types("VARCHAR(2)", "VARCHAR(3)"));
        assert!(similar_types("BIGINT", "BIGINT"));
        assert!(!similar_types("INT", "BIGINT"));
        assert!(!similar_types(
            "VARCHAR(36)",
            "CHAR(36) CHARACTER SET ascii"
        ));
        assert!(!similar_types("CHAR(36)", "CHAR(36) CHARACTER SET ascii"));
    }
}
