//! The verbs about the revision graph: `current`, `history`, `heads`, `branches`, `show`,
//! `edit` and `merge`, and where `revision` and `migrate` put a new revision.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use super::NewRevisionArgs;
use super::commands::{Context, now};
use super::draw::{Entry, draw};
use super::json::{self, Format};
use super::output::Output;
use crate::runtime::plan::{self, Direction, State};
use crate::runtime::version::AppliedRecord;
use crate::runtime::{self, Migrator, Reporter, simulate};
use crate::script::revision::{parse_id, parse_label};
use crate::script::target::{Point, Target, heads_on};
use crate::script::{NewRevision, RevisionGraph, ScriptDirectory, new_revision_id};
use crate::text::{plural, plural_is};
use crate::{Error, ErrorKind, Result};

/// Where a new revision goes.
pub(super) struct Placement {
    pub parents: Vec<usize>,
    /// `Depends On:` as it will be written: full ids, or branch labels.
    pub depends_on: Vec<String>,
    pub branch_labels: Vec<String>,
    /// Said once the revision is written, when it adds a head.
    pub note: Option<String>,
}

impl Placement {
    /// The header of a new revision placed here.
    pub fn new_revision(
        &self,
        graph: &RevisionGraph,
        message: &str,
        rev_id: Option<&str>,
    ) -> Result<NewRevision> {
        Ok(NewRevision {
            id: match rev_id {
                Some(id) => parse_id(id).map_err(Error::script)?,
                None => new_revision_id()?,
            },
            message: message.to_string(),
            parents: self
                .parents
                .iter()
                .map(|&i| graph.revision(i).id.clone())
                .collect(),
            branch_labels: self.branch_labels.clone(),
            depends_on: self.depends_on.clone(),
            create_date: now(),
            ..NewRevision::default()
        })
    }
}

impl Context {
    /// The parents, dependencies and label of a new revision from `--head`,
    /// `--depends-on` and `--branch-label`. With several heads `--head` is required; a
    /// revision that starts a branch says so.
    pub(super) fn placement(
        &self,
        graph: &RevisionGraph,
        args: &NewRevisionArgs,
    ) -> Result<Placement> {
        let heads = graph.heads();
        let parents: Vec<usize> = match args.head.as_deref() {
            None if heads.len() > 1 => {
                return Err(Error::script(format!(
                    "the migrations have {} heads ({}); pass --head REV to choose the one the new revision builds on, or merge them first with `mb db merge heads`",
                    heads.len(),
                    graph.described(heads)
                )));
            }
            None => heads.clone(),
            Some(text) => Target::parse(text)?
                .resolve_one(graph)?
                .into_iter()
                .collect(),
        };
        let mut depends_on = Vec::new();
        for text in &args.depends_on {
            let written = match graph.find_label(text) {
                Some(_) => text.clone(),
                None => {
                    let i = Target::parse(text)?.resolve_one(graph)?.ok_or_else(|| {
                        Error::script(format!(
                            "--depends-on {text} names no revision; name a revision or a branch label"
                        ))
                    })?;
                    graph.revision(i).id.clone()
                }
            };
            if !depends_on.contains(&written) {
                depends_on.push(written);
            }
        }
        let branch_labels = match &args.branch_label {
            Some(label) => vec![new_label(graph, label)?],
            None => Vec::new(),
        };
        let adds_head = match parents.as_slice() {
            [] => !graph.is_empty(),
            [parent] => !graph.children(*parent).is_empty(),
            _ => false,
        };
        let note = adds_head.then(|| {
            let from = match parents.first() {
                Some(&p) => format!(
                    "Branching from {} ({}), which already has {}",
                    graph.revision(p).id,
                    graph.revision(p).message,
                    graph.ids(graph.children(p))
                ),
                None => "Starting a new base".to_string(),
            };
            format!(
                "{from}: the migrations have {} heads until they are merged (`mb db merge heads`).",
                heads.len() + 1
            )
        });
        Ok(Placement {
            parents,
            depends_on,
            branch_labels,
            note,
        })
    }

    /// Refuses a database that lacks a revision, as Alembic does: a revision generated
    /// from it would repeat what the missing revisions do (with several heads, what the
    /// other branches do, which `schema.sql` declares once their code is merged).
    pub(super) fn require_up_to_date(
        &self,
        migrator: &mut Migrator,
        graph: &RevisionGraph,
    ) -> Result<()> {
        let rows = migrator.read_heads()?;
        let state = State::from_rows(graph, &rows)?;
        let heads = graph.heads();
        let pending = plan::upgrade_plan(&state, &heads);
        if pending.is_empty() {
            return Ok(());
        }
        Err(Error::script(format!(
            "Target database is not up to date: {} not applied ({}); run `mb db upgrade{}` first",
            plural_is(pending.len(), "revision"),
            graph.described(pending.iter().map(|s| s.revision)),
            if heads.len() > 1 { " heads" } else { "" }
        )))
    }

    pub(super) fn current(&self, format: Format) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = self.connect_to_read(&project)?;
        let location = connected.backend.location();
        let dialect = json::dialect_id(connected.backend.dialect());
        let mut migrator = self.migrator(&mut connected, graph);
        let rows = migrator.read_heads()?;
        // Reading the history and checksumming every applied file costs as much as
        // loading the graph; plain `current` only needs the version rows, and the write
        // verbs check checksums themselves. `-v` and JSON report edits and history.
        let (records, changed) = if self.out.verbose() || format == Format::Json {
            let records = migrator.applied_records()?;
            let changed = runtime::changed_scripts(graph, &rows, &records)?;
            (Some(records), changed)
        } else {
            (None, Vec::new())
        };
        let progress = migrator.read_progress()?;
        if format == Format::Json {
            let records = records.unwrap_or_default();
            let heads: Vec<usize> = rows.iter().filter_map(|row| graph.find(row)).collect();
            self.print_json(&json!({
                "database": {
                    "dialect": dialect,
                    "location": location,
                },
                "current": heads.iter().map(|&i| {
                    let mut revision = self.revision_json(graph, i);
                    revision["applied"] = json::applied_json(graph, i, &records);
                    revision
                }).collect::<Vec<_>>(),
                "not_in_migrations": rows.iter().filter(|row| graph.find(row).is_none()).collect::<Vec<_>>(),
                "edited": changed.iter().map(|c| json::edited_json(graph, c, self.path(&graph.revision(c.revision).path))).collect::<Vec<_>>(),
                "partly_applied": progress.as_ref().map(json::progress_json),
            }));
            return Ok(());
        }
        let partly = progress.map(|found| {
            format!(
                "warning: {}; run the rest with `mb db {} --resume`, or record what you did by hand with `mb db resolve done` or `mb db resolve undone`",
                migrator.describe_progress(&found),
                match found.direction {
                    Direction::Up => "upgrade",
                    Direction::Down => "downgrade",
                }
            )
        });
        if rows.is_empty() {
            self.out.info(&format!(
                "The database {location} is at base: no revision applied."
            ));
        }
        let graph_heads = head_set(graph);
        for row in &rows {
            let Some(i) = graph.find(row) else {
                let why = match graph.replaced(row) {
                    Some(r) if r.last => format!(
                        "replaced by squash revision {}, which it stands for",
                        graph.revision(r.by).id
                    ),
                    Some(r) => format!(
                        "part way through squash revision {}; `mb db upgrade` finishes it",
                        graph.revision(r.by).id
                    ),
                    None => "not in the migrations".to_string(),
                };
                self.out.print(&format!("{row} ({why})"));
                continue;
            };
            if self.out.verbose() {
                self.print_details(
                    graph,
                    i,
                    &graph_heads,
                    &BTreeSet::from([i]),
                    records.as_ref(),
                );
            } else {
                self.out.print(&format!(
                    "{row}{}{}",
                    labels(graph, i),
                    if graph_heads.contains(&i) {
                        format!(" {}", Output::mark("(head)"))
                    } else {
                        String::new()
                    }
                ));
            }
        }
        for change in changed {
            let revision = graph.revision(change.revision);
            self.out.warn(&format!(
                "warning: {} was edited after revision {} was applied (checksum {} then, {} now)",
                self.path(&revision.path),
                revision.id,
                &change.applied_checksum[..12.min(change.applied_checksum.len())],
                &revision.checksum()[..12]
            ));
        }
        if let Some(warning) = partly {
            self.out.warn(&warning);
        }
        Ok(())
    }

    pub(super) fn history(
        &self,
        range: Option<&str>,
        indicate_current: bool,
        format: Format,
    ) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let endpoints = range.map(parse_range).transpose()?;
        let needs_database = indicate_current
            || endpoints
                .as_ref()
                .is_some_and(|(start, end)| start.needs_database() || end.needs_database());
        let (current, records) = if needs_database {
            let mut connected = self.connect_to_read(&project)?;
            let mut migrator = self.migrator(&mut connected, graph);
            let state = migrator.state()?;
            (
                Some((state.applied.clone(), state.heads.clone())),
                Some(migrator.applied_records()?),
            )
        } else {
            (None, None)
        };
        let in_range = match &endpoints {
            None => vec![true; graph.len()],
            Some((start, end)) => {
                let current = current.as_ref().map(|c| &c.1);
                let below_end = match end.revisions(graph, current, false)? {
                    None => vec![true; graph.len()],
                    Some(end) => graph.ancestors(&end),
                };
                let above_start = match start.revisions(graph, current, true)? {
                    None => vec![true; graph.len()],
                    Some(start) => graph.descendants(&start),
                };
                (0..graph.len())
                    .map(|i| below_end[i] && above_start[i])
                    .collect()
            }
        };
        let graph_heads = head_set(graph);
        let (applied, current_heads) = match (&current, indicate_current) {
            (Some((applied, heads)), true) => (Some(applied), heads.clone()),
            _ => (None, BTreeSet::new()),
        };
        let records = records.as_ref().filter(|_| indicate_current);
        if format == Format::Json {
            let revisions: Vec<_> = (0..graph.len())
                .rev()
                .filter(|&i| in_range[i])
                .map(|i| {
                    let mut revision = self.revision_json(graph, i);
                    revision["applied"] = json!(applied.map(|a| a[i]));
                    revision["current"] = json!(applied.map(|_| current_heads.contains(&i)));
                    revision
                })
                .collect();
            self.print_json(&json!({ "revisions": revisions }));
            return Ok(());
        }
        let entries: Vec<Entry> = (0..graph.len())
            .rev()
            .filter(|&i| in_range[i])
            .map(|i| {
                let text = if self.out.verbose() {
                    self.details(graph, i, &graph_heads, &current_heads, records)
                        .join("\n")
                } else {
                    // `from -> id marks, message`, pieced together: `format!` for
                    // each of 10,000 lines shows in the start-up time.
                    let revision = graph.revision(i);
                    let mut line = String::with_capacity(80 + revision.message.len());
                    match graph.parents(i) {
                        [] => line.push_str("<base>"),
                        parents => {
                            for (k, &p) in parents.iter().enumerate() {
                                if k > 0 {
                                    line.push_str(", ");
                                }
                                line.push_str(&graph.revision(p).id);
                            }
                        }
                    }
                    line.push_str(" -> ");
                    line.push_str(&revision.id);
                    line.push_str(&self.marks(graph, i, &graph_heads, &current_heads));
                    if applied.is_some_and(|a| a[i]) && !current_heads.contains(&i) {
                        line.push(' ');
                        line.push_str(&Output::mark("(applied)"));
                    }
                    line.push_str(", ");
                    line.push_str(&revision.message);
                    line
                };
                Entry {
                    node: i,
                    parents: graph
                        .parents(i)
                        .iter()
                        .copied()
                        .filter(|&p| in_range[p])
                        .collect(),
                    text,
                }
            })
            .collect();
        let text = draw(&entries);
        if !text.is_empty() {
            self.out.print(&text);
        }
        Ok(())
    }

    pub(super) fn heads(&self, format: Format) -> Result<()> {
        let scripts = self.migrations()?;
        let graph = &scripts.graph;
        let heads = head_set(graph);
        if format == Format::Json {
            let heads: Vec<_> = heads
                .iter()
                .map(|&i| self.revision_json(graph, i))
                .collect();
            self.print_json(&json!({ "heads": heads }));
            return Ok(());
        }
        for &i in &heads {
            if self.out.verbose() {
                self.print_details(graph, i, &heads, &BTreeSet::new(), None);
            } else {
                self.out.print(&format!(
                    "{}{} {}",
                    graph.revision(i).id,
                    labels(graph, i),
                    Output::mark("(head)")
                ));
            }
        }
        if heads.len() > 1 {
            self.out.info(&format!(
                "{} heads: merge them into one with `mb db merge heads`, or apply every branch with `mb db upgrade heads`.",
                heads.len()
            ));
        }
        Ok(())
    }

    /// Every branch point (and the base, when there are several roots) with the
    /// branches that leave it: their first revision, and where each one ends.
    pub(super) fn branches(&self) -> Result<()> {
        let scripts = self.migrations()?;
        let graph = &scripts.graph;
        let heads = head_set(graph);
        let mut blocks = Vec::new();
        let bases = graph.bases();
        let base_count = bases.len();
        if base_count > 1 {
            blocks.push((None, bases));
        }
        for i in (0..graph.len()).filter(|&i| graph.is_branch_point(i)) {
            blocks.push((Some(i), graph.children(i).to_vec()));
        }
        if blocks.is_empty() {
            self.out.info(
                "No branches: every revision builds on the one before it (one base, one head).",
            );
            return Ok(());
        }
        let mut out = Vec::new();
        for (point, branches) in blocks {
            match point {
                Some(i) if self.out.verbose() => {
                    out.extend(self.details(graph, i, &heads, &BTreeSet::new(), None));
                }
                Some(i) => out.push(format!(
                    "{}{}, {}",
                    graph.revision(i).id,
                    self.marks(graph, i, &heads, &BTreeSet::new()),
                    graph.revision(i).message
                )),
                None => out.push(format!("<base> ({base_count} bases)")),
            }
            for first in branches {
                out.push(format!(
                    "  -> {}{}, {}  [{}]",
                    graph.revision(first).id,
                    self.marks(graph, first, &heads, &BTreeSet::new()),
                    graph.revision(first).message,
                    branch_end(graph, first)
                ));
            }
        }
        self.out.print(&out.join("\n"));
        Ok(())
    }

    /// The migrations directory, for the verbs that need no database.
    fn migrations(&self) -> Result<&'static ScriptDirectory> {
        self.scripts(&self.project()?)
    }

    /// The one revision a command like `show` or `edit` names.
    pub(super) fn one_revision(&self, graph: &RevisionGraph, text: &str) -> Result<usize> {
        Target::parse(text)?.resolve_one(graph)?.ok_or_else(|| {
            Error::script(format!(
                "'{text}' is base, which is before the first revision; name a revision"
            ))
        })
    }

    pub(super) fn show(&self, target: &str, format: Format) -> Result<()> {
        let scripts = self.migrations()?;
        let graph = &scripts.graph;
        let heads = head_set(graph);
        let index = self.one_revision(graph, target)?;
        if format == Format::Json {
            let revision = graph.revision(index);
            let mut document = self.revision_json(graph, index);
            document["up"] = json!(revision.up_sql());
            document["down"] = json!(revision.down_sql());
            document["text"] = json!(revision.text);
            self.print_json(&document);
            return Ok(());
        }
        self.print_details(graph, index, &heads, &BTreeSet::new(), None);
        self.out.print(graph.revision(index).text.trim_end());
        Ok(())
    }

    /// Opens a revision file in `$EDITOR` (or `$VISUAL`), then reads the migrations
    /// again so a mistake made in the editor is reported at once.
    pub(super) fn edit(&self, target: &str) -> Result<()> {
        let scripts = self.migrations()?;
        let index = self.one_revision(&scripts.graph, target)?;
        let path = self.path(&scripts.graph.revision(index).path);
        let (variable, editor) = ["EDITOR", "VISUAL"]
            .into_iter()
            .find_map(|name| {
                std::env::var(name)
                    .ok()
                    .filter(|value| !value.trim().is_empty())
                    .map(|value| (name, value))
            })
            .ok_or_else(|| {
                Error::config(format!(
                    "no editor to open {path} with: set EDITOR (for example `export EDITOR=vim`, or EDITOR=\"code --wait\")"
                ))
            })?;
        let mut words = editor.split_whitespace();
        let program = words.next().expect("a non-blank value has a word");
        let status = std::process::Command::new(program)
            .args(words)
            .arg(&scripts.graph.revision(index).path)
            .status()
            .map_err(|e| {
                Error::config(format!(
                    "cannot start the editor '{editor}' (from {variable}): {}; set {variable} to an editor on your PATH",
                    Error::io("run", std::path::Path::new(program), &e)
                        .message
                        .rsplit(": ")
                        .next()
                        .unwrap_or_default()
                ))
            })?;
        if !status.success() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "the editor '{editor}' (from {variable}) failed ({status}) editing {path}; check the file"
                ),
            ));
        }
        ScriptDirectory::load(&scripts.dir).map_err(|e| {
            Error::new(
                e.kind,
                format!(
                    "{} (after editing {path}: edit it again to fix this)",
                    e.message
                ),
            )
        })?;
        Ok(())
    }

    /// Writes a revision whose `Revises:` names the revisions to merge, with empty
    /// sections, and warns when the merged branches conflict.
    pub(super) fn merge(
        &self,
        revisions: &[String],
        message: Option<String>,
        rev_id: Option<String>,
        branch_label: Option<String>,
    ) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut parents: Vec<usize> = Vec::new();
        for text in revisions {
            let target = Target::parse(text)?;
            let named = match target.point {
                Point::Heads => heads_on(graph, target.scope(graph)?.as_ref())?,
                _ => vec![target.resolve_one(graph)?.ok_or_else(|| {
                    Error::script(format!(
                        "'{text}' is base, which cannot be merged; name revisions"
                    ))
                })?],
            };
            for i in named {
                if !parents.contains(&i) {
                    parents.push(i);
                }
            }
        }
        if let [only] = parents.as_slice() {
            return Err(Error::script(
                if revisions.len() == 1 && revisions[0].ends_with("heads") {
                    format!(
                        "there is nothing to merge: the migrations have one head, {}",
                        graph.described([*only])
                    )
                } else {
                    format!(
                        "a merge needs two or more revisions, and {} names only {}",
                        revisions.join(" "),
                        graph.revision(*only).id
                    )
                },
            ));
        }
        for &a in &parents {
            let below = graph.ancestors(&[a]);
            if let Some(&b) = parents.iter().find(|&&b| b != a && below[b]) {
                return Err(Error::script(format!(
                    "{} is already built on {}, so merging them adds nothing; merge {} with the other revisions",
                    graph.revision(a).id,
                    graph.revision(b).id,
                    graph.revision(a).id
                )));
            }
        }
        let ids = graph.ids(&parents);
        let placement = Placement {
            parents,
            depends_on: Vec::new(),
            note: None,
            branch_labels: match &branch_label {
                Some(label) => vec![new_label(graph, label)?],
                None => Vec::new(),
            },
        };
        let message = message.unwrap_or_else(|| format!("merge {ids}"));
        let new = placement.new_revision(graph, &message, rev_id.as_deref())?;
        self.out.info(&format!(
            "Merging {}",
            graph.described(placement.parents.iter().copied())
        ));
        let revision = scripts.write_revision(&new)?;
        self.out.print(&format!(
            "Generating {} ... done",
            self.path(&revision.path)
        ));
        let dialect = project.database_url.dialect();
        if let Some(conflict) = simulate::merge_conflict(graph, &placement.parents, dialect) {
            self.out.warn(&format!(
                "warning: the merged branches conflict: {conflict}, before anyone upgrades past {}",
                revision.id
            ));
        }
        Ok(())
    }

    /// ` (label) (head) (current) (branchpoint) (mergepoint)`.
    pub(super) fn marks(
        &self,
        graph: &RevisionGraph,
        i: usize,
        heads: &BTreeSet<usize>,
        current: &BTreeSet<usize>,
    ) -> String {
        let mut marks = labels(graph, i);
        if heads.contains(&i) {
            marks.push_str(&format!(" {}", Output::mark("(head)")));
        }
        if current.contains(&i) {
            marks.push_str(&format!(" {}", Output::mark("(current)")));
        }
        if graph.is_branch_point(i) {
            marks.push_str(" (branchpoint)");
        }
        if graph.is_merge_point(i) {
            marks.push_str(" (mergepoint)");
        }
        marks
    }

    /// Alembic's verbose block, printed.
    pub(super) fn print_details(
        &self,
        graph: &RevisionGraph,
        i: usize,
        heads: &BTreeSet<usize>,
        current: &BTreeSet<usize>,
        records: Option<&HashMap<String, AppliedRecord>>,
    ) {
        self.out
            .print(&self.details(graph, i, heads, current, records).join("\n"));
    }

    /// Alembic's verbose block: Rev, Parent, Path, dates, then the message.
    fn details(
        &self,
        graph: &RevisionGraph,
        i: usize,
        heads: &BTreeSet<usize>,
        current: &BTreeSet<usize>,
        records: Option<&HashMap<String, AppliedRecord>>,
    ) -> Vec<String> {
        let revision = graph.revision(i);
        let parents = graph.parents(i);
        let mut lines = vec![
            format!(
                "Rev: {}{}",
                revision.id,
                self.marks(graph, i, heads, current)
            ),
            format!(
                "{}: {}",
                if parents.len() > 1 {
                    "Merges"
                } else {
                    "Parent"
                },
                if parents.is_empty() {
                    "<base>".into()
                } else {
                    graph.ids(parents)
                }
            ),
        ];
        if !graph.dependencies(i).is_empty() {
            lines.push(format!(
                "Also depends on: {}",
                graph.ids(graph.dependencies(i))
            ));
        }
        if graph.is_branch_point(i) {
            lines.push(format!("Branches into: {}", graph.ids(graph.children(i))));
        }
        if !revision.branch_labels.is_empty() {
            lines.push(format!(
                "Branch names: {}",
                revision.branch_labels.join(", ")
            ));
        }
        lines.push(format!("Path: {}", self.path(&revision.path)));
        if let Some(date) = &revision.create_date {
            lines.push(format!("Create Date: {date}"));
        }
        if let Some(record) = records.and_then(|r| r.get(&revision.id)) {
            let verdict = match &record.checksum {
                Some(sum) if *sum == revision.checksum() => "file unchanged since",
                Some(_) => "FILE CHANGED since it was applied",
                None => "no checksum recorded",
            };
            lines.push(format!(
                "Applied: {} UTC by {} in {} ms ({verdict})",
                record.applied_at, record.operation, record.duration_ms
            ));
        }
        lines.push(String::new());
        lines.push(format!("    {}", revision.message));
        lines.push(String::new());
        lines
    }
}

fn head_set(graph: &RevisionGraph) -> BTreeSet<usize> {
    graph.heads().into_iter().collect()
}

/// ` (label, …)` when the revision carries branch labels.
fn labels(graph: &RevisionGraph, i: usize) -> String {
    match graph.revision(i).branch_labels.as_slice() {
        [] => String::new(),
        labels => format!(" ({})", labels.join(", ")),
    }
}

/// A new branch label, unless it is taken.
fn new_label(graph: &RevisionGraph, label: &str) -> Result<String> {
    let label = parse_label(label).map_err(Error::script)?;
    if let Some(i) = graph.find_label(&label) {
        return Err(Error::script(format!(
            "branch label {label} is already used by revision {} ({}); choose another",
            graph.revision(i).id,
            graph.revision(i).path.display()
        )));
    }
    if let Some(i) = graph.find(&label) {
        return Err(Error::script(format!(
            "branch label {label} is the id of revision {} ({}); choose another",
            graph.revision(i).id,
            graph.revision(i).path.display()
        )));
    }
    Ok(label)
}

/// Where the branch that starts at `first` ends: `2 revisions, head ae10…`,
/// `1 revision, merged by 9f3a…`, or `3 revisions, branching again at c0de…`.
fn branch_end(graph: &RevisionGraph, first: usize) -> String {
    let mut at = first;
    let mut count = 1;
    while let [child] = graph.children(at) {
        if graph.is_merge_point(*child) {
            break;
        }
        at = *child;
        count += 1;
    }
    let revisions = plural(count, "revision");
    match graph.children(at) {
        [] if at == first => format!("{revisions}, the head"),
        [] => format!("{revisions}, head {}", graph.revision(at).id),
        [merge] => format!("{revisions}, merged by {}", graph.revision(*merge).id),
        _ => format!("{revisions}, branching again at {}", graph.revision(at).id),
    }
}

/// One end of a `-r START:END` range.
enum Endpoint {
    /// Empty: no limit on this side.
    Open,
    /// The database's current revision(s).
    Current,
    Target(Target),
}

impl Endpoint {
    fn needs_database(&self) -> bool {
        matches!(self, Endpoint::Current)
            || matches!(self, Endpoint::Target(t) if matches!(t.point, Point::Relative(_)))
    }

    /// The revisions this end stands for; `None` when it sets no limit. A start at a
    /// branch's base is the branch's first revisions.
    fn revisions(
        &self,
        graph: &RevisionGraph,
        current: Option<&BTreeSet<usize>>,
        start: bool,
    ) -> Result<Option<Vec<usize>>> {
        let current: Vec<usize> = current
            .map(|c| c.iter().copied().collect())
            .unwrap_or_default();
        let target = match self {
            Endpoint::Open => return Ok(None),
            Endpoint::Current => return Ok(Some(current)),
            Endpoint::Target(target) => target,
        };
        let scope = target.scope(graph)?;
        Ok(match target.point {
            Point::Relative(steps) => {
                let [head] = current.as_slice() else {
                    return Err(Error::script(format!(
                        "'{target}' counts from the current revision, and the database has {} current heads; name a revision",
                        current.len()
                    )));
                };
                Some(
                    graph
                        .walk(Some(*head), steps, scope.as_ref())?
                        .into_iter()
                        .collect(),
                )
            }
            Point::Base(0) if start => scope.as_ref().map(|scope| {
                (0..graph.len())
                    .filter(|&i| {
                        scope.members[i] && !graph.parents(i).iter().any(|&p| scope.members[p])
                    })
                    .collect()
            }),
            Point::Heads if !start && scope.is_none() => None,
            _ => Some(target.resolve(graph)?.into_iter().flatten().collect()),
        })
    }
}

/// `START:END`, either side may be empty.
fn parse_range(range: &str) -> Result<(Endpoint, Endpoint)> {
    let Some((start, end)) = range.split_once(':') else {
        return Err(Error::script(format!(
            "'{range}' is not a range; use START:END, e.g. base:head, -3:current, ae1027: or email@base:email@head"
        )));
    };
    let endpoint = |text: &str| -> Result<Endpoint> {
        Ok(match text.trim() {
            "" => Endpoint::Open,
            "current" => Endpoint::Current,
            other => Endpoint::Target(Target::parse(other)?),
        })
    };
    Ok((endpoint(start)?, endpoint(end)?))
}
