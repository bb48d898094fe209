//! The schema at any point of the revision graph, computed without a database: each
//! revision's schema statements are parsed into operations and applied to the model.
//! The same walk renders what a step runs on the target database, so `upgrade --sql`,
//! `check --offline` and a real upgrade see the same schema.

use std::borrow::Cow;

use crate::autogenerate;
use crate::dialect::{Dialect, Rendered};
use crate::ops::{DataAtRisk, Op};
use crate::schema::Schema;
use crate::script::graph::Marks;
use crate::script::split::{Statement, split_statements, split_tokenized};
use crate::script::transaction_control::{is_transaction_control, refusal};
use crate::script::{Revision, RevisionGraph};
use crate::{Error, Result};

use super::plan::{Direction, Step};

/// One thing a revision section does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Not a schema operation (data changes, triggers, functions): runs as written, its
    /// literals spelled for the target database ([`Dialect::verbatim`]).
    Verbatim(Statement),
    /// A schema operation rendered for the target database against the schema at that
    /// point, with the data it can destroy there.
    Schema {
        source: Statement,
        /// Boxed: most actions of a plan are small.
        op: Box<Op>,
        rendered: Rendered,
        at_risk: Option<DataAtRisk>,
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

    /// The tables the action rebuilds (SQLite's way of changing what it cannot alter).
    pub fn rebuilt_tables(&self) -> &[String] {
        match self {
            Action::Schema { rendered, .. } => &rendered.rebuilt_tables,
            Action::Verbatim(_) => &[],
        }
    }

    /// Whether the action rebuilds an SQLite table, which needs foreign keys off.
    pub fn foreign_keys_off(&self) -> bool {
        matches!(self, Action::Schema { rendered, .. } if rendered.foreign_keys_off)
    }
}

/// The statements of one section of `revision`, each with the schema operation it is
/// (`None`: it runs as written).
pub fn parsed_section(
    revision: &Revision,
    direction: Direction,
    tokenizer: Dialect,
) -> Result<ParsedSection> {
    let (sql, first_line) = section_text(revision, direction);
    split_tokenized(sql, first_line, tokenizer)
        .map_err(|e| located(revision, e.line, &e.message))?
        .into_iter()
        .map(|(statement, tokens)| {
            if is_transaction_control(&statement.sql, tokenizer) {
                return Err(located(revision, statement.line, &refusal(&statement.sql)));
            }
            let op = Op::parse_tokenized(&statement.sql, tokens)
                .map_err(|e| located(revision, statement.line, &e.message))?;
            Ok((statement, op))
        })
        .collect()
}

/// The text of one section of `revision` and the line of the file it starts on.
fn section_text(revision: &Revision, direction: Direction) -> (&str, usize) {
    match direction {
        Direction::Up => (revision.up_sql(), revision.up.first_line),
        Direction::Down => (revision.down_sql(), revision.down.first_line),
    }
}

/// The statements of one section of `revision`, as they will run.
pub fn section_statements(
    revision: &Revision,
    direction: Direction,
    tokenizer: Dialect,
) -> Result<Vec<Statement>> {
    let (sql, first_line) = section_text(revision, direction);
    split_statements(sql, first_line, tokenizer).map_err(|e| located(revision, e.line, &e.message))
}

/// An error at `line` of `revision`'s file.
pub fn located(revision: &Revision, line: usize, message: &str) -> Error {
    Error::script(format!("{}:{line}: {message}", revision.path.display()))
}

/// [`parsed_section`] of each of `sections` (revision, direction), on every core:
/// parsing is most of the work of a simulation, and sections parse independently. Each
/// result stays apart, so that a caller that applies them in order reports the same
/// first error as a walk that parses as it goes.
pub fn parsed_sections(
    graph: &RevisionGraph,
    sections: &[(usize, Direction)],
    tokenizer: Dialect,
) -> Vec<Result<ParsedSection>> {
    crate::parallel::map(sections, 32, |&(i, direction)| {
        parsed_section(graph.revision(i), direction, tokenizer)
    })
}

/// A section's statements, each with the schema operation it is.
pub type ParsedSection = Vec<(Statement, Option<Op>)>;

/// Splits one section of `revision`, applies its schema operations to `schema`, and,
/// when `dialect` is given, renders them for that database.
pub fn section_actions(
    revision: &Revision,
    direction: Direction,
    tokenizer: Dialect,
    render_for: Option<Dialect>,
    schema: &mut Schema,
) -> Result<Vec<Action>> {
    let statements = parsed_section(revision, direction, tokenizer)?;
    parsed_actions(revision, statements, render_for, schema)
}

/// What [`section_actions`] does after parsing: applies the schema operations of a
/// parsed section of `revision` to `schema`, rendering them for `render_for`.
pub fn parsed_actions(
    revision: &Revision,
    statements: ParsedSection,
    render_for: Option<Dialect>,
    schema: &mut Schema,
) -> Result<Vec<Action>> {
    let located = |line: usize, message: &str| located(revision, line, message);
    let mut actions = Vec::with_capacity(statements.len());
    for (statement, op) in statements {
        let Some(op) = op else {
            let mut statement = statement;
            if let Some(Cow::Owned(sql)) = render_for.map(|d| d.verbatim(&statement.sql)) {
                statement.sql = sql;
            }
            actions.push(Action::Verbatim(statement));
            continue;
        };
        let at_risk = op.data_at_risk(schema);
        let rendered = match render_for {
            Some(dialect) => dialect.render_applying(&op, schema),
            None => op.apply(schema).map(|()| Rendered::default()),
        };
        let rendered = rendered.map_err(|e| located(statement.line, &e.message))?;
        actions.push(Action::Schema {
            source: statement,
            op: Box::new(op),
            rendered,
            at_risk,
        });
    }
    Ok(actions)
}

/// What each of `steps` runs, rendered for `dialect`, starting from the schema after the
/// `applied` revisions: every section is parsed (on every core) before any runs, so a
/// malformed later revision stops an upgrade before its first one. With no steps, no
/// applied revision is replayed (an up-to-date deploy must not pay for its history).
pub fn steps_actions(
    graph: &RevisionGraph,
    applied: &Marks,
    steps: &[Step],
    dialect: Dialect,
) -> Result<Vec<Vec<Action>>> {
    if steps.is_empty() {
        return Ok(Vec::new());
    }
    let mut schema = schema_after(graph, applied, dialect)?;
    let sections: Vec<(usize, Direction)> =
        steps.iter().map(|s| (s.revision, s.direction)).collect();
    let parsed = parsed_sections(graph, &sections, dialect);
    steps
        .iter()
        .zip(parsed)
        .map(|(step, statements)| {
            let revision = graph.revision(step.revision);
            let actions = parsed_actions(revision, statements?, Some(dialect), &mut schema)?;
            if revision.no_transaction && actions.iter().any(Action::foreign_keys_off) {
                return Err(Error::script(format!(
                    "{}: the revision rebuilds a table, which SQLite can only do inside a transaction; remove {} from it",
                    revision.path.display(),
                    crate::script::revision::NO_TRANSACTION_MARKER
                )));
            }
            Ok(actions)
        })
        .collect()
}

/// The schema after the up sections of every revision in `applied`, in graph order.
pub fn schema_after(graph: &RevisionGraph, applied: &Marks, tokenizer: Dialect) -> Result<Schema> {
    schema_of(graph, (0..graph.len()).filter(|&i| applied[i]), tokenizer)
}

/// The schema after the up sections of `revisions`, in the order given.
fn schema_of(
    graph: &RevisionGraph,
    revisions: impl Iterator<Item = usize>,
    tokenizer: Dialect,
) -> Result<Schema> {
    let mut schema = Schema::default();
    let sections: Vec<(usize, Direction)> = revisions.map(|i| (i, Direction::Up)).collect();
    let parsed = parsed_sections(graph, &sections, tokenizer);
    for (&(i, _), statements) in sections.iter().zip(parsed) {
        parsed_actions(graph.revision(i), statements?, None, &mut schema)?;
    }
    Ok(schema)
}

/// What goes wrong when the branches a merge joins run in either order, as they do on
/// databases that had one branch before the other: the revisions that only one parent
/// brings are applied branch by branch, first to last and last to first, after what the
/// parents share. `None` when both orders give the same schema; otherwise what happens
/// and what to do about it.
pub fn merge_conflict(
    graph: &RevisionGraph,
    parents: &[usize],
    tokenizer: Dialect,
) -> Option<String> {
    let below: Vec<Marks> = parents.iter().map(|&p| graph.ancestors(&[p])).collect();
    let count = |i: usize| below.iter().filter(|marks| marks[i]).count();
    let shared: Vec<usize> = (0..graph.len()).filter(|&i| count(i) > 1).collect();
    let only: Vec<Vec<usize>> = below
        .iter()
        .map(|marks| {
            (0..graph.len())
                .filter(|&i| marks[i] && count(i) == 1)
                .collect()
        })
        .collect();
    let run = |branches: Vec<&Vec<usize>>| {
        let order = shared.iter().chain(branches.into_iter().flatten()).copied();
        schema_of(graph, order, tokenizer)
    };
    let cannot = |first: usize, e: Error| {
        format!(
            "with {} applied first, {}; change the branches' revisions so that both can run in either order",
            graph.revision(first).id,
            e.message
        )
    };
    match (run(only.iter().collect()), run(only.iter().rev().collect())) {
        (Err(e), _) => Some(cannot(parents[0], e)),
        (_, Err(e)) => Some(cannot(parents[parents.len() - 1], e)),
        (Ok(forward), Ok(backward)) => {
            let differences = autogenerate::diff(&forward, &backward);
            (!differences.is_empty()).then(|| {
                format!(
                    "they end at different schemas depending on which runs first ({}); change the branches' revisions so that they agree",
                    differences
                        .iter()
                        .map(|op| op.summary())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })
        }
    }
}
