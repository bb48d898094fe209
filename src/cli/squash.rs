//! `mb db squash`, and finishing the replaced revisions for a database part way through
//! them before an upgrade (see docs/squash.md).

use std::path::Path;

use super::Allow;
use super::commands::{Context, now};
use crate::config::Project;
use crate::runtime::plan::Direction;
use crate::runtime::simulate::schema_after;
use crate::runtime::squash::{linear_run, run_start, squash};
use crate::runtime::{Reporter, Request};
use crate::script::revision::parse_id;
use crate::script::target::Target;
use crate::script::{NewRevision, RevisionGraph, ScriptDirectory, new_revision_id};
use crate::text::plural;
use crate::{Error, Result};

impl Context {
    pub(super) fn squash(
        &self,
        from: Option<&str>,
        to: &str,
        message: &str,
        rev_id: Option<&str>,
    ) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let to = self.one_revision(graph, to)?;
        let from = match from {
            Some(from) => self.one_revision(graph, from)?,
            None => run_start(graph, to),
        };
        let run = linear_run(graph, from, to)?;
        let dialect = project.database_url.dialect();
        let squashed = squash(graph, &run, dialect)?;
        let revisions: Vec<_> = run.iter().map(|&i| graph.revision(i)).collect();
        let new = NewRevision {
            id: match rev_id {
                Some(id) => parse_id(id).map_err(Error::script)?,
                None => new_revision_id()?,
            },
            message: message.to_string(),
            parents: revisions[0].parents.clone(),
            branch_labels: revisions
                .iter()
                .flat_map(|r| r.branch_labels.iter().cloned())
                .collect(),
            replaces: revisions.iter().map(|r| r.id.clone()).collect(),
            create_date: now(),
            upgrades: squashed.upgrades,
            downgrades: squashed.downgrades,
            ..NewRevision::default()
        };
        let expected = schema_after(graph, &graph.ancestors(&[to]), dialect)?;
        let written = scripts.write_revision(&new)?;
        let replaced_dir = ScriptDirectory::replaced_dir(&scripts.dir);
        let moved = move_files(revisions.iter().map(|r| r.path.as_path()), &replaced_dir);
        // The squash must read back and build the schema the run built; else undo it.
        let checked = moved.and_then(|_| {
            let after = self.scripts(&project)?;
            let squash = after.graph.resolve_id(&new.id)?;
            let built = schema_after(&after.graph, &after.graph.ancestors(&[squash]), dialect)?;
            match built == expected {
                true => Ok(()),
                false => Err(Error::script(format!(
                    "the squash of {} would not build the schema the revisions build (a bug in mb; please report it); nothing was changed",
                    graph.ids(&run)
                ))),
            }
        });
        if let Err(e) = checked {
            for revision in &revisions {
                if let Some(name) = revision.path.file_name() {
                    let _ = std::fs::rename(replaced_dir.join(name), &revision.path);
                }
            }
            let _ = std::fs::remove_file(&written.path);
            return Err(e);
        }
        self.out
            .print(&format!("Generating {} ... done", self.path(&written.path)));
        self.out.info(&format!(
            "Squashed {} ({} … {}) into {}; {} carried over as written",
            plural(run.len(), "revision"),
            revisions[0].id,
            revisions[revisions.len() - 1].id,
            new.id,
            plural(squashed.carried, "statement")
        ));
        self.out.info(&format!(
            "Moved the replaced files to {}: keep them while a database may be part way through them (docs/squash.md)",
            self.path(&replaced_dir)
        ));
        Ok(())
    }

    /// When the database is part way through revisions a squash replaced, runs the rest
    /// of them from `replaced/` (with `resume`, first the rest of the one that stopped
    /// part way): then it is where the squash revision leaves it. A squash inside a later
    /// squash is taken apart too. Returns whether it ran anything.
    pub(super) fn finish_replaced_part_way(
        &self,
        project: &Project,
        scripts: &ScriptDirectory,
        resume: bool,
        allow: Allow,
    ) -> Result<bool> {
        if !scripts.graph.has_squashes() {
            return Ok(false);
        }
        let mut connected = self.connect_to_read(project)?;
        let rows = self.migrator(&mut connected, &scripts.graph).read_heads()?;
        let part_way = |graph: &RevisionGraph| {
            rows.iter().find_map(|row| {
                let replaced = graph.replaced(row).filter(|r| !r.last)?;
                Some((row.clone(), replaced.by))
            })
        };
        let Some((row, outer)) = part_way(&scripts.graph) else {
            return Ok(false);
        };
        let squash = scripts.graph.revision(outer);
        let Some(last) = squash.replaces.last() else {
            return Ok(false);
        };
        let mut unsquashed = scripts.unsquashed(&scripts.graph, outer)?;
        while let Some((_, inner)) = part_way(&unsquashed) {
            unsquashed = scripts.unsquashed(&unsquashed, inner)?;
        }
        self.out.info(&format!(
            "The database is at {row}, part way through the revisions squash revision {} replaced: running the rest of them from {} first",
            squash.id,
            self.path(&ScriptDirectory::replaced_dir(&scripts.dir))
        ));
        let target = Target::parse(last)?;
        let request = Request {
            direction: Direction::Up,
            target: &target,
            resume,
            single_transaction: false,
            allow_changed: allow.allow_changed,
            allow_data_loss: allow.allow_data_loss,
        };
        let preview = self
            .migrator(&mut connected, &unsquashed)
            .preview(&request)?;
        let mut connected = self.connect_to_write(project, connected)?;
        self.migrator(&mut connected, &unsquashed)
            .run(&request, &preview)?;
        Ok(true)
    }
}

/// Moves `files` into `dir`, creating it; on failure, moves back what it moved.
fn move_files<'a>(files: impl Iterator<Item = &'a Path>, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, &e))?;
    let mut moved: Vec<(&Path, std::path::PathBuf)> = Vec::new();
    for file in files {
        let target = dir.join(file.file_name().unwrap_or_default());
        if let Err(e) = std::fs::rename(file, &target) {
            for (from, to) in moved {
                let _ = std::fs::rename(to, from);
            }
            return Err(Error::io("move", file, &e));
        }
        moved.push((file, target));
    }
    Ok(())
}
