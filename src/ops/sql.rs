//! Portable SQL for ops: [`Op::to_sql`] writes one statement, [`Op::parse`] reads it back.
//!
//! The portable forms (double-quoted identifiers, the standard types of DESIGN.md):
//!
//! | op | statement |
//! | --- | --- |
//! | CreateTable | `CREATE TABLE "t" (columns, constraints)` — single-column keys inline, conventional names left out |
//! | DropTable | `DROP TABLE "t"` |
//! | RenameTable | `ALTER TABLE "t" RENAME TO "u"` |
//! | AddColumn | `ALTER TABLE "t" ADD COLUMN "c" TYPE [NOT NULL] [DEFAULT x]` |
//! | DropColumn | `ALTER TABLE "t" DROP COLUMN "c"` |
//! | AlterColumn | `ALTER TABLE "t" ALTER COLUMN "c" TYPE T, ALTER COLUMN "c" SET NOT NULL, ALTER COLUMN "c" SET DEFAULT x` (the parts that change, in this order; `DROP NOT NULL`, `DROP DEFAULT`) |
//! | RenameColumn | `ALTER TABLE "t" RENAME COLUMN "c" TO "d"` |
//! | CreateIndex | `CREATE [UNIQUE] INDEX [CONCURRENTLY] "ix" ON "t" ("a", "b" DESC, (expr)) [WHERE cond]` |
//! | DropIndex | `DROP INDEX [CONCURRENTLY] "ix"` (`DROP INDEX "ix" ON "t"`, MySQL's spelling, is read too) |
//! | AddConstraint | `ALTER TABLE "t" ADD CONSTRAINT "n" PRIMARY KEY (…) / UNIQUE (…) / CHECK (…) / FOREIGN KEY (…) REFERENCES "u" (…) [ON DELETE …] [ON UPDATE …]` |
//! | DropConstraint | `ALTER TABLE "t" DROP CONSTRAINT "n"` |
//! | CreateView | `CREATE VIEW "v" AS SELECT …` |
//! | DropView | `DROP VIEW "v"` |
//!
//! Revision scripts are rendered per database before they run, so these forms only need
//! to be readable by people and by [`Op::parse`].

use sqlparser::ast::{
    AlterColumnOperation, AlterTable, AlterTableOperation, ObjectType, RenameTableNameKind,
    Statement,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::{ColumnChange, Op};
use crate::dialect::Dialect;
use crate::nesting;
use crate::schema::expr::{default_sql, ident_name, object_name};
use crate::schema::parse::{
    column_from_ast, column_type, constraint_from_ast, default_text, index_from_ast,
    parser_error_parts, table_from_ast, table_level_name, view_from_ast,
};
use crate::schema::{Column, Constraint, ForeignKey, Index, IndexKey, Table, naming, quoted};
use crate::{Error, Result};

/// Portable SQL quotes identifiers the ANSI way, as PostgreSQL does.
const PORTABLE: Dialect = Dialect::Postgres;

impl Op {
    /// One portable SQL statement, without a trailing semicolon.
    pub fn to_sql(&self) -> String {
        let table = |name: &str| PORTABLE.quote_ident(name);
        match self {
            Op::CreateTable(t) => create_table_sql(t),
            Op::AddColumn { table: t, column } => format!(
                "ALTER TABLE {} ADD COLUMN {}",
                table(t),
                column_definition(PORTABLE, column, &column.ty.to_string(), false)
            ),
            Op::AlterColumn {
                table: t,
                column,
                change,
            } => {
                let target = format!("ALTER COLUMN {}", PORTABLE.quote_ident(column));
                let mut parts = Vec::new();
                if let Some(ty) = &change.ty {
                    parts.push(format!("{target} TYPE {ty}"));
                }
                match change.nullable {
                    Some(false) => parts.push(format!("{target} SET NOT NULL")),
                    Some(true) => parts.push(format!("{target} DROP NOT NULL")),
                    None => {}
                }
                match &change.default {
                    Some(Some(default)) => {
                        parts.push(format!("{target} SET DEFAULT {}", default_sql(default)))
                    }
                    Some(None) => parts.push(format!("{target} DROP DEFAULT")),
                    None => {}
                }
                format!("ALTER TABLE {} {}", table(t), parts.join(", "))
            }
            Op::AddConstraint {
                table: t,
                constraint,
            } => format!(
                "ALTER TABLE {} ADD {}",
                table(t),
                constraint_clause(PORTABLE, constraint, true)
            ),
            Op::CreateIndex {
                table: t,
                index,
                concurrently: true,
            } => create_index_statement(PORTABLE, t, index, true),
            Op::DropIndex {
                name,
                concurrently: true,
            } => format!("DROP INDEX CONCURRENTLY {}", PORTABLE.quote_ident(name)),
            // `standard_sql` names every other op.
            other => standard_sql(PORTABLE, other).unwrap_or_default(),
        }
    }

    /// Reads one statement of a revision script (already split, without `;`):
    /// `Some(op)` for a schema operation, `None` for anything else (data changes,
    /// triggers, functions…, which run verbatim), and an error for a schema statement
    /// that mb cannot represent.
    pub fn parse(statement: &str) -> Result<Option<Op>> {
        Op::parse_tokenized(statement, None)
    }

    /// [`Op::parse`] of a statement whose portable-SQL tokens the caller already has
    /// (the splitter's, see `split_tokenized`): they are not made again.
    pub fn parse_tokenized(
        statement: &str,
        tokens: Option<Vec<TokenWithSpan>>,
    ) -> Result<Option<Op>> {
        if !may_be_schema_operation(statement) {
            return Ok(None);
        }
        let fail = |what: String| Error::script(format!("`{}`: {what}", abbreviate(statement)));
        // sqlparser does not know `DROP INDEX CONCURRENTLY`: read it without the word.
        if let Some(plain) = drop_index_concurrently(statement) {
            return Ok(match Op::parse(&plain)? {
                Some(Op::DropIndex { name, .. }) => Some(Op::DropIndex {
                    name,
                    concurrently: true,
                }),
                _ => None,
            });
        }
        let parsed = match tokens {
            Some(tokens) => nesting::parser_of_tokens(&GenericDialect {}, tokens),
            None => nesting::parser(&GenericDialect {}, statement),
        }
        .and_then(|mut parser| parser.parse_statements());
        let statements = match parsed {
            Ok(statements) => statements,
            // SQL that sqlparser cannot read runs verbatim, unless it is a schema
            // statement, which mb must understand to keep track of the schema.
            Err(e) if is_schema_statement(statement) => {
                let (_, message) = parser_error_parts(&e);
                return Err(fail(format!("{message} — fix the SQL syntax")));
            }
            Err(_) => return Ok(None),
        };
        match statements.as_slice() {
            [] => Ok(None),
            [one] => op_from_statement(one).map_err(fail),
            _ => Err(fail(
                "holds several statements — end each with `;`".to_string(),
            )),
        }
    }
}

/// The schema op a parsed statement is, if it is one. Errors say what to change.
fn op_from_statement(statement: &Statement) -> std::result::Result<Option<Op>, String> {
    let problem = |p: crate::schema::parse::Problem| p.message;
    let op = match statement {
        Statement::CreateTable(create) => Op::CreateTable(table_from_ast(create).map_err(problem)?),
        Statement::CreateIndex(create) => {
            let plain = sqlparser::ast::CreateIndex {
                concurrently: false,
                ..create.clone()
            };
            let (table, index) = index_from_ast(&plain).map_err(problem)?;
            Op::CreateIndex {
                table,
                index,
                concurrently: create.concurrently,
            }
        }
        Statement::CreateView(create) => Op::CreateView(view_from_ast(create).map_err(problem)?),
        Statement::AlterTable(alter) => alter_table_op(alter)?,
        Statement::Drop {
            object_type,
            if_exists,
            names,
            cascade,
            restrict,
            purge,
            temporary,
            ..
        } if matches!(
            object_type,
            ObjectType::Table | ObjectType::View | ObjectType::Index
        ) =>
        {
            if *if_exists || *cascade || *restrict || *purge || *temporary {
                return Err(
                    "IF EXISTS, CASCADE, RESTRICT, PURGE and TEMPORARY are not supported — mb must know exactly what is dropped; drop dependent objects with their own statements".to_string(),
                );
            }
            let [name] = names.as_slice() else {
                return Err("drops several objects — drop one per statement".to_string());
            };
            let name = plain_name(name)?;
            match object_type {
                ObjectType::Table => Op::DropTable { name },
                ObjectType::View => Op::DropView { name },
                _ => Op::DropIndex {
                    name,
                    concurrently: false,
                },
            }
        }
        Statement::RenameTable(renames) => match renames.as_slice() {
            [rename] => Op::RenameTable {
                from: plain_name(&rename.old_name)?,
                to: plain_name(&rename.new_name)?,
            },
            _ => return Err("renames several tables — rename one per statement".to_string()),
        },
        Statement::AlterIndex { .. } | Statement::AlterView(_) => {
            return Err(
                "ALTER INDEX and ALTER VIEW are not supported — drop the index or view and create it again".to_string(),
            );
        }
        _ => return Ok(None),
    };
    Ok(Some(op))
}

fn alter_table_op(alter: &AlterTable) -> std::result::Result<Op, String> {
    let table = plain_name(&alter.name)?;
    if alter.if_exists
        || alter.only
        || alter.location.is_some()
        || alter.on_cluster.is_some()
        || alter.table_type.is_some()
    {
        return Err(
            "ALTER TABLE options (IF EXISTS, ONLY, …) are not supported — write ALTER TABLE name …"
                .to_string(),
        );
    }
    let problem = |p: crate::schema::parse::Problem| p.message;
    let op = match alter.operations.as_slice() {
        [
            AlterTableOperation::AddColumn {
                if_not_exists: false,
                column_def,
                column_position: None,
                ..
            },
        ] => Op::AddColumn {
            table,
            column: column_from_ast(column_def).map_err(problem)?,
        },
        [
            AlterTableOperation::DropColumn {
                column_names,
                if_exists: false,
                drop_behavior: None,
                ..
            },
        ] if column_names.len() == 1 => Op::DropColumn {
            table,
            column: ident_name(&column_names[0]),
        },
        [
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            },
        ] => Op::RenameColumn {
            table,
            from: ident_name(old_column_name),
            to: ident_name(new_column_name),
        },
        [
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(to) | RenameTableNameKind::As(to),
            },
        ] => Op::RenameTable {
            from: table,
            to: plain_name(to)?,
        },
        [
            AlterTableOperation::AddConstraint {
                constraint,
                not_valid: false,
            },
        ] => Op::AddConstraint {
            constraint: constraint_from_ast(&table, constraint).map_err(problem)?,
            table,
        },
        [
            AlterTableOperation::DropConstraint {
                if_exists: false,
                name,
                drop_behavior: None,
            },
        ] => Op::DropConstraint {
            table,
            name: ident_name(name),
        },
        [AlterTableOperation::AlterColumn { column_name, .. }, ..] => {
            let column = ident_name(column_name);
            Op::AlterColumn {
                change: column_change(&column, &alter.operations)?,
                table,
                column,
            }
        }
        _ => {
            return Err(
                "mb reads one change per ALTER TABLE (several ALTER COLUMN parts of one column excepted), without IF [NOT] EXISTS, CASCADE or column positions — split it into several statements".to_string(),
            );
        }
    };
    Ok(op)
}

/// Merges `ALTER COLUMN` parts that all change `column`, each kind of change once.
fn column_change(
    column: &str,
    operations: &[AlterTableOperation],
) -> std::result::Result<ColumnChange, String> {
    let mut change = ColumnChange::default();
    let twice = || "changes the same property twice — keep one".to_string();
    for operation in operations {
        let AlterTableOperation::AlterColumn { column_name, op } = operation else {
            return Err(
                "mixes ALTER COLUMN with other changes — split it into several statements"
                    .to_string(),
            );
        };
        if ident_name(column_name) != column {
            return Err("alters several columns — alter one column per statement".to_string());
        }
        match op {
            AlterColumnOperation::SetNotNull | AlterColumnOperation::DropNotNull => {
                if change.nullable.is_some() {
                    return Err(twice());
                }
                change.nullable = Some(matches!(op, AlterColumnOperation::DropNotNull));
            }
            AlterColumnOperation::SetDefault { value } => {
                if change.default.is_some() {
                    return Err(twice());
                }
                change.default = Some(default_text(value.clone()));
            }
            AlterColumnOperation::DropDefault => {
                if change.default.is_some() {
                    return Err(twice());
                }
                change.default = Some(None);
            }
            AlterColumnOperation::SetDataType {
                data_type,
                using: None,
                ..
            } => {
                if change.ty.is_some() {
                    return Err(twice());
                }
                change.ty = Some(column_type(data_type));
            }
            other => {
                return Err(format!(
                    "`ALTER COLUMN … {other}` is not supported — mb changes a column's type (without USING), NOT NULL and DEFAULT"
                ));
            }
        }
    }
    Ok(change)
}

fn plain_name(name: &sqlparser::ast::ObjectName) -> std::result::Result<String, String> {
    object_name(name).ok_or_else(|| {
        format!(
            "`{name}` is qualified — mb manages the connection's default schema; use a plain name"
        )
    })
}

/// Whether SQL text starts like a statement that changes tables, indexes or views.
fn is_schema_statement(statement: &str) -> bool {
    let dialect = GenericDialect {};
    let Ok(tokens) = Tokenizer::new(&dialect, statement).tokenize() else {
        return false;
    };
    let words: Vec<String> = tokens
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w.value.to_uppercase()),
            _ => None,
        })
        .take(3)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["CREATE" | "ALTER" | "DROP", "TABLE" | "INDEX" | "VIEW", ..]
            | ["CREATE", "UNIQUE", "INDEX"]
    )
}

/// False when the statement's first word shows that it is no schema operation (`INSERT`,
/// `UPDATE`, …): those run verbatim, and parsing a large data statement only to find
/// that out costs more than running it. Text that does not start with a word (a
/// comment, a parenthesis) is parsed to be sure.
fn may_be_schema_operation(statement: &str) -> bool {
    let text = statement.trim_start();
    let word_end = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let word = &text[..word_end];
    word.is_empty()
        || ["CREATE", "ALTER", "DROP", "RENAME"]
            .iter()
            .any(|keyword| word.eq_ignore_ascii_case(keyword))
}

/// `DROP INDEX CONCURRENTLY …` without `CONCURRENTLY`; `None` for any other statement.
fn drop_index_concurrently(statement: &str) -> Option<String> {
    // Tokenizing every statement to find the one that has the word costs as much as
    // parsing it; most do not have it at all.
    const WORD: &[u8] = b"CONCURRENTLY";
    let bytes = statement.as_bytes();
    if !bytes
        .windows(WORD.len())
        .any(|w| w.eq_ignore_ascii_case(WORD))
    {
        return None;
    }
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, statement).tokenize().ok()?;
    let words: Vec<(usize, String)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Word(w) if w.quote_style.is_none() => Some((i, w.value.to_uppercase())),
            Token::Whitespace(_) => None,
            _ => Some((i, String::new())),
        })
        .take(3)
        .collect();
    match words.as_slice() {
        [(_, drop), (_, index), (at, concurrently)]
            if drop == "DROP" && index == "INDEX" && concurrently == "CONCURRENTLY" =>
        {
            let at = *at;
            Some(
                tokens
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != at)
                    .map(|(_, t)| t.to_string())
                    .collect(),
            )
        }
        _ => None,
    }
}

fn abbreviate(statement: &str) -> String {
    let one_line = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// The SQL of the ops that SQL-standard databases spell alike (identifiers quoted for
/// `dialect`): drops, renames, indexes and views. `None` for the four that differ
/// (create table, add/alter column, add constraint), and only for those.
pub fn standard_sql(dialect: Dialect, op: &Op) -> Option<String> {
    let q = |name: &str| dialect.quote_ident(name);
    Some(match op {
        Op::DropTable { name } => format!("DROP TABLE {}", q(name)),
        Op::RenameTable { from, to } => format!("ALTER TABLE {} RENAME TO {}", q(from), q(to)),
        Op::DropColumn { table, column } => {
            format!("ALTER TABLE {} DROP COLUMN {}", q(table), q(column))
        }
        Op::RenameColumn { table, from, to } => format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            q(table),
            q(from),
            q(to)
        ),
        Op::CreateIndex { table, index, .. } => create_index_sql(dialect, table, index),
        Op::DropIndex { name, .. } => format!("DROP INDEX {}", q(name)),
        Op::DropConstraint { table, name } => {
            format!("ALTER TABLE {} DROP CONSTRAINT {}", q(table), q(name))
        }
        Op::CreateView(view) => format!("CREATE VIEW {} AS {}", q(&view.name), view.definition),
        Op::DropView { name } => format!("DROP VIEW {}", q(name)),
        Op::CreateTable(_)
        | Op::AddColumn { .. }
        | Op::AlterColumn { .. }
        | Op::AddConstraint { .. } => {
            return None;
        }
    })
}

/// The portable `CREATE TABLE`: single-column keys inline on their column, other
/// constraints after the columns, and names left out where they are conventional.
fn create_table_sql(table: &Table) -> String {
    let inline = |constraint: &Constraint, column: &str| {
        let single = |columns: &[String]| columns.len() == 1 && columns[0] == column;
        let one = [column.to_string()];
        match constraint {
            Constraint::PrimaryKey(pk) => {
                single(&pk.columns) && pk.name == naming::primary_key(&table.name)
            }
            Constraint::Unique(u) => {
                single(&u.columns) && u.name == naming::unique(&table.name, &one)
            }
            Constraint::ForeignKey(fk) => {
                single(&fk.columns)
                    && fk.name == naming::foreign_key(&table.name, &one, &fk.ref_table)
            }
            Constraint::Check(_) => false,
        }
    };
    let constraints = table.constraints();
    let in_primary_key = |column: &str| {
        table
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.iter().any(|c| c == column))
    };
    let mut lines = Vec::new();
    for column in &table.columns {
        let ty = column.ty.to_string();
        let mut line = column_definition(PORTABLE, column, &ty, in_primary_key(&column.name));
        for constraint in constraints.iter().filter(|c| inline(c, &column.name)) {
            line.push_str(&match constraint {
                Constraint::PrimaryKey(_) => " PRIMARY KEY".to_string(),
                Constraint::Unique(_) => " UNIQUE".to_string(),
                Constraint::ForeignKey(fk) => format!(" {}", references(PORTABLE, fk)),
                Constraint::Check(_) => String::new(),
            });
        }
        lines.push(line);
    }
    let mut columnless_checks = 0;
    for constraint in &constraints {
        if table.columns.iter().any(|c| inline(constraint, &c.name)) {
            continue;
        }
        if let Constraint::Check(check) = constraint
            && crate::schema::expr::columns_in(&check.expr).is_empty()
        {
            columnless_checks += 1;
        }
        let conventional = table_level_name(&table.name, constraint, columnless_checks);
        lines.push(constraint_clause(
            PORTABLE,
            constraint,
            constraint.name() != conventional,
        ));
    }
    format!(
        "CREATE TABLE {} (\n    {}\n)",
        quoted(&table.name),
        lines.join(",\n    ")
    )
}

/// `"c" TYPE [NOT NULL] [DEFAULT x]`, with the type spelled by the caller. NOT NULL is
/// left out when `key_implies_not_null` (a primary-key column).
pub fn column_definition(
    dialect: Dialect,
    column: &Column,
    ty: &str,
    key_implies_not_null: bool,
) -> String {
    let mut sql = format!("{} {ty}", dialect.quote_ident(&column.name));
    if !column.nullable && !key_implies_not_null {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_sql(default));
    }
    sql
}

/// A constraint clause: `[CONSTRAINT "n"] PRIMARY KEY ("a") | UNIQUE (…) | CHECK (…) |
/// FOREIGN KEY (…) REFERENCES "t" (…) [ON DELETE …] [ON UPDATE …]`.
pub fn constraint_clause(dialect: Dialect, constraint: &Constraint, with_name: bool) -> String {
    let name = if with_name {
        format!("CONSTRAINT {} ", dialect.quote_ident(constraint.name()))
    } else {
        String::new()
    };
    let body = match constraint {
        Constraint::PrimaryKey(pk) => {
            format!("PRIMARY KEY ({})", column_list(dialect, &pk.columns))
        }
        Constraint::Unique(u) => format!("UNIQUE ({})", column_list(dialect, &u.columns)),
        Constraint::Check(c) => format!("CHECK ({})", c.expr),
        Constraint::ForeignKey(fk) => {
            format!(
                "FOREIGN KEY ({}) {}",
                column_list(dialect, &fk.columns),
                references(dialect, fk)
            )
        }
    };
    format!("{name}{body}")
}

/// `CREATE [UNIQUE] INDEX "ix" ON "t" ("a", "b" DESC, (expr)) [WHERE cond]`.
pub fn create_index_sql(dialect: Dialect, table: &str, index: &Index) -> String {
    create_index_statement(dialect, table, index, false)
}

/// [`create_index_sql`], with `CONCURRENTLY` after `INDEX` when `concurrently`.
pub fn create_index_statement(
    dialect: Dialect,
    table: &str,
    index: &Index,
    concurrently: bool,
) -> String {
    let parts: Vec<String> = index
        .parts
        .iter()
        .map(|part| {
            let key = match &part.key {
                IndexKey::Column(c) => dialect.quote_ident(c),
                IndexKey::Expr(e) => format!("({e})"),
            };
            if part.descending {
                format!("{key} DESC")
            } else {
                key
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE {}INDEX {}{} ON {} ({})",
        if index.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        dialect.quote_ident(&index.name),
        dialect.quote_ident(table),
        parts.join(", ")
    );
    if let Some(predicate) = &index.where_clause {
        sql.push_str(&format!(" WHERE {predicate}"));
    }
    sql
}

/// `REFERENCES "t" ("a") [ON DELETE …] [ON UPDATE …]`.
fn references(dialect: Dialect, fk: &ForeignKey) -> String {
    let mut sql = format!("REFERENCES {}", dialect.quote_ident(&fk.ref_table));
    // No columns (a parsed op not yet applied) means the referenced primary key.
    if !fk.ref_columns.is_empty() {
        sql.push_str(&format!(" ({})", column_list(dialect, &fk.ref_columns)));
    }
    for (event, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        if let Some(action) = action.sql() {
            sql.push_str(&format!(" ON {event} {action}"));
        }
    }
    sql
}

fn column_list(dialect: Dialect, columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| dialect.quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse::parse_schema_sql;
    use crate::schema::{Check, ColumnType, FkAction, ForeignKey, PrimaryKey, Schema, View};

    fn schema(sql: &str) -> Schema {
        parse_schema_sql(sql, std::path::Path::new("schema.sql")).unwrap()
    }

    fn round_trip(op: &Op) {
        let sql = op.to_sql();
        assert_eq!(Op::parse(&sql).unwrap().as_ref(), Some(op), "{sql}");
    }

    #[test]
    fn create_table_is_written_like_a_person_would() {
        let s = schema(
            r#"CREATE TABLE "user" (id INTEGER PRIMARY KEY, name TEXT);
            CREATE TABLE post (
                id INTEGER PRIMARY KEY,
                body VARCHAR(140) NOT NULL DEFAULT 'x',
                ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                n INT DEFAULT (1 + 2),
                user_id INTEGER REFERENCES "user" ON DELETE CASCADE,
                CONSTRAINT body_unique UNIQUE (body, ts),
                CHECK (n > 0),
                CHECK (1 = 1)
            );"#,
        );
        let op = Op::CreateTable(s.tables["post"].clone());
        assert_eq!(
            op.to_sql(),
            r#"CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140) NOT NULL DEFAULT 'x',
    "ts" TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    "n" INTEGER DEFAULT (1 + 2),
    "user_id" INTEGER REFERENCES "user" ("id") ON DELETE CASCADE,
    CONSTRAINT "body_unique" UNIQUE ("body", "ts"),
    CHECK (1 = 1),
    CHECK ("n" > 0)
)"#
        );
        round_trip(&op);
    }

    #[test]
    fn unconventional_names_and_composite_keys_survive_a_round_trip() {
        let s = schema(
            r#"CREATE TABLE p (a INT, b TEXT, PRIMARY KEY (a, b));
            CREATE TABLE "we ird" (
                "x""y" INT CONSTRAINT my_pk PRIMARY KEY,
                a INT, b TEXT,
                c INT CHECK (a > 0), d INT CHECK (a > 1),
                CONSTRAINT "c k" CHECK (2 = 2), CHECK (3 = 3),
                FOREIGN KEY (a, b) REFERENCES p (b, a) ON UPDATE SET NULL ON DELETE RESTRICT,
                UNIQUE (a), CONSTRAINT named UNIQUE (b)
            );"#,
        );
        round_trip(&Op::CreateTable(s.tables["we ird"].clone()));
        round_trip(&Op::CreateTable(s.tables["p"].clone()));
    }

    #[test]
    fn every_alter_form_round_trips() {
        let column = Column {
            name: "c".into(),
            ty: ColumnType::Numeric(Some((10, 2))),
            nullable: false,
            default: Some("0".into()),
            autoincrement: false,
        };
        let fk = ForeignKey {
            name: "fk".into(),
            columns: vec!["a".into(), "b".into()],
            ref_table: "order".into(),
            ref_columns: vec!["x".into(), "y".into()],
            on_delete: FkAction::Cascade,
            on_update: FkAction::SetDefault,
        };
        let ops = vec![
            Op::DropTable {
                name: "user".into(),
            },
            Op::RenameTable {
                from: "a".into(),
                to: "b c".into(),
            },
            Op::AddColumn {
                table: "t".into(),
                column: column.clone(),
            },
            Op::AddColumn {
                table: "t".into(),
                column: Column {
                    nullable: true,
                    default: Some("LOWER('X')".into()),
                    ..column
                },
            },
            Op::DropColumn {
                table: "t".into(),
                column: "group".into(),
            },
            Op::AlterColumn {
                table: "t".into(),
                column: "c".into(),
                change: ColumnChange {
                    ty: Some(ColumnType::TimestampTz),
                    nullable: Some(false),
                    default: Some(Some("CURRENT_TIMESTAMP".into())),
                },
            },
            Op::AlterColumn {
                table: "t".into(),
                column: "c".into(),
                change: ColumnChange {
                    nullable: Some(true),
                    default: Some(None),
                    ..Default::default()
                },
            },
            Op::AlterColumn {
                table: "t".into(),
                column: "c".into(),
                change: ColumnChange {
                    ty: Some(ColumnType::Other("JSONB".into())),
                    ..Default::default()
                },
            },
            Op::RenameColumn {
                table: "t".into(),
                from: "a".into(),
                to: "B".into(),
            },
            Op::DropIndex {
                name: "ix_t_a".into(),
                concurrently: false,
            },
            Op::DropIndex {
                name: "ix t".into(),
                concurrently: true,
            },
            Op::AddConstraint {
                table: "t".into(),
                constraint: Constraint::ForeignKey(fk),
            },
            Op::AddConstraint {
                table: "t".into(),
                constraint: Constraint::PrimaryKey(PrimaryKey {
                    name: "pk".into(),
                    columns: vec!["a".into()],
                }),
            },
            Op::AddConstraint {
                table: "t".into(),
                constraint: Constraint::Check(Check {
                    name: "ck".into(),
                    expr: "\"a\" > 0".into(),
                }),
            },
            Op::DropConstraint {
                table: "t".into(),
                name: "uq_t_a".into(),
            },
            Op::CreateView(View {
                name: "v".into(),
                definition: "SELECT \"a\" FROM \"t\"".into(),
            }),
            Op::DropView { name: "v".into() },
        ];
        for op in &ops {
            round_trip(op);
        }
        assert_eq!(
            ops[5].to_sql(),
            r#"ALTER TABLE "t" ALTER COLUMN "c" TYPE TIMESTAMP WITH TIME ZONE, ALTER COLUMN "c" SET NOT NULL, ALTER COLUMN "c" SET DEFAULT CURRENT_TIMESTAMP"#
        );
        assert_eq!(
            ops[3].to_sql(),
            r#"ALTER TABLE "t" ADD COLUMN "c" NUMERIC(10, 2) DEFAULT (LOWER('X'))"#
        );
    }

    #[test]
    fn indexes_round_trip() {
        let s = schema(
            "CREATE TABLE t (a INT, b TEXT);
             CREATE UNIQUE INDEX ix ON t (a DESC, (lower(b)), (a + 1)) WHERE a > 0;",
        );
        for (concurrently, word) in [(false, ""), (true, "CONCURRENTLY ")] {
            let op = Op::CreateIndex {
                table: "t".into(),
                index: s.tables["t"].indexes[0].clone(),
                concurrently,
            };
            assert_eq!(
                op.to_sql(),
                format!(
                    r#"CREATE UNIQUE INDEX {word}"ix" ON "t" ("a" DESC, (LOWER("b")), ("a" + 1)) WHERE "a" > 0"#
                )
            );
            round_trip(&op);
        }
        assert_eq!(
            Op::parse("drop index concurrently ix").unwrap(),
            Some(Op::DropIndex {
                name: "ix".into(),
                concurrently: true
            })
        );
    }

    #[test]
    fn other_statements_run_verbatim() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET a = 1",
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
            "SELECT 1",
            "DROP SEQUENCE s",
            "PRAGMA foreign_keys = ON",
            "some vendor thing sqlparser does not know",
        ] {
            assert_eq!(Op::parse(sql).unwrap(), None, "{sql}");
        }
    }

    /// The first-word shortcut passes over data statements only; whatever could be a
    /// schema statement, in any case or behind a comment, is still parsed.
    #[test]
    fn only_statements_that_cannot_be_schema_operations_skip_the_parser() {
        for sql in [
            "INSERT INTO t VALUES (1)",
            "update t set a = 1",
            "SELECT 1",
            "PRAGMA x",
        ] {
            assert!(!may_be_schema_operation(sql), "{sql}");
        }
        for sql in [
            "  create table t (a INT)",
            "/* note */ CREATE TABLE t (a INT)",
            "(SELECT 1)",
        ] {
            assert!(may_be_schema_operation(sql), "{sql}");
        }
        assert!(matches!(
            Op::parse("/* note */ CREATE TABLE t (a INT)").unwrap(),
            Some(Op::CreateTable(_))
        ));
        assert!(matches!(
            Op::parse("rename table a to b"),
            Ok(Some(Op::RenameTable { .. }))
        ));
    }

    #[test]
    fn schema_statements_mb_cannot_represent_are_errors() {
        for (sql, hint) in [
            ("DROP TABLE IF EXISTS t", "IF EXISTS"),
            ("DROP TABLE a, b", "one per statement"),
            ("ALTER TABLE t ADD COLUMN a INT, ADD COLUMN b INT", "split"),
            ("ALTER TABLE t ADD COLUMN a INT UNIQUE", "ADD CONSTRAINT"),
            (
                "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET NOT NULL",
                "one column",
            ),
            (
                "ALTER TABLE t ALTER COLUMN a TYPE INT USING a::int",
                "USING",
            ),
            ("CREATE TABLE t AS SELECT 1", "table option"),
            ("CREATE TABLE t (a INT", "syntax"),
            ("ALTER INDEX a RENAME TO b", "not supported"),
        ] {
            let error = Op::parse(sql).unwrap_err().message;
            assert!(error.contains(hint), "{sql}: {error}");
        }
    }

    #[test]
    fn a_reference_to_an_implicit_primary_key_stays_implicit_until_applied() {
        let op = Op::parse("CREATE TABLE c (p INT REFERENCES p)")
            .unwrap()
            .unwrap();
        assert_eq!(
            op.to_sql(),
            "CREATE TABLE \"c\" (\n    \"p\" INTEGER REFERENCES \"p\"\n)"
        );
        round_trip(&op);
        let mut s = schema("CREATE TABLE p (id INT PRIMARY KEY)");
        op.apply(&mut s).unwrap();
        assert_eq!(s.tables["c"].foreign_keys[0].ref_columns, ["id"]);
    }

    #[test]
    fn mysql_drop_index_spelling_is_read() {
        assert_eq!(
            Op::parse("DROP INDEX ix ON t").unwrap(),
            Some(Op::DropIndex {
                name: "ix".into(),
                concurrently: false
            })
        );
    }
}
