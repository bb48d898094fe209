//! Squash: one revision that does what a linear run of revisions does.
//!
//! The up section replays the run's up sections through the simulation and writes, for
//! each stretch of schema operations, only the ops that turn the schema at the start of
//! the stretch into the schema at its end (`autogenerate::diff`). A statement that is
//! not a schema operation (data changes, triggers, functions) ends a stretch and is
//! carried over as written, and so is a rename (a diff would see a drop and an add), so
//! each of them runs against exactly the schema it ran against before: carrying them is
//! sound. The down section does the same with the run's down sections, last revision
//! first. See docs/squash.md.

use crate::autogenerate;
use crate::dialect::Dialect;
use crate::ops::Op;
use crate::schema::Schema;
use crate::script::RevisionGraph;
use crate::script::revision::ALLOW_DATA_LOSS_MARKER;
use crate::{Error, Result};

use super::data_loss::section_allows_data_loss;
use super::plan::Direction;
use super::simulate::{located, parsed_section, schema_after};

/// The sections of a squash revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Squashed {
    pub upgrades: String,
    pub downgrades: String,
    /// Statements carried over as written (not schema operations), up and down.
    pub carried: usize,
}

/// The linear run from `from` to `to` (indices, oldest first). Every revision after
/// `from` has one parent, every revision before `to` one child, and none takes part in
/// a dependency: otherwise a database could have applied part of the run along another
/// path.
pub fn linear_run(graph: &RevisionGraph, from: usize, to: usize) -> Result<Vec<usize>> {
    let id = |i: usize| &graph.revision(i).id;
    let mut run = vec![to];
    let mut current = to;
    while current != from {
        let parent = match graph.parents(current) {
            [parent] => *parent,
            [] => {
                return Err(Error::script(format!(
                    "{} is not an ancestor of {}; squash FROM TO needs FROM below TO on one line of revisions",
                    id(from),
                    id(to)
                )));
            }
            parents => {
                return Err(Error::script(format!(
                    "{} is a merge point (it revises {}); a squash replaces a linear run, so squash up to the revision before it, or start at it",
                    id(current),
                    graph.ids(parents)
                )));
            }
        };
        if graph.is_branch_point(parent) {
            return Err(Error::script(format!(
                "{} is a branch point (revised by {}); a squash replaces a linear run, so start at the revision after it, or end at it",
                id(parent),
                graph.ids(graph.children(parent))
            )));
        }
        run.push(parent);
        current = parent;
    }
    run.reverse();
    if run.len() < 2 {
        return Err(Error::script(format!(
            "the run from {} to {} is one revision; name two different revisions to squash",
            id(from),
            id(to)
        )));
    }
    for &i in &run {
        let revision = graph.revision(i);
        if !graph.dependencies(i).is_empty() || !graph.dependents(i).is_empty() {
            return Err(Error::script(format!(
                "{} takes part in a dependency (Depends On) between branches; squash a run without dependencies",
                revision.id
            )));
        }
        if revision.no_transaction {
            return Err(Error::script(format!(
                "{} runs outside a transaction (-- mb:no-transaction) and cannot be joined with other revisions; squash up to the revision before it, or start after it",
                revision.id
            )));
        }
    }
    Ok(run)
}

/// The first revision of the linear run that ends at `to`: up through single parents
/// that have no other child, to a base, a merge point or a branch point.
pub fn run_start(graph: &RevisionGraph, to: usize) -> usize {
    let mut current = to;
    while let [parent] = graph.parents(current) {
        if graph.is_branch_point(*parent) {
            break;
        }
        current = *parent;
    }
    current
}

/// The squash of `run` (from [`linear_run`]), with statements split for `tokenizer`.
pub fn squash(graph: &RevisionGraph, run: &[usize], tokenizer: Dialect) -> Result<Squashed> {
    let parents = graph.parents(run[0]).to_vec();
    let before = schema_after(graph, &graph.ancestors(&parents), tokenizer)?;
    let mut up = Compactor::new(before);
    for &i in run {
        up.section(graph, i, Direction::Up, tokenizer)?;
    }
    let (upgrades, after, carried_up) = up.finish();
    let mut down = Compactor::new(after);
    for &i in run.iter().rev() {
        down.section(graph, i, Direction::Down, tokenizer)?;
    }
    let (downgrades, _, carried_down) = down.finish();
    Ok(Squashed {
        upgrades,
        downgrades,
        carried: carried_up + carried_down,
    })
}

/// Replays statements, writing stretches of schema operations as their diff.
struct Compactor {
    state: Schema,
    stretch_start: Schema,
    text: String,
    carried: usize,
    /// Whether a replaced section said its data loss is intended: the squash says so too,
    /// or it would refuse what the revisions it replaces were allowed to do.
    allows_data_loss: bool,
}

impl Compactor {
    fn new(start: Schema) -> Compactor {
        Compactor {
            stretch_start: start.clone(),
            state: start,
            text: String::new(),
            carried: 0,
            allows_data_loss: false,
        }
    }

    fn section(
        &mut self,
        graph: &RevisionGraph,
        i: usize,
        direction: Direction,
        tokenizer: Dialect,
    ) -> Result<()> {
        let revision = graph.revision(i);
        let located = |line: usize, message: &str| located(revision, line, message);
        self.allows_data_loss |= section_allows_data_loss(revision, direction);
        for (statement, op) in parsed_section(revision, direction, tokenizer)? {
            match op {
                Some(op @ (Op::RenameTable { .. } | Op::RenameColumn { .. })) => {
                    self.flush();
                    op.apply(&mut self.state)
                        .map_err(|e| located(statement.line, &e.message))?;
                    self.stretch_start = self.state.clone();
                    self.text.push_str(&format!("{};\n", op.to_sql()));
                }
                Some(op) => op
                    .apply(&mut self.state)
                    .map_err(|e| located(statement.line, &e.message))?,
                None => {
                    self.flush();
                    self.carried += 1;
                    self.text
                        .push_str(&format!("-- from {}\n{};\n", revision.id, statement.sql));
                }
            }
        }
        Ok(())
    }

    /// Writes the ops of the stretch that ends here, destructive ones marked as
    /// `mb db migrate` marks them.
    fn flush(&mut self) {
        let mut at = self.stretch_start.clone();
        for op in autogenerate::diff(&self.stretch_start, &self.state) {
            if let Some(warning) = op.data_at_risk(&at).map(|risk| risk.warning()) {
                self.text.push_str(&format!("-- WARNING: {warning}\n"));
            }
            self.text.push_str(&format!("{};\n", op.to_sql()));
            // The diff applies cleanly: it is checked to give `state`.
            let _ = op.apply(&mut at);
        }
        self.stretch_start = self.state.clone();
    }

    fn finish(mut self) -> (String, Schema, usize) {
        self.flush();
        if self.allows_data_loss {
            self.text = format!("{ALLOW_DATA_LOSS_MARKER}\n{}", self.text);
        }
        (self.text, self.state, self.carried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Revision;
    use crate::script::revision::DOWN_MARKER;
    use std::path::Path;

    fn revision(id: &str, parent: &str, up: &str, down: &str) -> Revision {
        let text = format!(
            "-- {id}\n--\n-- Revision ID: {id}\n-- Revises: {parent}\n--\n-- migrate:up\n{up}\n{DOWN_MARKER}\n{down}\n"
        );
        Revision::parse(&text, Path::new(&format!("v/{id}.sql"))).unwrap()
    }

    fn graph(revisions: Vec<Revision>) -> RevisionGraph {
        RevisionGraph::new(revisions).unwrap()
    }

    #[test]
    fn stretches_of_schema_ops_become_their_diff_and_data_statements_stay_in_order() {
        let g = graph(vec![
            revision(
                "a",
                "",
                "CREATE TABLE t (id INTEGER PRIMARY KEY);",
                "DROP TABLE t;",
            ),
            revision(
                "b",
                "a",
                "ALTER TABLE t ADD COLUMN x TEXT;\nALTER TABLE t ADD COLUMN y TEXT;",
                "ALTER TABLE t DROP COLUMN y;\nALTER TABLE t DROP COLUMN x;",
            ),
            revision(
                "c",
                "b",
                "INSERT INTO t (x) VALUES ('1');\nALTER TABLE t RENAME COLUMN x TO z;\nALTER TABLE t DROP COLUMN y;",
                "ALTER TABLE t ADD COLUMN y TEXT;\nALTER TABLE t RENAME COLUMN z TO x;\nDELETE FROM t;",
            ),
        ]);
        let run = linear_run(&g, 0, 2).unwrap();
        let squashed = squash(&g, &run, Dialect::Sqlite).unwrap();
        assert_eq!(
            squashed.upgrades,
            "CREATE TABLE \"t\" (\n    \"id\" INTEGER PRIMARY KEY,\n    \"x\" TEXT,\n    \"y\" TEXT\n);\n-- from c\nINSERT INTO t (x) VALUES ('1');\nALTER TABLE \"t\" RENAME COLUMN \"x\" TO \"z\";\n-- WARNING: drops column \"t\".\"y\" and its values\nALTER TABLE \"t\" DROP COLUMN \"y\";\n"
        );
        assert_eq!(
            squashed.downgrades,
            "ALTER TABLE \"t\" ADD COLUMN \"y\" TEXT;\nALTER TABLE \"t\" RENAME COLUMN \"z\" TO \"x\";\n-- from c\nDELETE FROM t;\n-- WARNING: drops table \"t\" and all its rows\nDROP TABLE \"t\";\n"
        );
        assert_eq!(squashed.carried, 2);
    }

    #[test]
    fn a_section_that_allows_data_loss_makes_the_squashed_section_allow_it() {
        let g = graph(vec![
            revision(
                "a",
                "",
                "CREATE TABLE t (id INTEGER PRIMARY KEY);",
                "-- mb:allow-data-loss\nDROP TABLE t;",
            ),
            revision("b", "a", "CREATE TABLE u (id INTEGER);", "DROP TABLE u;"),
        ]);
        let squashed = squash(&g, &linear_run(&g, 0, 1).unwrap(), Dialect::Sqlite).unwrap();
        assert!(!squashed.upgrades.contains(ALLOW_DATA_LOSS_MARKER));
        assert!(
            squashed
                .downgrades
                .starts_with(&format!("{ALLOW_DATA_LOSS_MARKER}\n")),
            "{}",
            squashed.downgrades
        );
    }

    #[test]
    fn only_linear_runs_without_dependencies_can_be_squashed() {
        let g = graph(vec![
            revision("a", "", "", ""),
            revision("b", "a", "", ""),
            revision("c", "b", "", ""),
            revision("d", "b", "", ""),
            revision("e", "c, d", "", ""),
        ]);
        let i = |id: &str| g.find(id).unwrap();
        let error = |from: &str, to: &str| linear_run(&g, i(from), i(to)).unwrap_err().message;
        assert_eq!(linear_run(&g, i("a"), i("b")).unwrap(), [i("a"), i("b")]);
        assert!(error("a", "c").contains("b is a branch point (revised by c, d)"));
        assert!(error("c", "e").contains("e is a merge point"));
        assert!(error("c", "d").contains("b is a branch point"));
        assert!(error("b", "a").contains("b is not an ancestor of a"));
        assert!(error("a", "a").contains("one revision"));
        assert_eq!(run_start(&g, i("b")), i("a"));
        assert_eq!(run_start(&g, i("c")), i("c"));
    }
}
