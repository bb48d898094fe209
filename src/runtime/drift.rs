//! Drift: where a database differs from what its migrations build. The **expected
//! schema** of a database is what the revisions its version table records build (the
//! simulation of [`simulate::schema_after`]; the empty schema at base or without a
//! version table). The drift is `diff(expected, live)`: tables that no revision created
//! (`db.create_all()`), columns and indexes made or dropped by hand. mb's own tables
//! never count (introspection leaves them out). See docs/drift.md.

use super::data_loss::{loss_text, rows_at_risk};
use super::plan::State;
use super::simulate::{self, Action};
use super::{Migrator, Plan, finish, progress, version};
use crate::autogenerate;
use crate::dialect::Dialect;
use crate::ops::Op;
use crate::schema::{Schema, quoted};
use crate::script::split::Statement;
use crate::text::plural;
use crate::{Error, Result};

/// A database compared with its expected schema.
#[derive(Debug)]
pub struct Drift {
    /// What the migrations build at the revisions the database records.
    pub expected: Schema,
    /// The database as it is, read through the database against `expected` (and the
    /// other known schemas given), so that objects stored alike read back alike.
    pub live: Schema,
    /// `diff(expected, live)`: what was done to the database outside the migrations.
    pub ops: Vec<Op>,
    /// What the database has that mb leaves alone (not in `live`, never drift).
    pub unmanaged: Vec<crate::backend::Unmanaged>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// One line per drifted object, e.g. `table "user" is in app.db, but no revision
    /// creates it`; `database` is where the database is.
    /// The indexes and constraints of a table that no revision created go with its line.
    pub fn objects(&self, database: &str) -> Vec<String> {
        let unadopted = |name: &str| {
            self.ops
                .iter()
                .any(|op| matches!(op, Op::CreateTable(t) if t.name == name))
        };
        self.ops
            .iter()
            .filter(|op| match op {
                Op::CreateIndex { table, .. } | Op::AddConstraint { table, .. } => {
                    !unadopted(table)
                }
                _ => true,
            })
            .map(|op| drifted_object(op, database))
            .collect()
    }

    /// What puts the database back at its expected schema: `diff(live, expected)`.
    pub fn revert_ops(&self) -> Vec<Op> {
        autogenerate::diff(&self.live, &self.expected)
    }

    /// What puts the database back, rendered for `dialect` against the live schema.
    pub fn revert_actions(&self, dialect: Dialect) -> Result<Vec<Action>> {
        let mut schema = self.live.clone();
        self.revert_ops()
            .into_iter()
            .map(|op| {
                let rendered = dialect.render_applying(&op, &mut schema)?;
                Ok(Action::Schema {
                    source: Statement {
                        sql: op.to_sql(),
                        line: 0,
                    },
                    op: Box::new(op),
                    rendered,
                    at_risk: None,
                })
            })
            .collect()
    }

    /// The SQL that puts the database back, for `dialect`, one statement a line-group
    /// each ending in `;` (empty without drift).
    pub fn revert_sql(&self, dialect: Dialect) -> Result<String> {
        let mut sql = String::new();
        for action in self.revert_actions(dialect)? {
            if let Action::Schema { rendered, .. } = action {
                for statement in rendered.statements {
                    sql.push_str(&statement);
                    sql.push_str(";\n");
                }
            }
        }
        Ok(sql.trim_end().to_string())
    }

    /// The two schemas as a unified diff of their `schema.sql` text, expected first.
    pub fn unified_diff(&self, database: &str) -> String {
        let diff = similar::TextDiff::from_lines(
            autogenerate::schema_sql(&self.expected),
            autogenerate::schema_sql(&self.live),
        )
        .unified_diff()
        .context_radius(3)
        .header("what the migrations build", database)
        .to_string();
        diff.trim_end().to_string()
    }
}

/// What a drifted object is, in words: `op` is one operation of `diff(expected, live)`.
fn drifted_object(op: &Op, database: &str) -> String {
    let q = |name: &str| quoted(name);
    let column = |table: &str, column: &str| format!("{}.{}", quoted(table), quoted(column));
    let unmade = |kind: &str, name: &str| {
        format!(
            "{kind} {} is in {database}, but no revision creates it",
            q(name)
        )
    };
    let gone = |kind: &str, name: &str| {
        format!(
            "{kind} {} is created by a revision, but is not in {database}",
            q(name)
        )
    };
    match op {
        Op::CreateTable(table) => unmade("table", &table.name),
        Op::DropTable { name } => gone("table", name),
        Op::CreateView(view) => unmade("view", &view.name),
        Op::DropView { name } => gone("view", name),
        Op::AddColumn { table, column: c } => format!(
            "column {} was added to {database} by hand",
            column(table, &c.name)
        ),
        Op::DropColumn { table, column: c } => format!(
            "column {} was dropped from {database} by hand",
            column(table, c)
        ),
        Op::AlterColumn {
            table,
            column: c,
            change,
        } => format!(
            "column {} was changed in {database} by hand ({})",
            column(table, c),
            change.describe()
        ),
        Op::CreateIndex { table, index, .. } => format!(
            "{}index {} on {} was added to {database} by hand",
            if index.unique { "unique " } else { "" },
            q(&index.name),
            q(table)
        ),
        Op::DropIndex { name, .. } => {
            format!("index {} was dropped from {database} by hand", q(name))
        }
        Op::AddConstraint { table, constraint } => format!(
            "constraint {} on {} was added to {database} by hand",
            q(constraint.name()),
            q(table)
        ),
        Op::DropConstraint { table, name } => format!(
            "constraint {} on {} was dropped from {database} by hand",
            q(name),
            q(table)
        ),
        // A diff without rename hints never renames; said plainly should it ever.
        Op::RenameTable { .. } | Op::RenameColumn { .. } => {
            format!("{} in {database} by hand", op.summary())
        }
    }
}

/// The ways out of drift, for the `error:` line of a command that refuses because of it:
/// keep it, or put the database back; a project without revisions can also adopt the
/// whole database.
pub fn ways_out(has_revisions: bool) -> String {
    let mut ways = "keep these changes with `mb db adopt -m \"…\"` (a revision that records them), or put the database back with `mb db drift --revert` (`mb db drift --sql` shows the SQL)".to_string();
    if !has_revisions {
        ways.push_str(", or adopt the whole database with `mb db init --from-database`");
    }
    ways
}

impl Migrator<'_> {
    /// The database compared with its expected schema; `known` are further schemas to
    /// read it against (the declared one).
    pub fn drift(&mut self, known: &[&Schema]) -> Result<Drift> {
        let rows = version::read_heads(self.backend)?;
        self.drift_at(&rows, known)
    }

    /// [`Migrator::drift`] for a database whose version rows are `rows`.
    fn drift_at(&mut self, rows: &[String], known: &[&Schema]) -> Result<Drift> {
        let state = State::from_rows(self.graph, rows)?;
        let mut expected =
            simulate::schema_after(self.graph, &state.applied, self.backend.dialect())?;
        let mut against = vec![&expected];
        against.extend_from_slice(known);
        let mut introspected = self.backend.introspect_against(&against)?;
        // What the project excludes is neither built nor read: it is never drift.
        if let Some(exclude) = self.exclude {
            introspected.exclude(exclude);
            exclude.apply(Some(&introspected.namespace), &mut expected);
        }
        let (live, unmanaged) = (introspected.schema, introspected.unmanaged);
        let ops = autogenerate::diff(&expected, &live);
        Ok(Drift {
            expected,
            live,
            ops,
            unmanaged,
        })
    }

    /// Before `plan` runs: with drift, applies the plan's schema operations to the live
    /// schema. One that cannot apply there (a table that already exists, a column that is
    /// missing) refuses the plan before anything runs, naming the statement, the drift
    /// and the ways out; when all apply, the drift is a warning. A database with a partly
    /// applied revision is left alone: what of it ran is drift of its own, and the run
    /// resumes it or reports it.
    pub(super) fn check_drift(&mut self, plan: &Plan) -> Result<()> {
        let Some(first) = plan.steps.first() else {
            return Ok(());
        };
        if plan.resume.is_some() || progress::read(self.backend)?.is_some() {
            return Ok(());
        }
        // Another process migrating meanwhile commits revisions between the reads: the
        // drift is only what the database shows at the plan's start, read with the same
        // version rows before and after and no revision part way. Otherwise the run finds
        // the other process's work itself and plans again.
        let rows = version::read_heads(self.backend)?;
        if State::from_rows(self.graph, &rows)?.heads != first.heads_before {
            return Ok(());
        }
        let drift = self.drift_at(&rows, &[])?;
        if drift.is_empty()
            || version::read_heads(self.backend)? != rows
            || progress::read(self.backend)?.is_some()
        {
            return Ok(());
        }
        let database = self.backend.location();
        let mut live = drift.live.clone();
        let mut failure = None;
        'steps: for (step, actions) in plan.steps.iter().zip(&plan.actions) {
            for action in actions {
                let Action::Schema { source, op, .. } = action else {
                    continue;
                };
                if let Err(e) = op.apply(&mut live) {
                    let revision = self.graph.revision(step.revision);
                    failure = Some(format!(
                        "{}:{}: {}",
                        revision.path.display(),
                        source.line,
                        e.message
                    ));
                    break 'steps;
                }
            }
        }
        let objects = drift.objects(&database);
        let count = plural(objects.len(), "drifted object");
        let Some(failure) = failure else {
            for object in objects {
                self.reporter.warn(&format!("warning: {object}"));
            }
            return Ok(());
        };
        for object in objects {
            self.reporter.warn(&object);
        }
        Err(Error::safety(format!(
            "{failure}; it would fail on {database}, which differs from what its migrations build ({count} above), so nothing was run; {}",
            ways_out(!self.graph.is_empty())
        )))
    }

    /// Puts the database back at its expected schema, holding the migration lock, in one
    /// transaction where the database's DDL allows (SQLite, PostgreSQL). The drift is
    /// read again under the lock; data the revert would destroy (a hand-added column
    /// holding values) is refused unless `allow_data_loss`. Returns what it ran.
    pub fn revert_drift(&mut self, allow_data_loss: bool) -> Result<Vec<Op>> {
        self.locked(|m| m.revert_drift_locked(allow_data_loss))
    }

    fn revert_drift_locked(&mut self, allow_data_loss: bool) -> Result<Vec<Op>> {
        let drift = self.drift(&[])?;
        let ops = drift.revert_ops();
        self.check_revert_data_loss(&ops, &drift.live, allow_data_loss)?;
        let actions = drift.revert_actions(self.backend.dialect())?;
        let foreign_keys_off = actions.iter().any(Action::foreign_keys_off);
        if foreign_keys_off {
            self.backend.set_foreign_keys(false)?;
        }
        let outcome = self
            .backend
            .begin()
            .and_then(|()| self.run_revert(&actions, foreign_keys_off));
        let finished = finish(self.backend, outcome);
        if foreign_keys_off {
            self.backend.set_foreign_keys(true)?;
        }
        finished?;
        let left = self.drift(&[])?;
        if !left.is_empty() {
            let database = self.backend.location();
            return Err(Error::database(format!(
                "after putting back what it could, {database} still differs from what its migrations build: {}; see `mb db drift`",
                left.objects(&database).join("; ")
            )));
        }
        Ok(ops)
    }

    /// Inside the revert's transaction: runs its actions, then checks foreign keys when
    /// they were off.
    fn run_revert(&mut self, actions: &[Action], check_foreign_keys: bool) -> Result<()> {
        let undone = if self.backend.transactional_ddl() {
            "nothing was changed (the transaction was rolled back)"
        } else {
            "the statements before it stay done (MySQL commits each DDL statement); `mb db drift` shows what is left"
        };
        for action in actions {
            if let Err((sql, message)) = self.execute(action)? {
                return Err(Error::database(format!(
                    "putting the database back failed: {message}; the statement was: {}; {undone}",
                    crate::text::one_line(&sql, 160)
                )));
            }
        }
        if check_foreign_keys {
            let violations = self.backend.foreign_key_violations()?;
            if !violations.is_empty() {
                return Err(Error::database(format!(
                    "putting the database back leaves rows whose foreign keys point nowhere ({}); {undone}",
                    violations.join("; ")
                )));
            }
        }
        Ok(())
    }

    /// Refuses a revert that would destroy data the database holds, naming each table or
    /// column and its rows, unless `allow` (then it warns).
    fn check_revert_data_loss(&mut self, ops: &[Op], live: &Schema, allow: bool) -> Result<()> {
        let mut findings = Vec::new();
        for op in ops {
            let Some(at_risk) = op.data_at_risk(live) else {
                continue;
            };
            let rows = rows_at_risk(
                self.backend,
                &at_risk,
                &at_risk.table,
                at_risk.column.as_deref(),
            )?;
            if rows > 0 {
                findings.push(format!(
                    "putting the database back {}",
                    loss_text(&at_risk, rows)
                ));
            }
        }
        if findings.is_empty() {
            return Ok(());
        }
        for finding in &findings {
            match allow {
                true => self.reporter.warn(&format!(
                    "warning: {finding} (allowed by --allow-data-loss)"
                )),
                false => self.reporter.warn(finding),
            }
        }
        if allow {
            return Ok(());
        }
        Err(Error::safety(format!(
            "putting the database back would lose the data above ({}), so nothing was run; keep the changes with `mb db adopt -m \"…\"` instead, or if the loss is intended, run again with --allow-data-loss",
            plural(findings.len(), "finding")
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::schema::parse::parse_schema_sql;

    fn drift(expected: &str, live: &str) -> Drift {
        let parse = |sql| parse_schema_sql(sql, Path::new("schema.sql")).unwrap();
        let (expected, live) = (parse(expected), parse(live));
        let ops = autogenerate::diff(&expected, &live);
        Drift {
            expected,
            live,
            ops,
            unmanaged: Vec::new(),
        }
    }

    #[test]
    fn each_drifted_object_is_one_line_and_a_new_table_carries_its_indexes() {
        let found = drift(
            r#"CREATE TABLE "post" ("id" INTEGER PRIMARY KEY, "body" TEXT, "at" TEXT);
               CREATE INDEX "ix_at" ON "post" ("at");
               CREATE TABLE "tag" ("id" INTEGER PRIMARY KEY);"#,
            r#"CREATE TABLE "post" ("id" INTEGER PRIMARY KEY, "body" VARCHAR(10), "extra" INTEGER, "at" TEXT);
               CREATE INDEX "ix_body" ON "post" ("body");
               CREATE TABLE "user" ("id" INTEGER PRIMARY KEY, "name" TEXT UNIQUE);
               CREATE INDEX "ix_user_name" ON "user" ("name");"#,
        );
        let mut objects = found.objects("app.db");
        objects.sort();
        assert_eq!(
            objects,
            [
                "column \"post\".\"body\" was changed in app.db by hand (type to VARCHAR(10))",
                "column \"post\".\"extra\" was added to app.db by hand",
                "index \"ix_at\" was dropped from app.db by hand",
                "index \"ix_body\" on \"post\" was added to app.db by hand",
                "table \"tag\" is created by a revision, but is not in app.db",
                "table \"user\" is in app.db, but no revision creates it",
            ]
        );
        let mut back = found.live.clone();
        for op in found.revert_ops() {
            op.apply(&mut back).unwrap();
        }
        assert_eq!(back, found.expected, "reverting gives the expected schema");
    }
}
