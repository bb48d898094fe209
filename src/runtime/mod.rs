//! Running revisions against a database: each one in its own transaction together with
//! its version-table update, so a failure leaves the database at the previous revision.
//! Where DDL cannot be rolled back (MySQL) or a revision asks to run outside a
//! transaction (`-- mb:no-transaction`), it runs statement by statement with its progress
//! recorded in `mb_progress` (see [`progress`]). Everything that writes holds the
//! database's migration lock.

pub mod crash_point;
mod data_loss;
pub mod drift;
pub mod plan;
pub mod progress;
pub mod simulate;
pub mod squash;
pub mod version;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::ops::Op;
use crate::schema::exclude::Exclude;
use crate::script::graph::Marks;
use crate::script::split::Statement;
use crate::script::target::Target;
use crate::script::{Revision, RevisionGraph};
use crate::text::one_line;
use crate::{Error, ErrorKind, Result};
use plan::{Direction, State, Step};
use progress::Progress;
use simulate::Action;
use version::{AppliedRecord, Operation};

/// How long a command waits for another process's migration lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where progress goes; the command line prints it, tests may collect it.
pub trait Reporter {
    /// A line a user wants to see (unless `--quiet`).
    fn info(&self, line: &str);
    /// A line for `--verbose`, made only when it is shown (an upgrade has one for every
    /// statement).
    fn detail(&self, line: &dyn Fn() -> String);
    /// Always shown.
    fn warn(&self, line: &str);
    /// Where a run of revisions is, for a status line on a terminal; ignored by default.
    fn status(&self, _status: RunStatus) {}
    /// Asks a yes-or-no question (ending `[y/N] `) where someone can answer it: at a
    /// terminal. No by default, and whenever nobody is there to say yes.
    fn confirm(&self, _question: &str) -> bool {
        false
    }
}

/// Where [`Migrator::run`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus<'a> {
    /// Revision `done + 1` of `total` starts.
    Step { done: usize, total: usize },
    /// Revision `done + 1` of `total` starts and rebuilds `table`, which takes as long as
    /// the table is big.
    Rebuilding {
        done: usize,
        total: usize,
        table: &'a str,
    },
    /// The run is over.
    Finished,
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
    /// How long to wait for another process's migration lock.
    pub lock_timeout: Duration,
    /// The objects the project excludes (mb.toml `exclude`): drift never counts them.
    pub exclude: Option<&'a Exclude>,
}

/// What `upgrade` or `downgrade` asks for. The plan that runs is made from it under the
/// migration lock, from the database as the lock finds it, and every check runs on that
/// plan (see [`Migrator::run`]).
#[derive(Debug, Clone, Copy)]
pub struct Request<'t> {
    pub direction: Direction,
    pub target: &'t Target,
    /// Finish the partly applied revision first (`--resume`).
    pub resume: bool,
    /// `--single-transaction`: every step in one transaction, all applied or none.
    pub single_transaction: bool,
    /// `--allow-changed`: run although an applied revision's file changed since.
    pub allow_changed: bool,
    /// `--allow-data-loss`: run although a step destroys data the database holds.
    pub allow_data_loss: bool,
}

/// What a request would do, planned before the lock is taken and before a database is
/// created, so that a bad target or script is reported first and a database already at
/// its target is left alone. It is never run: [`Migrator::run`] plans again under the
/// lock.
#[derive(Debug)]
pub struct Preview {
    plan: Plan,
    /// The heads it was planned from.
    heads: BTreeSet<usize>,
}

impl Preview {
    pub fn is_empty(&self) -> bool {
        self.plan.steps.is_empty()
    }
}

/// The steps of a request and every step's statements, as planned from one state of the
/// database.
#[derive(Debug)]
struct Plan {
    kind: PlanKind,
    steps: Vec<Step>,
    actions: Vec<Vec<Action>>,
    /// For `--resume`: the partly applied revision (the first step) as planning found it.
    resume: Option<Progress>,
    /// `--single-transaction`: every step in one transaction, all applied or none.
    single_transaction: bool,
}

/// A plan that passed every check (the target, `--single-transaction`, changed files,
/// data loss) on the database state it was planned from. Only
/// [`Migrator::checked_plan`] makes one, and only a checked plan runs.
#[derive(Debug)]
struct CheckedPlan(Plan);

#[derive(Debug)]
enum PlanKind {
    /// Upgrades re-plan towards the same revisions when another process got there first.
    Upgrade {
        targets: Vec<usize>,
    },
    Downgrade,
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

    /// Applied revisions whose file changed since it ran.
    pub fn changed_scripts(&mut self) -> Result<Vec<ChangedScript>> {
        let rows = version::read_heads(self.backend)?;
        let records = version::read_applied_records(self.backend)?;
        changed_scripts(self.graph, &rows, &records)
    }

    /// Refuses to run `plan` while an applied revision's file differs from the text that
    /// ran; with `allow`, warns and goes on. A revision that `--resume` finishes is left
    /// out: fixing its file is how it is resumed, and the statements that ran are checked
    /// on their own.
    fn check_changed_scripts(&mut self, plan: &Plan, allow: bool) -> Result<()> {
        let graph = self.graph;
        let resumed = plan.resume.as_ref().map(|p| p.revision.as_str());
        let revisions: Vec<&Revision> = self
            .changed_scripts()?
            .iter()
            .map(|c| graph.revision(c.revision))
            .filter(|r| Some(r.id.as_str()) != resumed)
            .collect();
        if revisions.is_empty() {
            return Ok(());
        }
        if allow {
            for revision in revisions {
                self.reporter.warn(&format!(
                    "warning: {} was edited after revision {} was applied; the database ran the earlier text",
                    revision.path.display(),
                    revision.id
                ));
            }
            return Ok(());
        }
        let files: Vec<String> = revisions
            .iter()
            .map(|r| r.path.display().to_string())
            .collect();
        let ids: Vec<&str> = revisions.iter().map(|r| r.id.as_str()).collect();
        let (subject, file, holds) = match ids.as_slice() {
            [id] => (format!("revision {id} was"), "the file", "holds"),
            _ => (
                format!("revisions {} were", ids.join(", ")),
                "the files",
                "hold",
            ),
        };
        Err(Error::safety(format!(
            "{} changed since {subject} applied, so the database ran other SQL than {file} now {holds}; restore {file}, or if the edit is deliberate and the database already matches it, record the new text with `mb db rehash {}`; --allow-changed runs anyway",
            files.join(", "),
            ids.join(" ")
        )))
    }

    /// Plans `request` from the database as it is now, without the checks that depend on
    /// what the database holds, and without writing: for reporting a bad target or script
    /// before a database is created, and for finding that there is nothing to do.
    pub fn preview(&mut self, request: &Request) -> Result<Preview> {
        let (plan, heads) = self.plan(request, None)?;
        Ok(Preview { plan, heads })
    }

    /// Plans `request` from the database as it is now. An upgrade that plans again after
    /// another process migrated passes the `targets` it resolved the first time.
    fn plan(
        &mut self,
        request: &Request,
        targets: Option<&[usize]>,
    ) -> Result<(Plan, BTreeSet<usize>)> {
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(self.graph, &rows)?;
        let mut plan = match (request.resume, request.direction) {
            (true, direction) => self.plan_resume(&state, direction, request.target)?,
            (false, Direction::Up) => {
                let targets = match targets {
                    Some(targets) => targets.to_vec(),
                    None => plan::upgrade_targets(&state, request.target)?,
                };
                let steps = plan::upgrade_plan(&state, &targets);
                self.prepare(PlanKind::Upgrade { targets }, &state.applied, steps)?
            }
            (false, Direction::Down) => {
                let steps = plan::downgrade_plan(&state, request.target)?;
                self.prepare(PlanKind::Downgrade, &state.applied, steps)?
            }
        };
        if request.single_transaction {
            check_one_transaction(self.graph, self.backend.dialect(), &plan.steps)?;
            plan.single_transaction = true;
        }
        Ok((plan, state.heads))
    }

    /// Plans `request` and runs every check on that plan, against the database as it is
    /// now: the only way to a plan that runs. Called with the migration lock held, so
    /// nobody else changes what was checked before the plan runs (on SQLite, whose lock
    /// is taken by each transaction, every step's transaction verifies the version rows
    /// the plan started from; a difference plans and checks again).
    fn checked_plan(
        &mut self,
        request: &Request,
        targets: Option<&[usize]>,
    ) -> Result<(CheckedPlan, BTreeSet<usize>)> {
        let (plan, heads) = self.plan(request, targets)?;
        // Nothing to run builds on no edited file and loses no data.
        if !plan.steps.is_empty() {
            self.check_changed_scripts(&plan, request.allow_changed)?;
            self.check_data_loss(&plan, request.allow_data_loss)?;
            self.check_drift(&plan)?;
        }
        Ok((CheckedPlan(plan), heads))
    }

    /// Runs `request` holding the migration lock: plans it again from the database as the
    /// lock finds it (another process may have migrated since `preview`), checks that
    /// plan, and runs it, each step in its own transaction. Returns how many steps this
    /// process ran.
    pub fn run(&mut self, request: &Request, preview: &Preview) -> Result<usize> {
        if preview.is_empty() {
            return Ok(0);
        }
        self.locked(|m| m.run_locked(request, preview))
    }

    /// Runs `work` while holding the database's migration lock, saying so when another
    /// process holds it first.
    fn locked<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let location = self.backend.location();
        let reporter = self.reporter;
        let timeout = self.lock_timeout;
        self.backend.lock(timeout, &mut |holder| {
            reporter.info(&format!(
                "Waiting for another mb migrating {location} ({holder} holds the migration lock; lock timeout {} s)…",
                timeout.as_secs()
            ))
        })?;
        let result = work(self);
        let unlocked = self.backend.unlock();
        let value = result?;
        unlocked?;
        Ok(value)
    }

    fn run_locked(&mut self, request: &Request, preview: &Preview) -> Result<usize> {
        version::ensure_tables_in_transaction(self.backend)?;
        let found = progress::read(self.backend)?;
        match (&preview.plan.resume, &found) {
            (None, None) => {}
            (None, Some(found)) => return Err(self.interrupted(found)),
            (Some(planned), Some(found))
                if planned.revision == found.revision
                    && planned.statements_done == found.statements_done => {}
            (Some(planned), _) => {
                return Err(Error::new(
                    ErrorKind::Lock,
                    format!(
                        "another process resumed or resolved revision {} meanwhile; check `mb db current` and run the command again",
                        planned.revision
                    ),
                ));
            }
        }
        // A refusal or a target that no longer fits says why the database is not where
        // the command found it.
        let (mut plan, heads) = match self.checked_plan(request, None) {
            Ok(planned) => planned,
            Err(e) => {
                return Err(
                    match self.heads().map(|now| self.moved(&preview.heads, &now)) {
                        Ok(Some(moved)) => Error::new(e.kind, format!("{moved}; {}", e.message)),
                        _ => e,
                    },
                );
            }
        };
        if let Some(moved) = self.moved(&preview.heads, &heads) {
            self.reporter.info(&format!(
                "{}; planned again from there.",
                capitalized(&moved)
            ));
        }
        let mut ran = 0;
        loop {
            if plan.0.steps.is_empty() {
                let at = describe_heads(self.graph, &self.heads()?);
                self.reporter.info(&format!(
                    "Nothing left to {}: the database is at {at}.",
                    verb(request.direction)
                ));
                return Ok(ran);
            }
            let outcome = self.run_steps(&plan);
            self.reporter.status(RunStatus::Finished);
            match outcome {
                Ok(count) => return Ok(ran + count),
                Err(StepError::Conflict { done }) => {
                    ran += done;
                    let PlanKind::Upgrade { targets } = &plan.0.kind else {
                        return Err(Error::new(
                            ErrorKind::Lock,
                            "the database was migrated by another process during the downgrade; check `mb db current` and run the downgrade again",
                        ));
                    };
                    // Another process migrated in between (SQLite, whose lock is each
                    // transaction's): plan again from what it did, with every check again.
                    // Before this process ran anything, that is planning the request anew
                    // (`+1` counts from there); after, it goes on towards the same revisions.
                    self.reporter.info(
                        "The database was migrated by another process meanwhile; planning again.",
                    );
                    let targets = targets.clone();
                    let again = Request {
                        resume: request.resume && ran == 0,
                        ..*request
                    };
                    let targets = (ran > 0).then_some(&targets[..]);
                    plan = self.checked_plan(&again, targets)?.0;
                }
                Err(StepError::Failed(e)) => return Err(e),
            }
        }
    }

    /// The heads the version table records now.
    fn heads(&mut self) -> Result<BTreeSet<usize>> {
        let rows = version::read_heads(self.backend)?;
        Ok(State::from_rows(self.graph, &rows)?.heads)
    }

    /// `another process migrated the database (from X to Y) while this one waited for
    /// the migration lock`, when the heads `before` the lock are not those `now`.
    fn moved(&self, before: &BTreeSet<usize>, now: &BTreeSet<usize>) -> Option<String> {
        (before != now).then(|| {
            format!(
                "another process migrated the database (from {} to {}) while this one waited for the migration lock",
                describe_heads(self.graph, before),
                describe_heads(self.graph, now)
            )
        })
    }

    /// Records `targets` as applied without running anything. `purge` ignores (and
    /// removes) whatever the version table says now.
    pub fn stamp(&mut self, targets: &[Target], purge: bool) -> Result<BTreeSet<usize>> {
        self.locked(|m| m.stamp_locked(targets, purge))
    }

    fn stamp_locked(&mut self, targets: &[Target], purge: bool) -> Result<BTreeSet<usize>> {
        let graph = self.graph;
        version::ensure_tables_in_transaction(self.backend)?;
        if let Some(found) = progress::read(self.backend)? {
            return Err(self.interrupted(&found));
        }
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

    /// The revisions `rehash` would record: of `only` (all applied ones by default), those
    /// whose file differs from what ran. Reads only, so a command can find that there is
    /// nothing to do without writing.
    pub fn to_rehash(&mut self, only: Option<&[usize]>) -> Result<Vec<usize>> {
        let graph = self.graph;
        let rows = version::read_heads(self.backend)?;
        let state = State::from_rows(graph, &rows)?;
        let records = version::read_applied_records(self.backend)?;
        let selected: Vec<usize> = match only {
            Some(only) => {
                if let Some(&i) = only.iter().find(|&&i| !state.applied[i]) {
                    return Err(Error::script(format!(
                        "revision {} is not applied to the database; rehash records the text of applied revisions only",
                        graph.revision(i).id
                    )));
                }
                let mut only = only.to_vec();
                only.sort_unstable();
                only.dedup();
                only
            }
            None => (0..graph.len()).filter(|&i| state.applied[i]).collect(),
        };
        Ok(selected
            .into_iter()
            .filter(|&i| {
                let revision = graph.revision(i);
                let applied = records.get(&revision.id).and_then(|r| r.checksum.as_ref());
                applied != Some(&revision.checksum())
            })
            .collect())
    }

    /// Records the current text of applied revisions as the text that ran (after a
    /// deliberate edit), as [`Migrator::to_rehash`] selects them under the lock. Returns
    /// the revisions recorded.
    pub fn rehash(&mut self, only: Option<&[usize]>) -> Result<Vec<usize>> {
        self.locked(|m| {
            version::ensure_tables_in_transaction(m.backend)?;
            m.backend.begin()?;
            let result = (|| {
                let recorded = m.to_rehash(only)?;
                for &i in &recorded {
                    let revision = m.graph.revision(i);
                    let checksum = revision.checksum();
                    version::record(m.backend, &revision.id, Operation::Rehash, &checksum, 0)?;
                }
                Ok(recorded)
            })();
            finish(m.backend, result)
        })
    }

    /// The partly applied revision, if any (see [`progress`]).
    pub fn read_progress(&mut self) -> Result<Option<Progress>> {
        progress::read(self.backend)
    }

    /// `revision r2 (two) is partly applied: its upgrade stopped after statement 2 of 4
    /// (file:9), and statement 3 (line 11) failed: <message>`.
    pub fn describe_progress(&self, found: &Progress) -> String {
        let Some(index) = self.graph.find(&found.revision) else {
            return format!(
                "revision {} (whose file is not in the migrations) is partly applied: its {} stopped after {}",
                found.revision,
                verb(found.direction),
                statement_range(found.statements_done, found.statements_total)
            );
        };
        let revision = self.graph.revision(index);
        // Lines are those of the file as it is now, when the statements that ran are
        // still the same.
        let statements = self.statements(index, found.direction).ok().filter(|s| {
            s.len() >= found.statements_done
                && progress::statements_checksum(&s[..found.statements_done]) == found.done_checksum
        });
        let line_of = |n: usize| statements.as_ref().and_then(|s| s.get(n)).map(|s| s.line);
        let last = match found.statements_done.checked_sub(1).and_then(line_of) {
            Some(line) => format!(" ({}:{line})", revision.path.display()),
            None => String::new(),
        };
        let next = found.statements_done + 1;
        let next_line = line_of(found.statements_done)
            .map(|line| format!(" (line {line})"))
            .unwrap_or_default();
        let what_next = match &found.error {
            Some(error) => format!("statement {next}{next_line} failed: {error}"),
            None if found.statements_done >= found.statements_total => {
                "all its statements ran, but mb stopped before recording the revision".into()
            }
            None => format!(
                "mb stopped while statement {next}{next_line} ran (check whether it took effect)"
            ),
        };
        let started = found.started_at.split('.').next().unwrap_or_default();
        format!(
            "revision {} ({}) is partly applied: its {} (started {started} UTC) stopped after {}{last}, and {what_next}",
            revision.id,
            revision.message,
            verb(found.direction),
            statement_range(found.statements_done, found.statements_total),
        )
    }

    /// The refusal to migrate a database whose last revision stopped part way.
    fn interrupted(&self, found: &Progress) -> Error {
        let rest = if found.statements_done >= found.statements_total {
            "record it".to_string()
        } else {
            format!(
                "run statements {}-{}",
                found.statements_done + 1,
                found.statements_total
            )
        };
        Error::safety(format!(
            "{}; fix what stopped it and run `mb db {} --resume` to {rest}, or finish or undo it by hand and record that with `mb db resolve done` or `mb db resolve undone`",
            self.describe_progress(found),
            verb(found.direction),
        ))
    }

    /// A plan that first finishes the partly applied revision (from the statement after
    /// the last one that ran), then goes on towards `target`.
    fn plan_resume(
        &mut self,
        state: &State,
        direction: Direction,
        target: &Target,
    ) -> Result<Plan> {
        let graph = self.graph;
        let found = progress::read(self.backend)?.ok_or_else(|| {
            Error::script(format!(
                "there is no partly applied revision to resume; run `mb db {}` without --resume",
                verb(direction)
            ))
        })?;
        if found.direction != direction {
            return Err(Error::script(format!(
                "revision {} stopped part way through a {}; resume it with `mb db {} --resume`",
                found.revision,
                verb(found.direction),
                verb(found.direction)
            )));
        }
        let index = graph.find(&found.revision).ok_or_else(|| {
            Error::script(format!(
                "the partly applied revision {} is not in the migrations; restore its file, or finish or undo it by hand and run `mb db resolve done` or `mb db resolve undone`",
                found.revision
            ))
        })?;
        let statements = self.statements(index, direction)?;
        if statements.len() < found.statements_done
            || progress::statements_checksum(&statements[..found.statements_done])
                != found.done_checksum
        {
            return Err(Error::safety(format!(
                "the {} of revision {} that already ran changed since; resuming would skip SQL that never ran, so restore them, or finish or undo the revision by hand and run `mb db resolve done` or `mb db resolve undone`",
                statement_range(found.statements_done, found.statements_total),
                found.revision
            )));
        }
        let off_course = || {
            Error::script(format!(
                "the partly applied revision {} is not the first {} towards that target; resume with `mb db {} --resume {}`",
                found.revision,
                verb(direction),
                verb(direction),
                match direction {
                    Direction::Up => found.revision.clone(),
                    Direction::Down => "-1".into(),
                }
            ))
        };
        let (kind, steps) = match direction {
            Direction::Up => {
                let targets = plan::upgrade_targets(state, target)?;
                if !plan::upgrade_plan(state, &targets)
                    .iter()
                    .any(|s| s.revision == index)
                {
                    return Err(off_course());
                }
                let mut after = state.clone();
                let mut steps = vec![after.up(index)];
                steps.extend(plan::upgrade_plan(&after, &targets));
                (PlanKind::Upgrade { targets }, steps)
            }
            Direction::Down => {
                let steps = plan::downgrade_plan(state, target)?;
                if steps.first().map(|s| s.revision) != Some(index) {
                    return Err(off_course());
                }
                (PlanKind::Downgrade, steps)
            }
        };
        let mut plan = self.prepare(kind, &state.applied, steps)?;
        plan.resume = Some(found);
        Ok(plan)
    }

    /// Settles a partly applied revision that was finished (`done`) or undone by hand:
    /// records it as applied (or unapplied) without running SQL, or forgets the attempt.
    /// Returns what was settled and the heads after it.
    pub fn resolve(&mut self, done: bool) -> Result<(Progress, BTreeSet<usize>)> {
        self.locked(|m| {
            let graph = m.graph;
            let found = progress::read(m.backend)?.ok_or_else(|| {
                Error::script("there is nothing to resolve: no revision is partly applied")
            })?;
            m.backend.begin()?;
            let result = (|| {
                let rows = version::read_heads(m.backend)?;
                let mut state = State::from_rows(graph, &rows)?;
                if done {
                    let index = graph.find(&found.revision).ok_or_else(|| {
                        Error::script(format!(
                            "revision {} is not in the migrations, so mb cannot tell what applying it means; restore its file, or run `mb db resolve undone` and `mb db stamp`",
                            found.revision
                        ))
                    })?;
                    if state.applied[index] != (found.direction == Direction::Down) {
                        return Err(Error::script(format!(
                            "the version table already records revision {} as {}; run `mb db resolve undone` to forget the attempt",
                            found.revision,
                            if state.applied[index] { "applied" } else { "unapplied" }
                        )));
                    }
                    let (step, operation) = match found.direction {
                        Direction::Up => (state.up(index), Operation::Stamp),
                        Direction::Down => (state.down(index), Operation::Unstamp),
                    };
                    record_step(m.backend, graph, &step, operation, 0, &rows)?;
                }
                progress::clear(m.backend, &found.revision)?;
                Ok(state.heads.clone())
            })();
            let heads = finish(m.backend, result)?;
            Ok((found, heads))
        })
    }

    /// Validates stamp targets without writing, so a bad one is reported before a
    /// database is created.
    pub fn check_stamp(&mut self, targets: &[Target], purge: bool) -> Result<()> {
        let rows = version::read_heads(self.backend)?;
        let before = State::from_rows(self.graph, if purge { &[] } else { &rows })?;
        plan::stamp_state(&before, targets).map(|_| ())
    }

    /// Splits every step's SQL and renders its schema operations before anything runs
    /// (see [`simulate::steps_actions`]).
    fn prepare(&self, kind: PlanKind, applied: &Marks, steps: Vec<Step>) -> Result<Plan> {
        let actions = simulate::steps_actions(self.graph, applied, &steps, self.backend.dialect())?;
        Ok(Plan {
            kind,
            steps,
            actions,
            resume: None,
            single_transaction: false,
        })
    }

    /// The statements of one section of a revision, as they will run.
    fn statements(&self, index: usize, direction: Direction) -> Result<Vec<Statement>> {
        let revision = self.graph.revision(index);
        simulate::section_statements(revision, direction, self.backend.dialect())
    }

    fn run_steps(&mut self, plan: &CheckedPlan) -> Result<usize, StepError> {
        let CheckedPlan(plan) = plan;
        if plan.single_transaction {
            return self.run_in_one_transaction(plan);
        }
        let (graph, transactional_ddl) = (self.graph, self.backend.transactional_ddl());
        let in_parts = |done: usize, revision: &Revision| {
            (done == 0 && plan.resume.is_some()) || !transactional_ddl || revision.no_transaction
        };
        // Once per run, not per revision: on MySQL even `CREATE TABLE IF NOT EXISTS`
        // commits.
        let mut steps = plan.steps.iter().enumerate();
        if steps.any(|(done, step)| in_parts(done, graph.revision(step.revision))) {
            progress::ensure_table(self.backend)?;
        }
        // The version rows before the step, when the step before already recorded (in
        // its last transaction) that this one starts.
        let mut claimed: Option<Vec<String>> = None;
        for (done, (step, actions)) in plan.steps.iter().zip(&plan.actions).enumerate() {
            let revision = self.graph.revision(step.revision);
            let resume = plan.resume.as_ref().filter(|_| done == 0);
            let total = plan.steps.len();
            self.reporter.status(
                match actions.iter().find_map(|a| a.rebuilt_tables().first()) {
                    Some(table) => RunStatus::Rebuilding { done, total, table },
                    None => RunStatus::Step { done, total },
                },
            );
            // Said once the step's transaction found the database where the step starts:
            // a process that waited for the lock may find the step done by another.
            let line = match resume {
                Some(p) => format!(
                    "{} (resuming after statement {} of {})",
                    running_line(self.graph, step),
                    p.statements_done,
                    actions.len()
                ),
                None => running_line(self.graph, step),
            };
            let started = Instant::now();
            // Where DDL commits by itself (MySQL) the migration lock is held for the whole
            // run, so this step's last transaction may also claim the next step: one
            // commit, and one sync of the server's log, fewer per revision.
            let next = (plan.steps.get(done + 1))
                .filter(|next| {
                    !transactional_ddl && in_parts(done + 1, graph.revision(next.revision))
                })
                .map(|next| (next, plan.actions[done + 1].len()));
            let outcome = if !in_parts(done, revision) {
                self.run_step(step, revision, actions, &line, started)
            } else {
                let parts = Parts {
                    resumed: resume,
                    claimed: claimed.take(),
                    next,
                    line: &line,
                };
                self.run_step_in_parts(step, revision, actions, parts, started)
            };
            if let (Ok(()), Some((next, _))) = (&outcome, next) {
                claimed = Some(version_rows(graph, &next.heads_before));
            }
            match outcome {
                Err(StepError::Conflict { .. }) => return Err(StepError::Conflict { done }),
                Err(failed) => return Err(failed),
                Ok(()) => {}
            }
            self.reporter
                .detail(&|| format!("  done in {} ms", started.elapsed().as_millis()));
        }
        Ok(plan.steps.len())
    }

    /// Runs a step and its version-table update in one transaction.
    fn run_step(
        &mut self,
        step: &Step,
        revision: &Revision,
        actions: &[Action],
        line: &str,
        started: Instant,
    ) -> Result<(), StepError> {
        let foreign_keys_off = actions.iter().any(Action::foreign_keys_off);
        self.in_transaction(foreign_keys_off, |m| {
            let rows = m.check_heads(step)?;
            m.reporter.info(line);
            let undone = std::slice::from_ref(step);
            m.step_actions(revision, actions, foreign_keys_off, undone)?;
            m.finish_step(step, started.elapsed(), &rows)?;
            crash_point::reached(|| format!("before the commit of revision {}", revision.id));
            Ok(())
        })
    }

    /// Runs every step of `plan` and their version-table updates in one transaction
    /// (`--single-transaction`); a failure anywhere rolls them all back. The version and
    /// history rows are written after the last step's statements (nobody sees them before
    /// the commit): every step's schema change would otherwise make SQLite prepare mb's
    /// own statements again, one after another.
    fn run_in_one_transaction(&mut self, plan: &Plan) -> Result<usize, StepError> {
        let foreign_keys_off = plan.actions.iter().flatten().any(Action::foreign_keys_off);
        self.in_transaction(foreign_keys_off, |m| {
            let Some(first) = plan.steps.first() else {
                return Ok(0);
            };
            // The transaction keeps the version rows as the first step finds them.
            let mut rows = m.check_heads(first)?;
            let mut durations = Vec::with_capacity(plan.steps.len());
            for (step, actions) in plan.steps.iter().zip(&plan.actions) {
                m.reporter.info(&running_line(m.graph, step));
                let started = Instant::now();
                let revision = m.graph.revision(step.revision);
                m.step_actions(revision, actions, foreign_keys_off, &plan.steps)?;
                durations.push(started.elapsed());
                m.reporter
                    .detail(&|| format!("  done in {} ms", started.elapsed().as_millis()));
            }
            for (step, duration) in plan.steps.iter().zip(durations) {
                m.finish_step(step, duration, &rows)?;
                rows = version_rows(m.graph, &step.heads_after);
            }
            crash_point::reached(|| {
                let last = plan.steps.last().unwrap_or(first);
                format!(
                    "before the commit of revision {}",
                    m.graph.revision(last.revision).id
                )
            });
            Ok(plan.steps.len())
        })
    }

    /// Runs `work` in a transaction, committed when it succeeds. SQLite's table rebuilds
    /// need foreign keys off, which only works outside a transaction; with
    /// `foreign_keys_off` they are off throughout and the work checks them itself.
    fn in_transaction<T>(
        &mut self,
        foreign_keys_off: bool,
        work: impl FnOnce(&mut Self) -> Result<T, StepError>,
    ) -> Result<T, StepError> {
        if foreign_keys_off {
            self.backend.set_foreign_keys(false)?;
        }
        let outcome = self
            .backend
            .begin()
            .map_err(StepError::Failed)
            .and_then(|()| work(self));
        let finished = finish(self.backend, outcome);
        if foreign_keys_off {
            self.backend.set_foreign_keys(true)?;
        }
        finished
    }

    /// Inside an open transaction: runs a step's actions and checks foreign keys when
    /// they are off. A failure says that the `undone` steps (those of the transaction)
    /// were rolled back.
    fn step_actions(
        &mut self,
        revision: &Revision,
        actions: &[Action],
        check_foreign_keys: bool,
        undone: &[Step],
    ) -> Result<(), StepError> {
        for action in actions {
            if let Err((sql, message)) = self.execute(action)? {
                let outcome = self.rolled_back(undone);
                let line = action.source().line;
                return Err(self.statement_error(revision, line, &sql, &message, &outcome));
            }
        }
        if check_foreign_keys {
            let violations = self.backend.foreign_key_violations()?;
            if !violations.is_empty() {
                return Err(StepError::Failed(Error::database(format!(
                    "{}: the revision leaves rows whose foreign keys point nowhere ({}); {}",
                    revision.path.display(),
                    violations.join("; "),
                    self.rolled_back(undone)
                ))));
            }
        }
        Ok(())
    }

    /// Runs a step statement by statement, recording after each one how many have run,
    /// for databases whose DDL commits by itself and for `-- mb:no-transaction`
    /// revisions. The progress table exists ([`Migrator::run_steps`] made sure).
    fn run_step_in_parts(
        &mut self,
        step: &Step,
        revision: &Revision,
        actions: &[Action],
        parts: Parts,
        started: Instant,
    ) -> Result<(), StepError> {
        let Parts {
            resumed,
            claimed,
            next,
            line,
        } = parts;
        let mut from = resumed.map_or(0, |p| p.statements_done);
        let rows = match claimed {
            Some(rows) => rows,
            None => self.claim_step(step, revision, actions.len(), from)?,
        };
        self.reporter.info(line);
        // The statement an interrupted attempt was running when it stopped is in doubt,
        // unless the catalog shows which way it went.
        let mut in_doubt = resumed
            .filter(|p| p.error.is_none() && p.statements_done < actions.len())
            .map(|p| p.statements_done);
        if let Some(index) = in_doubt {
            match self.took_effect(&actions[index])? {
                Some((true, evidence)) => {
                    self.backend.begin()?;
                    let done =
                        progress::statements_checksum(actions[..=index].iter().map(Action::source));
                    let advanced = progress::advance(self.backend, &revision.id, index + 1, &done);
                    finish(self.backend, advanced)?;
                    self.reporter.info(&format!(
                        "Statement {} ({}:{}) took effect before mb was stopped ({evidence}); going on after it.",
                        index + 1,
                        revision.path.display(),
                        actions[index].source().line
                    ));
                    from = index + 1;
                    in_doubt = None;
                }
                Some((false, _)) => in_doubt = None,
                None => {}
            }
        }
        // Each statement commits together with its progress record (a DDL statement on
        // MySQL commits by itself just before), so the record is exact after a failure.
        // A no-transaction revision's statements must run outside any transaction.
        let wrap = !revision.no_transaction;
        for (index, action) in actions.iter().enumerate().skip(from) {
            if wrap {
                self.backend.begin()?;
            }
            if let Err((sql, message)) = self.execute(action)? {
                // A rollback that fails (the connection is gone) is told by recording
                // the failure, which fails the same way.
                if wrap {
                    let _ = self.backend.rollback();
                }
                let failed = Failed {
                    line: action.source().line,
                    sql: &sql,
                    message: &message,
                    done: index,
                    total: actions.len(),
                };
                // An in-doubt statement may have taken effect before, whatever running it
                // again says now.
                return Err(self.stop_part_way(
                    step,
                    revision,
                    failed,
                    resumed.is_some(),
                    in_doubt == Some(index),
                ));
            }
            let done = progress::statements_checksum(actions[..=index].iter().map(Action::source));
            progress::advance(self.backend, &revision.id, index + 1, &done)?;
            crash_point::reached(|| {
                format!(
                    "before the commit of statement {} of revision {}",
                    index + 1,
                    revision.id
                )
            });
            if wrap {
                self.backend.commit()?;
            }
        }
        self.backend.begin()?;
        let finished = self
            .finish_step(step, started.elapsed(), &rows)
            .and_then(|()| Ok(progress::clear(self.backend, &revision.id)?))
            .and_then(|()| match next {
                Some((next, statements)) => {
                    let next_revision = self.graph.revision(next.revision);
                    Ok(progress::start(
                        self.backend,
                        &started_progress(next, next_revision, statements),
                    )?)
                }
                None => Ok(()),
            })
            .inspect(|()| {
                crash_point::reached(|| format!("before the commit of revision {}", revision.id))
            });
        finish(self.backend, finished)?;
        if let Some((next, _)) = next {
            crash_point::reached(|| {
                let next = &self.graph.revision(next.revision).id;
                format!(
                    "after the commit of revision {}, which records {next} as started",
                    revision.id
                )
            });
        }
        Ok(())
    }

    /// Checks that the database is where `step` starts and records that it starts (or,
    /// with `--resume`, goes on after statement `from`); returns the version rows.
    fn claim_step(
        &mut self,
        step: &Step,
        revision: &Revision,
        statements: usize,
        from: usize,
    ) -> Result<Vec<String>, StepError> {
        self.backend.begin()?;
        let claimed = (|| {
            let rows = self.check_heads(step)?;
            match progress::read_existing(self.backend)? {
                None => {
                    progress::start(self.backend, &started_progress(step, revision, statements))?
                }
                Some(found) if from > 0 || found.revision == revision.id => {
                    progress::advance(self.backend, &revision.id, from, &found.done_checksum)?
                }
                Some(found) => {
                    return Err(StepError::Failed(Error::new(
                        ErrorKind::Lock,
                        format!(
                            "another mb process is applying revision {} outside a transaction right now; wait for it to finish and run the command again",
                            found.revision
                        ),
                    )));
                }
            }
            Ok(rows)
        })();
        // The lock keeps the rows as they are until the step is recorded.
        finish(self.backend, claimed)
    }

    /// After statement `done + 1` of a step in parts failed: records the failure, or,
    /// when this run started the step and nothing of it ran, forgets the attempt; says
    /// where the database is. A record that an earlier run made (`resumed`) is never
    /// deleted by a failure: what it stands for is only settled by a statement that
    /// runs, or by `mb db resolve`.
    fn stop_part_way(
        &mut self,
        step: &Step,
        revision: &Revision,
        failed: Failed,
        resumed: bool,
        in_doubt: bool,
    ) -> StepError {
        let Failed { done, total, .. } = failed;
        let forget = done == 0 && !resumed;
        let recorded = (|| -> Result<()> {
            // An in-doubt statement stays recorded as one: its failure now does not say
            // what the interrupted attempt did.
            if in_doubt {
                return Ok(());
            }
            self.backend.begin()?;
            match forget {
                true => progress::clear(self.backend, &revision.id)?,
                false => progress::record_error(self.backend, &revision.id, failed.message)?,
            }
            self.backend.commit()
        })();
        let verb = verb(step.direction);
        let partly = format!(
            "revision {} is partly applied on top of {}",
            revision.id,
            describe_heads(self.graph, &step.heads_before)
        );
        let next = done + 1;
        let where_it_is = match (recorded, forget) {
            (Ok(()), true) => self.rolled_back(std::slice::from_ref(step)),
            (Ok(()), false) if in_doubt => format!(
                "{}, so {partly}, as {} records: an earlier attempt was stopped while statement {next} ran, so it may have taken effect then (its failure now can mean it did); if it did, run the statements after it by hand and `mb db resolve done`; if it did not, fix it and run `mb db {verb} --resume`; or undo the revision by hand and run `mb db resolve undone`",
                self.why_in_parts(revision),
                progress::PROGRESS_TABLE,
            ),
            (Ok(()), false) if done == 0 => format!(
                "{partly} as {} records, although none of its statements ran; fix the statement and run `mb db {verb} --resume`, or run `mb db resolve undone` to forget the attempt",
                progress::PROGRESS_TABLE,
            ),
            (Ok(()), false) => format!(
                "{}, so {partly}: {} ran and {} applied (recorded in {}); fix the statement and run `mb db {verb} --resume`, or undo them by hand and run `mb db resolve undone`",
                self.why_in_parts(revision),
                statement_range(done, total),
                if done == 1 { "stays" } else { "stay" },
                progress::PROGRESS_TABLE,
            ),
            // The connection is gone (the statement's failure was that, most likely).
            (Err(lost), _) => format!(
                "mb could not record the failure ({}), so {partly}: {} says {} ran, and statement {next} may or may not have taken effect; run `mb db current` to see the record, then `mb db {verb} --resume` if the statement did not take effect, or finish the revision by hand and run `mb db resolve done`",
                lost.message,
                progress::PROGRESS_TABLE,
                statement_range(done, total),
            ),
        };
        self.statement_error(
            revision,
            failed.line,
            failed.sql,
            failed.message,
            &where_it_is,
        )
    }

    /// Whether the catalog shows that `action`, a statement in doubt, took effect, and
    /// what shows it; `None` when it cannot tell. It can for a schema operation that is
    /// one statement and whose effect is whether a table exists.
    fn took_effect(&mut self, action: &Action) -> Result<Option<(bool, String)>> {
        let Action::Schema { op, rendered, .. } = action else {
            return Ok(None);
        };
        if rendered.statements.len() != 1 || !rendered.rebuilt_tables.is_empty() {
            return Ok(None);
        }
        let said = |name: &str, exists: bool| match exists {
            true => format!("table \"{name}\" exists"),
            false => format!("table \"{name}\" does not exist"),
        };
        Ok(match op.as_ref() {
            Op::CreateTable(table) => {
                let exists = self.backend.table_exists(&table.name)?;
                Some((exists, said(&table.name, exists)))
            }
            Op::DropTable { name } => {
                let exists = self.backend.table_exists(name)?;
                Some((!exists, said(name, exists)))
            }
            Op::RenameTable { from, to } => {
                let (old, new) = (
                    self.backend.table_exists(from)?,
                    self.backend.table_exists(to)?,
                );
                (old != new).then(|| (new, format!("{} and {}", said(to, new), said(from, old))))
            }
            _ => None,
        })
    }

    fn why_in_parts(&self, revision: &Revision) -> String {
        if !self.backend.transactional_ddl() {
            format!("{} commits DDL as it runs", self.backend.dialect().name())
        } else {
            debug_assert!(revision.no_transaction);
            format!(
                "the revision runs outside a transaction ({})",
                crate::script::revision::NO_TRANSACTION_MARKER
            )
        }
    }

    /// Runs the SQL of one action (a rebuilt SQLite table gets its triggers back); a
    /// statement the database refuses comes back as `Ok(Err((sql, message)))`.
    fn execute(&mut self, action: &Action) -> Result<std::result::Result<(), (String, String)>> {
        let (statements, rebuilt) = match action {
            Action::Verbatim(statement) => (std::slice::from_ref(&statement.sql), &[][..]),
            Action::Schema { rendered, .. } => {
                (&rendered.statements[..], &rendered.rebuilt_tables[..])
            }
        };
        let triggers = self.backend.triggers_on(rebuilt)?;
        for sql in statements.iter().chain(&triggers) {
            self.reporter
                .detail(&|| format!("  {}", one_line(sql, 200)));
            if let Err(message) = self.backend.execute(sql) {
                return Ok(Err((sql.clone(), message)));
            }
            crash_point::reached(|| format!("after {}", one_line(sql, 120)));
        }
        Ok(Ok(()))
    }

    /// `file:line: message; the statement was: …; <where the database is>`.
    fn statement_error(
        &self,
        revision: &Revision,
        line: usize,
        sql: &str,
        message: &str,
        outcome: &str,
    ) -> StepError {
        StepError::Failed(Error::database(format!(
            "{}:{line}: {message}; the statement was: {}; {outcome}",
            revision.path.display(),
            one_line(sql, 160),
        )))
    }

    /// Where the database is after a transaction that ran `steps` rolled back.
    fn rolled_back(&self, steps: &[Step]) -> String {
        let at = describe_heads(self.graph, &steps[0].heads_before);
        match steps {
            [step] => format!(
                "revision {} was rolled back, the database is still at {at}",
                self.graph.revision(step.revision).id
            ),
            _ => format!(
                "all {} revisions were rolled back (--single-transaction), the database is still at {at}",
                steps.len()
            ),
        }
    }

    /// Fails with a conflict when the version rows do not stand for what the plan
    /// expected; returns the rows as they are. Runs after the version table was made.
    fn check_heads(&mut self, step: &Step) -> Result<Vec<String>, StepError> {
        let rows = version::read_existing_heads(self.backend)?;
        // The rows are usually exactly the expected heads; only other rows need the
        // revision graph (walking it for every step made long upgrades quadratic).
        let expected = step
            .heads_before
            .iter()
            .map(|&i| &self.graph.revision(i).id);
        if rows.len() == step.heads_before.len()
            && rows.iter().all(|row| expected.clone().any(|id| id == row))
        {
            return Ok(rows);
        }
        match State::from_rows(self.graph, &rows) {
            Ok(state) if state.heads == step.heads_before => Ok(rows),
            _ => Err(StepError::Conflict { done: 0 }),
        }
    }

    /// The version-table update and the history entry of a step; `rows` are the
    /// version rows before it.
    fn finish_step(
        &mut self,
        step: &Step,
        took: Duration,
        rows: &[String],
    ) -> Result<(), StepError> {
        let operation = match step.direction {
            Direction::Up => Operation::Upgrade,
            Direction::Down => Operation::Downgrade,
        };
        let elapsed = took.as_millis();
        Ok(record_step(
            self.backend,
            self.graph,
            step,
            operation,
            elapsed,
            rows,
        )?)
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

/// Replaces the version rows `rows` with the heads after `step` and logs `operation` of
/// its revision. Going from the rows as they are (not as the plan normalized them) also
/// removes a row that another row implies, which a hand-made table may have.
fn record_step(
    backend: &mut dyn Backend,
    graph: &RevisionGraph,
    step: &Step,
    operation: Operation,
    duration_ms: u128,
    rows: &[String],
) -> Result<()> {
    let after: Vec<&str> = step
        .heads_after
        .iter()
        .map(|&i| graph.revision(i).id.as_str())
        .collect();
    let delete: Vec<&str> = rows
        .iter()
        .map(String::as_str)
        .filter(|row| !after.contains(row))
        .collect();
    let insert: Vec<&str> = after
        .iter()
        .copied()
        .filter(|id| !rows.iter().any(|row| row == id))
        .collect();
    version::update_heads(backend, &delete, &insert)?;
    let revision = graph.revision(step.revision);
    version::record(
        backend,
        &revision.id,
        operation,
        &revision.checksum(),
        duration_ms,
    )
}

/// The applied revisions (by the version `rows`) whose file no longer has the checksum
/// the history `records` noted when it ran. Rows naming revisions that have no file are
/// left to the commands that need them.
pub fn changed_scripts(
    graph: &RevisionGraph,
    rows: &[String],
    records: &HashMap<String, AppliedRecord>,
) -> Result<Vec<ChangedScript>> {
    let rows: Vec<String> = rows
        .iter()
        .filter(|id| graph.find(id).is_some())
        .cloned()
        .collect();
    let state = State::from_rows(graph, &rows)?;
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

/// Refuses `--single-transaction` where one transaction cannot hold every step: on a
/// database whose DDL commits by itself, or with a revision that must run outside any
/// transaction.
fn check_one_transaction(graph: &RevisionGraph, dialect: Dialect, steps: &[Step]) -> Result<()> {
    if !dialect.transactional_ddl() {
        return Err(Error::safety(format!(
            "--single-transaction needs DDL that can be rolled back, and {} commits each DDL statement by itself; run without it (each revision then records its progress so an interrupted one can be resumed)",
            dialect.name()
        )));
    }
    match steps
        .iter()
        .map(|step| graph.revision(step.revision))
        .find(|revision| revision.no_transaction)
    {
        Some(revision) => Err(Error::safety(format!(
            "{}: the revision is marked {} and cannot run inside one transaction with the others; run without --single-transaction, or up to the revision before it first",
            revision.path.display(),
            crate::script::revision::NO_TRANSACTION_MARKER
        ))),
        None => Ok(()),
    }
}

/// The version rows that record `heads`, sorted as [`version::read_existing_heads`]
/// returns them.
fn version_rows(graph: &RevisionGraph, heads: &BTreeSet<usize>) -> Vec<String> {
    let mut rows: Vec<String> = heads
        .iter()
        .map(|&i| graph.revision(i).id.clone())
        .collect();
    rows.sort();
    rows
}

/// Commits on success, rolls back on failure, and returns `result`. A rollback that
/// fails (the connection to the server was lost) does not hide the failure it follows.
fn finish<T, E: From<Error> + Unrolled>(
    backend: &mut dyn Backend,
    result: Result<T, E>,
) -> Result<T, E> {
    match result {
        Ok(value) => {
            backend.commit()?;
            Ok(value)
        }
        Err(e) => match backend.rollback() {
            Ok(()) => Err(e),
            Err(rollback) => Err(e.unrolled(&rollback)),
        },
    }
}

/// A failure after which mb could not roll back.
trait Unrolled {
    /// The failure, saying that the rollback failed with `rollback` (the connection is
    /// gone, most likely) and that the database does not commit what was not committed.
    fn unrolled(self, rollback: &Error) -> Self;
}

impl Unrolled for Error {
    fn unrolled(self, rollback: &Error) -> Self {
        Error::new(
            self.kind,
            format!(
                "{}; mb could not roll back ({}), but nothing of it was committed: the database ends a transaction whose connection is gone without committing it",
                self.message, rollback.message
            ),
        )
    }
}

impl Unrolled for StepError {
    fn unrolled(self, rollback: &Error) -> Self {
        match self {
            StepError::Failed(e) => StepError::Failed(e.unrolled(rollback)),
            conflict => conflict,
        }
    }
}

/// `statement 1 of 4`, `statements 1-3 of 4`.
fn statement_range(done: usize, total: usize) -> String {
    match done {
        0 => format!("0 of {total} statements"),
        1 => format!("statement 1 of {total}"),
        _ => format!("statements 1-{done} of {total}"),
    }
}

/// The command that runs steps in `direction`.
fn verb(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "upgrade",
        Direction::Down => "downgrade",
    }
}

/// A statement of a step in parts that the database refused: statement `done + 1` of
/// `total`, at `line` of the revision file.
struct Failed<'a> {
    line: usize,
    sql: &'a str,
    message: &'a str,
    done: usize,
    total: usize,
}

/// How [`Migrator::run_step_in_parts`] runs a step.
struct Parts<'a> {
    /// The progress record the step resumes from (`--resume`): its statements ran before.
    resumed: Option<&'a Progress>,
    /// The version rows, when the step before recorded that this one starts.
    claimed: Option<Vec<String>>,
    /// The next step and its statement count, to record as started in the same
    /// transaction that finishes this one.
    next: Option<(&'a Step, usize)>,
    /// The progress line, said once the step is claimed.
    line: &'a str,
}

/// The progress record of a step that is about to run its first statement.
fn started_progress(step: &Step, revision: &Revision, statements: usize) -> Progress {
    Progress {
        revision: revision.id.clone(),
        direction: step.direction,
        checksum: revision.checksum(),
        statements_done: 0,
        statements_total: statements,
        done_checksum: progress::statements_checksum([]),
        started_at: version::now(),
        error: None,
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

/// `text` with its first letter upper case, to start a line.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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
/// without a database. `single_transaction` puts all steps in one transaction.
pub fn offline_script(
    graph: &RevisionGraph,
    dialect: Dialect,
    state: &State,
    steps: &[Step],
    single_transaction: bool,
) -> Result<String> {
    if single_transaction {
        check_one_transaction(graph, dialect, steps)?;
    }
    let sections = simulate::steps_actions(graph, &state.applied, steps, dialect)?;
    let mut out = String::new();
    for statement in version::create_tables_sql(dialect) {
        out.push_str(&format!("{statement};\n"));
    }
    let whole = single_transaction.then(|| Wrapping::around(sections.iter().flatten()));
    if let Some(whole) = &whole {
        out.push_str(whole.begin);
    }
    let mut bookkeeping = String::new();
    for (step, actions) in steps.iter().zip(&sections) {
        let revision = graph.revision(step.revision);
        // A no-transaction revision runs outside a transaction (see `run_step_in_parts`).
        let own = match whole.is_some() || revision.no_transaction {
            true => Wrapping::NONE,
            false => Wrapping::around(actions.iter()),
        };
        out.push_str(&format!("\n-- {}\n", running_line(graph, step)));
        out.push_str(own.begin);
        let marked = data_loss::section_allows_data_loss(revision, step.direction);
        for action in actions {
            match action {
                Action::Verbatim(statement) => out.push_str(&format!("{};\n", statement.sql)),
                Action::Schema {
                    rendered, at_risk, ..
                } => {
                    // Offline, nothing can be counted: say what could be lost instead.
                    if let Some(at_risk) = at_risk.as_ref().filter(|_| !marked) {
                        out.push_str(&format!(
                            "-- WARNING: this {}; mb cannot count rows without a database, so check before running it\n",
                            at_risk.warning()
                        ));
                    }
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
        out.push_str(own.check);
        // In one transaction the version and history rows come after every revision's
        // statements, as `run_in_one_transaction` writes them.
        let records = match whole {
            Some(_) => &mut bookkeeping,
            None => &mut out,
        };
        let (delete, insert) = step.head_changes();
        let ids = |list: Vec<usize>| {
            list.into_iter()
                .map(|i| graph.revision(i).id.as_str())
                .collect::<Vec<_>>()
        };
        for statement in version::update_heads_statements(dialect, &ids(delete), &ids(insert)) {
            records.push_str(&format!("{};\n", statement.inlined(dialect)));
        }
        let operation = match step.direction {
            Direction::Up => Operation::Upgrade,
            Direction::Down => Operation::Downgrade,
        };
        let record =
            version::record_statement(dialect, &revision.id, operation, &revision.checksum(), 0);
        records.push_str(&format!("{};\n", record.inlined(dialect)));
        out.push_str(own.commit);
    }
    if let Some(whole) = &whole {
        out.push_str(&format!(
            "\n-- The version and history rows\n{bookkeeping}{}{}",
            whole.check, whole.commit
        ));
    }
    Ok(out)
}

/// The statements around a transaction of the offline script: SQLite's table rebuilds
/// need foreign keys off outside it and checked before its commit.
struct Wrapping {
    begin: &'static str,
    check: &'static str,
    commit: &'static str,
}

impl Wrapping {
    const NONE: Wrapping = Wrapping {
        begin: "",
        check: "",
        commit: "",
    };

    fn around<'a>(mut actions: impl Iterator<Item = &'a Action>) -> Wrapping {
        match actions.any(Action::foreign_keys_off) {
            true => Wrapping {
                begin: "PRAGMA foreign_keys = OFF;\nBEGIN;\n",
                check: "PRAGMA foreign_key_check;\n",
                commit: "COMMIT;\nPRAGMA foreign_keys = ON;\n",
            },
            false => Wrapping {
                begin: "BEGIN;\n",
                check: "",
                commit: "COMMIT;\n",
            },
        }
    }
}
