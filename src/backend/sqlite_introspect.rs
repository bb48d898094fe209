//! Reads a SQLite database's schema into the model.
//!
//! SQLite keeps the text of every `CREATE TABLE`, `CREATE INDEX` and `CREATE VIEW` (kept
//! up to date by `ALTER TABLE`), and that text is the only place that holds constraint
//! names, CHECK expressions, index expressions and view queries. So the text is parsed
//! with the same conversions as `schema.sql`, which makes a database created from a
//! declared schema read back equal to it. `pragma_table_list` tells virtual tables and
//! their shadow tables apart, which are skipped like SQLite's own `sqlite_*` tables and
//! mb's `mb_*` tables. What the model has no place for is left out of the schema and
//! returned beside it by name ([`Unmanaged`]): triggers (a rebuild keeps them), and a
//! table, index or view whose text mb cannot read (a generated column, say) — a table
//! whole, with the keys and indexes of other tables that refer to it, so that no rebuild
//! ever re-creates it from a model that lacks a part of it.

use std::collections::BTreeSet;

use rusqlite::Connection;
use sqlparser::ast::Statement;
use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Span, Token, Tokenizer, Whitespace};

use super::{Introspected, Unmanaged};
use crate::dialect::sqlite::BIGINT_KEY_MARKER;
use crate::nesting;
use crate::schema::expr::ident_name;
use crate::schema::parse::{index_from_ast, parser_error_parts, table_from_ast, view_from_ast};
use crate::schema::{ColumnType, Schema, quoted};
use crate::{Error, Result};

/// Name prefixes of tables that are not the application's: SQLite's and mb's own
/// (`mb_version`, `mb_history`).
const IGNORED_PREFIXES: [&str; 2] = ["sqlite_", "mb_"];

pub fn introspect(conn: &Connection) -> Result<Introspected> {
    let db_error =
        |e: rusqlite::Error| Error::database(format!("cannot read the database schema: {e}"));
    let hidden: BTreeSet<String> = conn
        .prepare("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('virtual', 'shadow')")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .map_err(db_error)?;
    let objects: Vec<(String, String, String, String)> = conn
        .prepare("SELECT type, name, tbl_name, sql FROM main.sqlite_schema WHERE sql IS NOT NULL ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
                .collect()
        })
        .map_err(db_error)?;

    let skipped =
        |name: &str| hidden.contains(name) || IGNORED_PREFIXES.iter().any(|p| name.starts_with(p));
    let mut schema = Schema::default();
    let mut indexes = Vec::new();
    let mut unmanaged = Vec::new();
    for (kind, name, table, sql) in objects {
        if skipped(&name) || skipped(&table) {
            continue;
        }
        let part_of = (kind != "table" && kind != "view").then_some(table.as_str());
        let mut leave_out = |why: String| {
            unmanaged.push(Unmanaged::new(&kind, &name, part_of, why));
        };
        if kind == "trigger" {
            leave_out("is a trigger".into());
            continue;
        }
        let statement = match kind.as_str() {
            "table" | "index" | "view" => parse_one(&sql),
            _ => continue,
        };
        let statement = match statement {
            Ok(statement) => statement,
            Err(message) => {
                leave_out(format!("has SQL mb cannot read ({message})"));
                continue;
            }
        };
        // Without the advice for schema.sql that follows the problem.
        let unreadable = |p: crate::schema::parse::Problem| {
            let problem = p.message.split(" — ").next().unwrap_or_default();
            format!("has {problem}")
        };
        let read = match statement {
            Statement::CreateTable(create) => table_from_ast(&create).map(|parsed| {
                add_table(&mut schema, parsed, &sql);
            }),
            Statement::CreateIndex(create) => {
                index_from_ast(&create).map(|index| indexes.push(index))
            }
            Statement::CreateView(create) => view_from_ast(&create).map(|view| {
                schema.views.insert(view.name.clone(), view);
            }),
            other => {
                return Err(Error::database(format!(
                    "cannot read {kind} {} of the database: unexpected statement `{other}`",
                    quoted(&name)
                )));
            }
        };
        if let Err(problem) = read {
            leave_out(unreadable(problem));
        }
    }
    for (table, index) in indexes {
        if let Some(mut t) = schema.tables.remove(&table) {
            t.indexes.push(index);
            t.normalize();
            schema.tables.insert(table, t);
        }
    }
    super::resolved(schema, unmanaged, "main")
}

/// Adds a table read from its `CREATE TABLE` text `sql`.
fn add_table(schema: &mut Schema, mut parsed: crate::schema::Table, sql: &str) {
    for column in bigint_key_columns(sql) {
        if let Some(c) = parsed
            .columns
            .iter_mut()
            .find(|c| c.name == column && c.ty == ColumnType::Integer)
        {
            c.ty = ColumnType::BigInt;
        }
    }
    parsed.normalize();
    schema.tables.insert(parsed.name.clone(), parsed);
}

fn parse_one(sql: &str) -> std::result::Result<Statement, String> {
    let mut statements = nesting::parser(&SQLiteDialect {}, sql)
        .and_then(|mut parser| parser.parse_statements())
        .map_err(|e| {
            let (at, message) = parser_error_parts(&e);
            format!(
                "line {} column {} of its definition: {message}",
                at.line, at.column
            )
        })?;
    match (statements.pop(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        _ => Err("expected exactly one statement".to_string()),
    }
}

/// Columns written `"c" INTEGER /* mb:BIGINT */`: rowid keys declared BIGINT.
fn bigint_key_columns(sql: &str) -> Vec<String> {
    let Ok(tokens) = Tokenizer::new(&SQLiteDialect {}, sql).tokenize() else {
        return Vec::new();
    };
    let significant: Vec<&Token> = tokens
        .iter()
        .filter(|t| {
            !matches!(
                t,
                Token::Whitespace(Whitespace::Space | Whitespace::Newline | Whitespace::Tab)
            )
        })
        .collect();
    significant
        .windows(3)
        .filter_map(|window| match window {
            [
                Token::Word(name),
                Token::Word(ty),
                Token::Whitespace(Whitespace::MultiLineComment(comment)),
            ] if ty.quote_style.is_none()
                && ty.value.eq_ignore_ascii_case("INTEGER")
                && comment.trim() == BIGINT_KEY_MARKER =>
            {
                Some(ident_name(&name.to_ident(Span::empty())))
            }
            _ => None,
        })
        .collect()
}
