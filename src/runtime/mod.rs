//! Running revisions against a database: each one in its own transaction together with
//! its version-table update, so a failure leaves the database at the previous revision.

pub mod plan;
pub mod version;

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::backend::Backend;
use crate::script::split::{Statement, split_statements};
use crate::script::target::Target;
use crate::script::{Revision, RevisionGraph};
use crate::text::one_line;
use crate::{Error, Result};
use plan::{Direction, State, Step};
use version::{AppliedRecord, Operation};

/// Where progress goes; the command line prints it, tests may collect it.
pub trait Reporter {
    /// A line a user wants to see (unless `--quiet`).
    fn info(&self, line: &str);
    /// A line for `--verbose`.
    fn detail(&self, line: &str);
    /// Always shown.
    fn warn(&self, line: &str);
}

/// An applied revision whose file no longer matches what ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedScript {
    pub revision: usize,
    pub applied_checksum: String,
}

pub struct Migrator<'a> {
    pub backend: &'a mut dyn Backend,
    pub graph: &'a RevisionGraph,
    pub reporter: &'a dyn Reporter,
}

/// What a command will do, computed before anything is written: the steps and every
/// step's statements. Planning may use a read-only connection; running needs one that
/// can write.
#[derive(Debug)]
pub struct Plan {
    kind: PlanKind,
    pub steps: Vec<Step>,
    statements: Vec<Vec<Statement>>,
}

#[derive(Debug)]
enum PlanKind {
    /// Upgrades re-plan towards the same revisions when another process got there first.
    Upgrade {
        targets: Vec<usize>,
    },
    Downgrade,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Migrator<'_> {
    pub fn read_heads(&mut self) -> Result<Vec<String>> {
        version::read_heads(self.backend)
    }

    pub fn state(&mut self) -> Result<State<'_>> {
        let rows = version::read_heads(self.backend)?;
        State::from_rows(self.graph, &rows)
    }

    pub fn applied_records(&mut self) -> Result<HashMap<String, AppliedRecord>> {
        version::read_applied_records(self.backend)
    }

    /// Where the database is, for messages.
    pub fn describe_state(&mut self) -> Result<String> {
        let graph = self.graph;
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(graph, &rows)?;
        Ok(describe_heads(graph, &state.heads))
    }

    /// Applied revisions whose file changed since it ran. Version rows naming revisions
    /// that have no file are left to the commands that need them.
    pub fn changed_scripts(&mut self) -> Result<Vec<ChangedScript>> {
        let graph = self.graph;
        let rows: Vec<String> = version::read_heads(self.backend)?
            .into_iter()
            .filter(|id| graph.find(id).is_some())
            .collect();
        let state = State::from_rows(graph, &rows)?;
        let records = version::read_applied_records(self.backend)?;
        Ok((0..graph.len())
            .filter(|&i| state.applied[i])
            .filter_map(|i| {
                let revision = graph.revision(i);
                let applied = records.get(&revision.id)?.checksum.clone()?;
                (applied != revision.checksum()).then_some(ChangedScript {
                    revision: i,
                    applied_checksum: applied,
                })
            })
            .collect())
    }

    pub fn warn_about_changed_scripts(&mut self) -> Result<()> {
        for changed in self.changed_scripts()? {
            let revision = self.graph.revision(changed.revision);
            self.reporter.warn(&format!(
                "warning: {} was edited after revision {} was applied; the database ran the earlier text",
                revision.path.display(),
                revision.id
            ));
        }
        Ok(())
    }

    pub fn plan_upgrade(&mut self, target: &Target) -> Result<Plan> {
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(self.graph, &rows)?;
        let targets = plan::upgrade_targets(&state, target)?;
        let steps = plan::upgrade_plan(&state, &targets);
        self.prepare(PlanKind::Upgrade { targets }, steps)
    }

    pub fn plan_downgrade(&mut self, target: &Target) -> Result<Plan> {
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(self.graph, &rows)?;
        let steps = plan::downgrade_plan(&state, target)?;
        self.prepare(PlanKind::Downgrade, steps)
    }

    /// Runs a plan, each step in its own transaction. Returns how many steps this process
    /// ran.
    pub fn run(&mut self, mut plan: Plan) -> Result<usize> {
        if plan.is_empty() {
            return Ok(0);
        }
        version::ensure_tables_in_transaction(self.backend)?;
        let mut ran = 0;
        loop {
            match self.run_steps(&plan) {
                Ok(count) => return Ok(ran + count),
                Err(StepError::Conflict { done }) => {
                    ran += done;
                    let PlanKind::Upgrade { targets } = &plan.kind else {
                        return Err(Error::new(
                            crate::ErrorKind::Lock,
                            "the database was migrated by another process during the downgrade; check `mb db current` and run the downgrade again",
                        ));
                    };
                    // Another process migrated in between: plan again from what it did,
                    // towards the same revisions.
                    self.reporter.info(
                        "The database was migrated by another process meanwhile; planning again.",
                    );
                    let rows = version::read_heads(self.backend)?;
                    let state = State::from_rows(self.graph, &rows)?;
                    let targets = targets.clone();
                    let steps = plan::upgrade_plan(&state, &targets);
                    if steps.is_empty() {
                        let at = describe_heads(self.graph, &state.heads);
                        self.reporter.info(&format!(
                            "Nothing left to upgrade: the database is at {at}."
                        ));
                    }
                    plan = self.prepare(PlanKind::Upgrade { targets }, steps)?;
                }
                Err(StepError::Failed(e)) => return Err(e),
            }
        }
    }

    /// Records `targets` as applied without running anything. `purge` ignores (and
    /// removes) whatever the version table says now.
    pub fn stamp(&mut self, targets: &[Target], purge: bool) -> Result<BTreeSet<usize>> {
        let graph = self.graph;
        version::ensure_tables_in_transaction(self.backend)?;
        self.backend.begin()?;
        let result = (|| {
            let rows = version::read_heads(self.backend)?;
            let before = State::from_rows(graph, if purge { &[] } else { &rows })?;
            let after = plan::stamp_state(&before, targets)?;
            let current: Vec<&str> = rows.iter().map(String::as_str).collect();
            let new: Vec<&str> = after
                .heads
                .iter()
                .map(|&i| graph.revision(i).id.as_str())
                .collect();
            version::update_heads(self.backend, &current, &new)?;
            for i in 0..graph.len() {
                let operation = match (before.applied[i], after.applied[i]) {
                    (false, true) => Operation::Stamp,
                    (true, false) => Operation::Unstamp,
                    _ => continue,
                };
                let revision = graph.revision(i);
                version::record(
                    self.backend,
                    &revision.id,
                    operation,
                    &revision.checksum(),
                    0,
                )?;
            }
            Ok(after.heads)
        })();
        finish(self.backend, result)
    }

    /// Validates stamp targets without writing, so a bad one is reported before a
    /// database is created.
    pub fn check_stamp(&mut self, targets: &[Target], purge: bool) -> Result<()> {
        let rows = version::read_heads(self.backend)?;
        let before = State::from_rows(self.graph, if purge { &[] } else { &rows })?;
        plan::stamp_state(&before, targets).map(|_| ())
    }

    /// Splits every step's SQL before anything runs, so a malformed later revision
    /// stops the upgrade before its first revision.
    fn prepare(&self, kind: PlanKind, steps: Vec<Step>) -> Result<Plan> {
        let dialect = self.backend.dialect();
        let statements = steps
            .iter()
            .map(|step| {
                let revision = self.graph.revision(step.revision);
                let (sql, section) = match step.direction {
                    Direction::Up => (revision.up_sql(), &revision.up),
                    Direction::Down => (revision.down_sql(), &revision.down),
                };
                split_statements(sql, section.first_line, dialect).map_err(|e| {
                    Error::script(format!(
                        "{}:{}: {}",
                        revision.path.display(),
                        e.line,
                        e.message
                    ))
                })
            })
            .collect::<Result<_>>()?;
        Ok(Plan {
            kind,
            steps,
            statements,
        })
    }

    fn run_steps(&mut self, plan: &Plan) -> Result<usize, StepError> {
        for (done, (step, statements)) in plan.steps.iter().zip(&plan.statements).enumerate() {
            let revision = self.graph.revision(step.revision);
            self.reporter.info(&running_line(self.graph, step));
            let started = Instant::now();
            self.backend.begin()?;
            let outcome = self.run_step(step, revision, statements, started);
            if let Err(e) = outcome {
                self.backend.rollback()?;
                return Err(match e {
                    StepError::Conflict { .. } => StepError::Conflict { done },
                    failed => failed,
                });
            }
            self.backend.commit()?;
            self.reporter
                .detail(&format!("  done in {} ms", started.elapsed().as_millis()));
        }
        Ok(plan.steps.len())
    }

    fn run_step(
        &mut self,
        step: &Step,
        revision: &Revision,
        statements: &[Statement],
        started: Instant,
    ) -> Result<(), StepError> {
        let graph = self.graph;
        let rows = version::read_heads(self.backend)?;
        let actual: BTreeSet<usize> = rows.iter().filter_map(|id| graph.find(id)).collect();
        if actual != step.heads_before || actual.len() != rows.len() {
            return Err(StepError::Conflict { done: 0 });
        }
        for statement in statements {
            self.reporter
                .detail(&format!("  {}", one_line(&statement.sql, 200)));
            self.backend.execute(&statement.sql).map_err(|message| {
                Error::database(format!(
                    "{}:{}: {message}; the statement was: {}; revision {} was rolled back, the database is still at {}",
                    revision.path.display(),
                    statement.line,
                    one_line(&statement.sql, 160),
                    revision.id,
                    describe_heads(graph, &step.heads_before)
                ))
            })?;
        }
        let (delete, insert) = step.head_changes();
        let ids = |list: Vec<usize>| {
            list.into_iter()
                .map(|i| graph.revision(i).id.as_str())
                .collect::<Vec<_>>()
        };
        version::update_heads(self.backend, &ids(delete), &ids(insert))?;
        let operation = match step.direction {
            Direction::Up => Operation::Upgrade,
            Direction::Down => Operation::Downgrade,
        };
        version::record(
            self.backend,
            &revision.id,
            operation,
            &revision.checksum(),
            started.elapsed().as_millis(),
        )?;
        Ok(())
    }
}

enum StepError {
    /// The version rows were not what the plan expected; `done` steps had committed.
    Conflict {
        done: usize,
    },
    Failed(Error),
}

impl From<Error> for StepError {
    fn from(e: Error) -> Self {
        StepError::Failed(e)
    }
}

/// Commits on success, rolls back on failure, and returns `result`.
fn finish<T>(backend: &mut dyn Backend, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            backend.commit()?;
            Ok(value)
        }
        Err(e) => {
            backend.rollback()?;
            Err(e)
        }
    }
}

/// Alembic's progress line: `Running upgrade e517276bb1c2 -> 780739b227a7, posts table`.
fn running_line(graph: &RevisionGraph, step: &Step) -> String {
    let revision = graph.revision(step.revision);
    let parents = match graph.parents(step.revision) {
        [] => "<base>".to_string(),
        parents => graph.ids(parents),
    };
    match step.direction {
        Direction::Up => format!(
            "Running upgrade {parents} -> {}, {}",
            revision.id, revision.message
        ),
        Direction::Down => format!(
            "Running downgrade {} -> {parents}, {}",
            revision.id, revision.message
        ),
    }
}

/// `780739b227a7 (posts table)`, several joined, or `base`.
pub fn describe_heads(graph: &RevisionGraph, heads: &BTreeSet<usize>) -> String {
    if heads.is_empty() {
        return "base (no revision applied)".into();
    }
    heads
        .iter()
        .map(|&i| format!("{} ({})", graph.revision(i).id, graph.revision(i).message))
        .collect::<Vec<_>>()
        .join(", ")
}
