//! The verbs about drift (docs/drift.md): `drift` shows how the database differs from
//! what its migrations build and can put it back; `adopt` keeps the difference as a
//! revision. `migrate` and `check` report drift through [`Context::drift_lines`].

use serde_json::json;

use super::NewRevisionArgs;
use super::commands::{Context, ops_script};
use super::json::{self, Format};
use crate::runtime::Reporter;
use crate::runtime::drift::{Drift, ways_out};
use crate::schema::Schema;
use crate::script::NewRevision;
use crate::script::RevisionGraph;
use crate::script::target::Target;
use crate::text::plural;
use crate::{Error, Result};

/// What `mb db drift` does besides showing the drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DriftAction {
    Show,
    /// `--sql`: print what would put the database back.
    Sql,
    /// `--revert`: put it back; `true` allows losing data.
    Revert {
        allow_data_loss: bool,
    },
}

impl Context {
    /// The drift of `database` as lines for a report: where it is and what the migrations
    /// build, one line per object, and the ways out.
    pub(super) fn drift_lines(
        &self,
        drift: &Drift,
        database: &str,
        at: &str,
        graph: &RevisionGraph,
    ) -> Vec<String> {
        let objects = drift.objects(database);
        let mut lines = vec![format!(
            "{database} differs from what the migrations build at {at} ({}):",
            plural(objects.len(), "drifted object")
        )];
        lines.extend(objects.iter().map(|o| format!("  {o}")));
        lines.push(format!("To go on: {}.", ways_out(!graph.is_empty())));
        lines
    }

    /// Refuses to go on when `drift` is not empty: names every drifted object on stderr,
    /// then fails with the ways out. `refused` says what was not done and why.
    pub(super) fn refuse_drift(
        &self,
        drift: &Drift,
        database: &str,
        graph: &RevisionGraph,
        refused: &str,
    ) -> Result<()> {
        if drift.is_empty() {
            return Ok(());
        }
        let objects = drift.objects(database);
        for object in &objects {
            self.out.warn(object);
        }
        Err(Error::safety(format!(
            "{database} differs from what its migrations build ({} above), so {refused}; {}",
            plural(objects.len(), "drifted object"),
            ways_out(!graph.is_empty())
        )))
    }

    /// `mb db drift`: exit 0 when the database is what its migrations build, 1 with the
    /// differences when not; `--sql` prints what puts it back, `--revert` runs that.
    pub(super) fn drift(&self, action: DriftAction, format: Format) -> Result<i32> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = self.connect_to_read(&project)?;
        let database = connected.backend.location();
        let dialect = connected.backend.dialect();
        let mut migrator = self.migrator(&mut connected, graph);
        if let DriftAction::Revert { allow_data_loss } = action {
            let reverted = migrator.revert_drift(allow_data_loss)?;
            let at = migrator.describe_state()?;
            if reverted.is_empty() {
                self.out.info(&format!(
                    "Nothing to put back: {database} is what the migrations build at {at}."
                ));
                return Ok(0);
            }
            for op in &reverted {
                self.out.info(&format!("Reverted: {}", op.summary()));
            }
            self.out.info(&format!(
                "{database} is back at what the migrations build at {at}; `mb db check` compares it with schema.sql."
            ));
            return Ok(0);
        }
        let drift = migrator.drift(&[])?;
        let at = migrator.describe_state()?;
        if action == DriftAction::Sql {
            let sql = drift.revert_sql(dialect)?;
            if !sql.is_empty() {
                self.out.print(&sql);
            }
            return Ok(0);
        }
        let code = i32::from(!drift.is_empty());
        if format == Format::Json {
            self.print_json(&json!({
                "status": if drift.is_empty() { "clean" } else { "drift" },
                "database": database,
                "at": at,
                "objects": drift.objects(&database),
                "operations": json::operations_json(&drift.ops),
                "revert": json::operations_json(&drift.revert_ops()),
                "diff": (!drift.is_empty()).then(|| drift.unified_diff(&database)),
            }));
            return Ok(code);
        }
        if drift.is_empty() {
            self.out.info(&format!(
                "No drift: {database} is what the migrations build at {at}."
            ));
            return Ok(0);
        }
        self.out.print(&drift.unified_diff(&database));
        self.out.print("");
        for line in self.drift_lines(&drift, &database, &at, graph) {
            self.out.print(&line);
        }
        Ok(code)
    }

    /// `mb db adopt`: a revision on top of the head that makes what the database has
    /// outside the migrations (down: undoes it), and the database stamped at it; no SQL
    /// runs on the database.
    pub(super) fn adopt(&self, message: &str) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let placement = self.placement(graph, &NewRevisionArgs::default())?;
        let mut connected = self.connect_existing(&project)?;
        let database = connected.backend.location();
        let mut migrator = self.migrator(&mut connected, graph);
        self.require_up_to_date(&mut migrator, graph)?;
        // Objects stored like their declaration in schema.sql are written in its portable
        // text rather than in the database's own words; schema.sql is optional here.
        let declared = self.declaration(&project).ok().map(|d| d.schema);
        let known: Vec<&Schema> = declared.iter().collect();
        let drift = migrator.drift(&known)?;
        for object in &drift.unmanaged {
            self.out.warn(&object.warning());
        }
        if drift.is_empty() {
            let at = migrator.describe_state()?;
            return Err(Error::script(format!(
                "nothing to adopt: {database} is what the migrations build at {at}"
            )));
        }
        for object in drift.objects(&database) {
            self.out.info(&format!("Adopting: {object}"));
        }
        let (upgrades, _) = ops_script(&drift.ops, &drift.expected);
        let (downgrades, _) = ops_script(&drift.revert_ops(), &drift.live);
        let new = NewRevision {
            upgrades,
            downgrades,
            ..placement.new_revision(graph, message, None)?
        };
        let revision = scripts.write_revision(&new)?;
        self.out.print(&format!(
            "Generating {} ... done",
            self.path(&revision.path)
        ));
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = self.connect_to_write(&project, connected)?;
        let heads = self
            .migrator(&mut connected, graph)
            .stamp(&[Target::parse(&new.id)?], false)?;
        self.out.info(&format!(
            "Stamped the database at {}; no SQL was run. `mb db migrate` now writes what schema.sql changes from here.",
            crate::runtime::describe_heads(graph, &heads)
        ));
        Ok(())
    }
}
