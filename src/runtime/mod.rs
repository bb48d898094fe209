//! Running revisions against a database: each one in its own transaction together with
//! its version-table update, so a failure leaves the database at the previous revision.

pub mod plan;
pub mod simulate;
pub mod version;

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::script::graph::Marks;
use crate::script::split::Statement;
use crate::script::target::Target;
use crate::script::{Revision, RevisionGraph};
use crate::text::one_line;
use crate::{Error, Result};
use plan::{Direction, State, Step};
use simulate::{Action, section_actions};
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
    actions: Vec<Vec<Action>>,
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
        self.prepare(PlanKind::Upgrade { targets }, &state.applied, steps)
    }

    pub fn plan_downgrade(&mut self, target: &Target) -> Result<Plan> {
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(self.graph, &rows)?;
        let steps = plan::downgrade_plan(&state, target)?;
        self.prepare(PlanKind::Downgrade, &state.applied, steps)
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
                    plan = self.prepare(PlanKind::Upgrade { targets }, &state.applied, steps)?;
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

    /// Splits every step's SQL and renders its schema operations before anything runs,
    /// so a malformed later revision stops the upgrade before its first revision. The
    /// schema each operation is rendered against comes from simulating the chain.
    fn prepare(&self, kind: PlanKind, applied: &Marks, steps: Vec<Step>) -> Result<Plan> {
        let dialect = self.backend.dialect();
        let mut schema = simulate::schema_after(self.graph, applied, dialect)?;
        let actions = steps
            .iter()
            .map(|step| {
                let revision = self.graph.revision(step.revision);
                section_actions(
                    revision,
                    step.direction,
                    dialect,
                    Some(dialect),
                    &mut schema,
                )
            })
            .collect::<Result<_>>()?;
        Ok(Plan {
            kind,
            steps,
            actions,
        })
    }

    fn run_steps(&mut self, plan: &Plan) -> Result<usize, StepError> {
        for (done, (step, actions)) in plan.steps.iter().zip(&plan.actions).enumerate() {
            let revision = self.graph.revision(step.revision);
            self.reporter.info(&running_line(self.graph, step));
            let started = Instant::now();
            // SQLite's table rebuilds need foreign keys off, which only works outside a
            // transaction; they are checked before the commit instead.
            let foreign_keys_off = actions.iter().any(|action| {
                matches!(action, Action::Schema { rendered, .. } if rendered.foreign_keys_off)
            });
            if foreign_keys_off {
                self.backend.set_foreign_keys(false)?;
            }
            let outcome = self
                .backend
                .begin()
                .map_err(StepError::Failed)
                .and_then(|()| self.run_step(step, revision, actions, foreign_keys_off, started));
            let finished = match outcome {
                Ok(()) => self.backend.commit().map_err(StepError::Failed),
                Err(e) => self
                    .backend
                    .rollback()
                    .map_err(StepError::Failed)
                    .and(Err(e)),
            };
            if foreign_keys_off {
                self.backend.set_foreign_keys(true)?;
            }
            if let Err(e) = finished {
                return Err(match e {
                    StepError::Conflict { .. } => StepError::Conflict { done },
                    failed => failed,
                });
            }
            self.reporter
                .detail(&format!("  done in {} ms", started.elapsed().as_millis()));
        }
        Ok(plan.steps.len())
    }

    fn run_step(
        &mut self,
        step: &Step,
        revision: &Revision,
        actions: &[Action],
        foreign_keys_off: bool,
        started: Instant,
    ) -> Result<(), StepError> {
        let graph = self.graph;
        let rows = version::read_heads(self.backend)?;
        let actual: BTreeSet<usize> = rows.iter().filter_map(|id| graph.find(id)).collect();
        if actual != step.heads_before || actual.len() != rows.len() {
            return Err(StepError::Conflict { done: 0 });
        }
        let failed = |source: &Statement, sql: &str, message: String| {
            Error::database(format!(
                "{}:{}: {message}; the statement was: {}; revision {} was rolled back, the database is still at {}",
                revision.path.display(),
                source.line,
                one_line(sql, 160),
                revision.id,
                describe_heads(graph, &step.heads_before)
            ))
        };
        for action in actions {
            let (source, statements, rebuilt) = match action {
                Action::Verbatim(statement) => {
                    (statement, std::slice::from_ref(&statement.sql), &[][..])
                }
                Action::Schema {
                    source, rendered, ..
                } => (
                    source,
                    &rendered.statements[..],
                    &rendered.rebuilt_tables[..],
                ),
            };
            // A rebuilt SQLite table loses its triggers with the old table.
            let triggers = self.backend.triggers_on(rebuilt)?;
            for sql in statements.iter().chain(&triggers) {
                self.reporter.detail(&format!("  {}", one_line(sql, 200)));
                self.backend
                    .execute(sql)
                    .map_err(|message| failed(source, sql, message))?;
            }
        }
        if foreign_keys_off {
            let violations = self.backend.foreign_key_violations()?;
            if !violations.is_empty() {
                return Err(StepError::Failed(Error::database(format!(
                    "{}: the revision leaves rows whose foreign keys point nowhere ({}); revision {} was rolled back, the database is still at {}",
                    revision.path.display(),
                    violations.join("; "),
                    revision.id,
                    describe_heads(graph, &step.heads_before)
                ))));
            }
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

/// What `upgrade --sql` / `downgrade --sql` print: the statements each step would run on
/// `dialect`, with the transaction and version-table statements around them, computed
/// without a database.
pub fn offline_script(
    graph: &RevisionGraph,
    dialect: Dialect,
    state: &State,
    steps: &[Step],
) -> Result<String> {
    let mut schema = simulate::schema_after(graph, &state.applied, dialect)?;
    let mut out = String::new();
    for statement in version::create_tables_sql(dialect) {
        out.push_str(&format!("{statement};\n"));
    }
    for step in steps {
        let revision = graph.revision(step.revision);
        let actions = section_actions(
            revision,
            step.direction,
            dialect,
            Some(dialect),
            &mut schema,
        )?;
        let foreign_keys_off = actions
            .iter()
            .any(|a| matches!(a, Action::Schema { rendered, .. } if rendered.foreign_keys_off));
        out.push_str(&format!("\n-- {}\n", running_line(graph, step)));
        if foreign_keys_off {
            out.push_str("PRAGMA foreign_keys = OFF;\n");
        }
        out.push_str("BEGIN;\n");
        for action in &actions {
            match action {
                Action::Verbatim(statement) => out.push_str(&format!("{};\n", statement.sql)),
                Action::Schema { rendered, .. } => {
                    for sql in &rendered.statements {
                        out.push_str(&format!("{sql};\n"));
                    }
                    for table in &rendered.rebuilt_tables {
                        out.push_str(&format!(
                            "-- mb re-creates the triggers of {} here, read from the database when it runs\n",
                            dialect.quote_ident(table)
                        ));
                    }
                }
            }
        }
        if foreign_keys_off {
            out.push_str("PRAGMA foreign_key_check;\n");
        }
        let (delete, insert) = step.head_changes();
        let ids = |list: Vec<usize>| {
            list.into_iter()
                .map(|i| graph.revision(i).id.as_str())
                .collect::<Vec<_>>()
        };
        for sql in version::update_heads_sql(dialect, &ids(delete), &ids(insert)) {
            out.push_str(&format!("{sql};\n"));
        }
        let operation = match step.direction {
            Direction::Up => Operation::Upgrade,
            Direction::Down => Operation::Downgrade,
        };
        out.push_str(&format!(
            "{};\nCOMMIT;\n",
            version::record_sql(dialect, &revision.id, operation, &revision.checksum(), 0)
        ));
        if foreign_keys_off {
            out.push_str("PRAGMA foreign_keys = ON;\n");
        }
    }
    Ok(out)
}
