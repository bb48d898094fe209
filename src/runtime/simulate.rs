//! The schema at any point of the revision graph, computed without a database: each
//! revision's schema statements are parsed into operations and applied to the model.
//! The same walk renders what a step runs on the target database, so `upgrade --sql`,
//! `check --offline` and a real upgrade see the same schema.

use crate::dialect::{Dialect, Rendered};
use crate::ops::Op;
use crate::schema::Schema;
use crate::script::graph::Marks;
use crate::script::split::{Statement, split_statements};
use crate::script::{Revision, RevisionGraph};
use crate::{Error, Result};

use super::plan::Direction;

/// One thing a revision section does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Not a schema operation (data changes, triggers, functions): runs as written.
    Verbatim(Statement),
    /// A schema operation rendered for the target database against the schema at that
    /// point.
    Schema {
        source: Statement,
        rendered: Rendered,
    },
}

impl Action {
    pub fn source(&self) -> &Statement {
        match self {
            Action::Verbatim(statement)
            | Action::Schema {
                source: statement, ..
            } => statement,
        }
    }

    /// Whether the action rebuilds an SQLite table, which needs foreign keys off.
    pub fn foreign_keys_off(&self) -> bool {
        matches!(self, Action::Schema { rendered, .. } if rendered.foreign_keys_off)
    }
}

/// Splits one section of `revision`, applies its schema operations to `schema`, and,
/// when `dialect` is given, renders them for that database.
pub fn section_actions(
    revision: &Revision,
    direction: Direction,
    tokenizer: Dialect,
    render_for: Option<Dialect>,
    schema: &mut Schema,
) -> Result<Vec<Action>> {
    let (sql, section) = match direction {
        Direction::Up => (revision.up_sql(), &revision.up),
        Direction::Down => (revision.down_sql(), &revision.down),
    };
    let located = |line: usize, message: &str| {
        Error::script(format!("{}:{line}: {message}", revision.path.display()))
    };
    let statements = split_statements(sql, section.first_line, tokenizer)
        .map_err(|e| located(e.line, &e.message))?;
    let mut actions = Vec::with_capacity(statements.len());
    for statement in statements {
        let op = Op::parse(&statement.sql).map_err(|e| located(statement.line, &e.message))?;
        let Some(op) = op else {
            actions.push(Action::Verbatim(statement));
            continue;
        };
        let rendered = match render_for {
            Some(dialect) => dialect
                .render(&op, schema)
                .map_err(|e| located(statement.line, &e.message))?,
            None => Rendered::default(),
        };
        op.apply(schema)
            .map_err(|e| located(statement.line, &e.message))?;
        actions.push(Action::Schema {
            source: statement,
            rendered,
        });
    }
    Ok(actions)
}

/// The schema after the up sections of every revision in `applied`, in graph order.
pub fn schema_after(graph: &RevisionGraph, applied: &Marks, tokenizer: Dialect) -> Result<Schema> {
    let mut schema = Schema::default();
    for i in (0..graph.len()).filter(|&i| applied[i]) {
        section_actions(
            graph.revision(i),
            Direction::Up,
            tokenizer,
            None,
            &mut schema,
        )?;
    }
    Ok(schema)
}
