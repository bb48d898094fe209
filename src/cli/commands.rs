//! One function per verb. Each finds the project, calls the library and prints.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::drift::DriftAction;
use super::json::{self, Format};
use super::output::Output;
use super::{Allow, DbCommand, GlobalArgs, NewRevisionArgs, Resolution};
use crate::autogenerate;
use crate::autogenerate::renames::diff_renaming;
use crate::backend::{self, Connected, Introspected, OpenMode};
use crate::config::{self, ConfigFile, Overrides, Project, Targets};
use crate::dialect::types::check_declared;
use crate::ops::Op;
use crate::runtime::drift::Drift;
use crate::runtime::offline_script;
use crate::runtime::plan::{self, Direction, State};
use crate::runtime::simulate::schema_after;
use crate::runtime::{Migrator, Reporter, Request, describe_heads};
use crate::schema::Schema;
use crate::schema::declaration::Declaration;
use crate::schema::exclude::Exclude;
use crate::schema::limits::refuse_names_not_kept;
use crate::schema::parse::parse_declaration;
use crate::script::target::{Point, Target};
use crate::script::{NewRevision, RevisionGraph, ScriptDirectory};
use crate::text::plural;
use crate::{Error, Result};

pub(super) const STARTER_SCHEMA: &str =
    "-- The schema this project wants. Declare tables, indexes and views here in portable
-- SQL, then run `mb db migrate -m \"what changed\"` to write a revision for the change.
--
-- CREATE TABLE \"user\" (
--     \"id\" INTEGER PRIMARY KEY,
--     \"username\" VARCHAR(64) NOT NULL UNIQUE
-- );
";

/// Where a project's files are, or will be once `init` has made them.
pub(super) struct Layout {
    pub existing_config: Option<PathBuf>,
    /// The folder of mb.toml.
    pub root: PathBuf,
    pub settings: ConfigFile,
    /// The migrations directory mb.toml names (or the default).
    pub configured_migrations: PathBuf,
    /// The one in use: `-d`, else the configured one.
    pub migrations_dir: PathBuf,
}

impl Layout {
    pub fn schema_file(&self) -> PathBuf {
        self.root.join(
            self.settings
                .schema
                .as_deref()
                .unwrap_or(config::DEFAULT_SCHEMA_FILE),
        )
    }
}

pub struct Context {
    pub(super) cwd: PathBuf,
    pub(super) overrides: Overrides,
    pub(super) out: Output,
    lock_timeout: Duration,
    /// The exclude patterns of the project this command works on, once it is found.
    exclude: std::cell::OnceCell<Exclude>,
}

impl Context {
    pub fn new(global: &GlobalArgs, out: Output) -> Result<Context> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::io("read", Path::new("the working directory"), &e))?;
        Ok(Context {
            cwd,
            overrides: global.overrides(),
            out,
            lock_timeout: Duration::from_secs(global.lock_timeout),
            exclude: std::cell::OnceCell::new(),
        })
    }

    pub fn run(&self, command: DbCommand) -> Result<i32> {
        match command {
            DbCommand::Check { offline, format } => return self.check(offline, format),
            DbCommand::Shell { args } => return self.shell(&args),
            DbCommand::Drift {
                sql,
                revert,
                allow_data_loss,
                format,
            } => {
                let action = match (sql, revert) {
                    (true, _) => DriftAction::Sql,
                    (_, true) => DriftAction::Revert { allow_data_loss },
                    _ => DriftAction::Show,
                };
                return self.drift(action, format);
            }
            DbCommand::Adopt { message } => self.adopt(&message),
            DbCommand::Migrate { message, new } => self.migrate(&message, &new),
            DbCommand::Init {
                from_database,
                message,
            } => self.init(from_database.then_some(message.as_str())),
            DbCommand::Inspect { output, force } => self.inspect(output.as_deref(), force),
            DbCommand::Revision { message, new } => self.revision(&message, &new),
            DbCommand::Squash {
                range,
                message,
                rev_id,
            } => {
                // Clap passes one or two: [FROM] TO.
                let to = range.last().map_or("head", String::as_str);
                let from = (range.len() == 2).then(|| range[0].as_str());
                self.squash(from, to, &message, rev_id.as_deref())
            }
            DbCommand::Merge {
                revisions,
                message,
                rev_id,
                branch_label,
            } => self.merge(&revisions, message, rev_id, branch_label),
            DbCommand::Upgrade {
                revision,
                sql: true,
                single_transaction,
                ..
            } => self.offline(&revision, Direction::Up, single_transaction),
            DbCommand::Downgrade {
                revision,
                sql: true,
                single_transaction,
                ..
            } => self.offline(&revision, Direction::Down, single_transaction),
            DbCommand::Upgrade {
                revision,
                resume,
                allow,
                single_transaction,
                ..
            } => self.move_to(Direction::Up, &revision, resume, allow, single_transaction),
            DbCommand::Downgrade {
                revision,
                resume,
                allow,
                single_transaction,
                ..
            } => self.move_to(
                Direction::Down,
                &revision,
                resume,
                allow,
                single_transaction,
            ),
            DbCommand::Rehash { revisions } => self.rehash(&revisions),
            DbCommand::Resolve { outcome } => self.resolve(outcome),
            DbCommand::Stamp { revisions, purge } => self.stamp(&revisions, purge),
            DbCommand::Current { format } => self.current(format),
            DbCommand::History {
                range,
                indicate_current,
                format,
            } => self.history(range.as_deref(), indicate_current, format),
            DbCommand::Heads { format } => self.heads(format),
            DbCommand::Branches => self.branches(),
            DbCommand::Show { revision, format } => self.show(&revision, format),
            DbCommand::Edit { revision } => self.edit(&revision),
        }
        .map(|()| 0)
    }

    pub(super) fn project(&self) -> Result<Project> {
        let project = Project::discover(&self.cwd, &self.overrides)?;
        let _ = self.exclude.set(project.exclude.clone());
        Ok(project)
    }

    /// The migrations, loaded through a path relative to the working directory when they
    /// are below it, so every message names files the way the user would type them.
    /// The migrations directory, loaded. It is never freed: a command loads it once or
    /// twice and the process ends soon after, and freeing 10,000 revisions piece by piece
    /// would add milliseconds to every start-up command for nothing.
    pub(super) fn scripts(&self, project: &Project) -> Result<&'static ScriptDirectory> {
        let dir = match project.migrations_dir.strip_prefix(&self.cwd) {
            Ok(relative) if relative.as_os_str().is_empty() => Path::new("."),
            Ok(relative) => relative,
            Err(_) => project.migrations_dir.as_path(),
        };
        Ok(Box::leak(Box::new(ScriptDirectory::load(dir)?)))
    }

    pub(super) fn path(&self, path: &Path) -> String {
        Project::display_path(path, &self.cwd)
    }

    /// Says which database a command works on, so nobody has to wonder where app.db went.
    pub(super) fn announce(&self, connected: &Connected) {
        let name = connected.backend.product();
        let location = connected.backend.location();
        let verb = if connected.created {
            "Creating"
        } else {
            "Using"
        };
        self.out.info(&format!("{verb} {name} database {location}"));
    }

    /// A connection for reading: a missing SQLite file is not created.
    pub(super) fn connect_to_read(&self, project: &Project) -> Result<Connected> {
        let connected = backend::connect(&project.database_url, OpenMode::Read)?;
        self.out.detail(&|| {
            format!(
                "Reading {} database {}",
                connected.backend.product(),
                connected.backend.location()
            )
        });
        Ok(connected)
    }

    /// A connection that may write: the one planning used, or, when that found no SQLite
    /// file, a new one that creates it. Planning first means a bad target or script is
    /// reported before anything is created.
    pub(super) fn connect_to_write(
        &self,
        project: &Project,
        planned_with: Connected,
    ) -> Result<Connected> {
        let connected = if planned_with.missing {
            drop(planned_with);
            backend::connect(&project.database_url, OpenMode::Write)?
        } else {
            planned_with
        };
        self.announce(&connected);
        Ok(connected)
    }

    pub(super) fn migrator<'a>(
        &'a self,
        connected: &'a mut Connected,
        graph: &'a RevisionGraph,
    ) -> Migrator<'a> {
        Migrator {
            backend: connected.backend.as_mut(),
            graph,
            reporter: &self.out,
            lock_timeout: self.lock_timeout,
            exclude: self.exclude.get(),
        }
    }

    /// Where `init` puts the project: beside an existing mb.toml, else here.
    pub(super) fn layout(&self) -> Result<Layout> {
        let existing_config = config::find_config(&self.cwd);
        let (root, settings) = match &existing_config {
            Some(path) => (
                path.parent().unwrap_or(&self.cwd).to_path_buf(),
                config::read_config(path)?,
            ),
            None => (self.cwd.clone(), ConfigFile::default()),
        };
        let configured_migrations = root.join(
            settings
                .migrations
                .as_deref()
                .unwrap_or(config::DEFAULT_MIGRATIONS_DIR),
        );
        let migrations_dir = match &self.overrides.migrations_dir {
            Some(dir) => self.cwd.join(dir),
            None => configured_migrations.clone(),
        };
        Ok(Layout {
            existing_config,
            root,
            settings,
            configured_migrations,
            migrations_dir,
        })
    }

    /// The project of mb.toml, or without one the project `mb db init` would make here,
    /// for the commands that work on a database before there is a project.
    pub(super) fn project_or_default(&self) -> Result<Project> {
        let layout = self.layout()?;
        let project = Project::resolve(layout.root, &self.cwd, &layout.settings, &self.overrides)?;
        let _ = self.exclude.set(project.exclude.clone());
        Ok(project)
    }

    fn init(&self, from_database: Option<&str>) -> Result<()> {
        if let Some(message) = from_database {
            return self.init_from_database(message);
        }
        let layout = self.layout()?;
        let migrations_dir = &layout.migrations_dir;
        if std::fs::read_dir(migrations_dir).is_ok_and(|mut entries| entries.next().is_some()) {
            let owner = layout
                .existing_config
                .as_ref()
                .map(|config| format!(" (the migrations directory of {})", self.path(config)))
                .unwrap_or_default();
            return Err(Error::script(format!(
                "{} already exists and is not empty{owner}; choose another directory with -d DIR, or remove it first",
                self.path(migrations_dir)
            )));
        }
        ScriptDirectory::create(migrations_dir)?;
        self.out.info(&format!(
            "Created {} with versions/, README and script.sql.template",
            self.path(migrations_dir)
        ));
        self.write_config(&layout, None, None)?;
        let schema_file = layout.schema_file();
        if !schema_file.exists() {
            crate::script::write_new_file(&schema_file, STARTER_SCHEMA)?;
            self.out.info(&format!(
                "Created {}: declare your tables there",
                self.path(&schema_file)
            ));
        }
        Ok(())
    }

    /// Writes mb.toml when there is none (with `database_url`, else the default), or
    /// warns when the existing one names other migrations than `-d`.
    /// `targets` is written as `databases` when given.
    pub(super) fn write_config(
        &self,
        layout: &Layout,
        database_url: Option<&str>,
        targets: Option<Targets>,
    ) -> Result<()> {
        match &layout.existing_config {
            Some(path) if layout.migrations_dir != layout.configured_migrations => {
                self.out.warn(&format!(
                    "warning: {} says the migrations are in {}; set migrations = {} there, or pass -d to every command",
                    self.path(path),
                    self.path(&layout.configured_migrations),
                    toml_string(&relative_to(&layout.migrations_dir, &layout.root))
                ))
            }
            Some(_) => {}
            None => {
                let config_path = layout.root.join(config::CONFIG_FILE);
                let text = format!(
                    "# mb settings. Paths are relative to this file.\n\n# The database; DATABASE_URL (in the environment or in .env) overrides it.\ndatabase_url = {}\n# Revision scripts.\nmigrations = {}\n# The declared schema that `mb db migrate` compares the database with.\nschema = {}\n",
                    toml_string(database_url.unwrap_or(config::DEFAULT_URL)),
                    toml_string(&relative_to(&layout.migrations_dir, &layout.root)),
                    toml_string(config::DEFAULT_SCHEMA_FILE),
                );
                let text = match targets {
                    Some(targets) => format!(
                        "{text}# The databases the project deploys to: schema.sql may use only the types they all have.\ndatabases = {}\n",
                        targets.to_toml()
                    ),
                    None => text,
                };
                crate::script::write_new_file(&config_path, &text)?;
                self.out.info(&format!("Created {}", self.path(&config_path)));
            }
        }
        Ok(())
    }

    fn revision(&self, message: &str, args: &NewRevisionArgs) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let placement = self.placement(graph, args)?;
        let new = placement.new_revision(graph, message, args.rev_id.as_deref())?;
        let revision = scripts.write_revision(&new)?;
        self.out.print(&format!(
            "Generating {} ... done",
            self.path(&revision.path)
        ));
        if let Some(note) = &placement.note {
            self.out.info(note);
        }
        Ok(())
    }

    /// `upgrade` or `downgrade` to `target`: plans (or resumes) in `direction` with a
    /// reading connection, then runs the plan with a writing one, in one transaction
    /// with `--single-transaction`.
    fn move_to(
        &self,
        direction: Direction,
        target: &str,
        resume: bool,
        allow: Allow,
        single_transaction: bool,
    ) -> Result<()> {
        let (nothing_to_do, done) = match direction {
            Direction::Up => ("Nothing to upgrade", "Upgraded"),
            Direction::Down => ("Nothing to downgrade", "Downgraded"),
        };
        let target = &Target::parse(target)?;
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        // A database part way through revisions a squash replaced runs the rest of them
        // first; one resumed among them needs no resuming afterwards.
        let finished = match direction {
            Direction::Up => self.finish_replaced_part_way(&project, scripts, resume, allow)?,
            Direction::Down => false,
        };
        let request = Request {
            direction,
            target,
            resume: resume && !finished,
            single_transaction,
            allow_changed: allow.allow_changed,
            allow_data_loss: allow.allow_data_loss,
        };
        let mut connected = self.connect_to_read(&project)?;
        // A bad target or script is reported before a database is created; the plan
        // that runs is made again, and checked, under the migration lock.
        let preview = self.migrator(&mut connected, graph).preview(&request)?;
        if preview.is_empty() {
            self.announce(&connected);
            let at = self.migrator(&mut connected, graph).describe_state()?;
            let what = match finished {
                true => {
                    "Ran the rest of the revisions the squash replaced; nothing else to upgrade"
                }
                false => nothing_to_do,
            };
            self.out.info(&format!("{what}: the database is at {at}."));
            return Ok(());
        }
        let mut connected = self.connect_to_write(&project, connected)?;
        let mut migrator = self.migrator(&mut connected, graph);
        let count = migrator.run(&request, &preview)?;
        if count > 0 {
            let at = migrator.describe_state()?;
            self.out.info(&format!(
                "{done} {}; the database is at {at}.",
                plural(count, "revision")
            ));
        }
        Ok(())
    }

    fn resolve(&self, outcome: Resolution) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = self.connect_to_read(&project)?;
        if self
            .migrator(&mut connected, graph)
            .read_progress()?
            .is_none()
        {
            return Err(Error::script(
                "there is nothing to resolve: no revision is partly applied",
            ));
        }
        let mut connected = self.connect_to_write(&project, connected)?;
        let done = outcome == Resolution::Done;
        let (settled, heads) = self.migrator(&mut connected, graph).resolve(done)?;
        let what = match (settled.direction, done) {
            (Direction::Up, true) => "as applied",
            (Direction::Down, true) => "as unapplied",
            (Direction::Up, false) => "as not applied: its partial upgrade is forgotten",
            (Direction::Down, false) => "as still applied: its partial downgrade is forgotten",
        };
        self.out.info(&format!(
            "Recorded revision {} {what}; no SQL was run; the database is at {}.",
            settled.revision,
            describe_heads(graph, &heads)
        ));
        Ok(())
    }

    fn stamp(&self, targets: &[String], purge: bool) -> Result<()> {
        let targets = targets
            .iter()
            .map(|t| Target::parse(t))
            .collect::<Result<Vec<_>>>()?;
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = self.connect_to_read(&project)?;
        self.migrator(&mut connected, graph)
            .check_stamp(&targets, purge)?;
        let mut connected = self.connect_to_write(&project, connected)?;
        let heads = self
            .migrator(&mut connected, graph)
            .stamp(&targets, purge)?;
        self.out.info(&format!(
            "Stamped the database at {}; no SQL was run.",
            describe_heads(graph, &heads)
        ));
        Ok(())
    }

    fn rehash(&self, targets: &[String]) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let only = targets
            .iter()
            .map(|t| self.one_revision(graph, t))
            .collect::<Result<Vec<_>>>()?;
        let only = (!only.is_empty()).then_some(&only[..]);
        let mut connected = self.connect_to_read(&project)?;
        if self
            .migrator(&mut connected, graph)
            .to_rehash(only)?
            .is_empty()
        {
            self.out.info(
                "Nothing to rehash: the files of the applied revisions match what ran; no SQL was run.",
            );
            return Ok(());
        }
        let mut connected = self.connect_to_write(&project, connected)?;
        let recorded = self.migrator(&mut connected, graph).rehash(only)?;
        for i in recorded {
            let revision = graph.revision(i);
            self.out.info(&format!(
                "Recorded the current text of {} as what revision {} ran; no SQL was run.",
                self.path(&revision.path),
                revision.id
            ));
        }
        Ok(())
    }

    /// `upgrade --sql` / `downgrade --sql`: the SQL a plan runs, printed without a
    /// database. The starting point is `FROM` in `FROM:TO` (for upgrades, base by default).
    fn offline(&self, range: &str, direction: Direction, single_transaction: bool) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let (from, to) = match (range.split_once(':'), direction) {
            (Some((from, to)), _) => (Target::parse(from)?, Target::parse(to)?),
            (None, Direction::Up) => (Target::at(Point::Base(0)), Target::parse(range)?),
            (None, Direction::Down) => {
                return Err(Error::script(format!(
                    "downgrade --sql needs FROM:TO (there is no database to start from), e.g. head:base; got '{range}'"
                )));
            }
        };
        let base = State::from_rows(graph, &[])?;
        let start: Vec<String> = plan::upgrade_targets(&base, &from)?
            .into_iter()
            .map(|i| graph.revision(i).id.clone())
            .collect();
        let state = State::from_rows(graph, &start)?;
        let steps = match direction {
            Direction::Up => plan::upgrade_plan(&state, &plan::upgrade_targets(&state, &to)?),
            Direction::Down => plan::downgrade_plan(&state, &to)?,
        };
        let dialect = project.database_url.dialect();
        self.out
            .print(offline_script(graph, dialect, &state, &steps, single_transaction)?.trim_end());
        Ok(())
    }

    /// The declared schema, parsed from the file mb.toml names, with where each table
    /// and column is declared and the rename hints; a column type that one of the
    /// project's databases lacks is refused here.
    pub(super) fn declaration(&self, project: &Project) -> Result<Declaration> {
        let path = &project.schema_file;
        let text = match std::fs::read(path) {
            Ok(bytes) => crate::text::utf8_text(bytes, self.path(path)).map_err(Error::schema)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::schema(format!(
                    "no declared schema at {}; declare your tables there (or set schema = \"…\" in mb.toml)",
                    self.path(path)
                )));
            }
            Err(e) => return Err(Error::io("read", path, &e)),
        };
        let file = self.path(path);
        let mut declaration = parse_declaration(&text, Path::new(&file))?;
        for (object, pattern) in project.exclude.apply(None, &mut declaration.schema) {
            self.out.warn(&format!(
                "warning: {file} declares {object}, which exclude pattern \"{pattern}\" in mb.toml excludes; mb ignores it"
            ));
        }
        let target = [project.database_url.dialect()];
        refuse_names_not_kept(&declaration, Path::new(&file), &target)?;
        check_declared(&declaration, &text, project.targets).map_err(|p| {
            Error::schema(format!(
                "{file}:{}:{}: {}",
                p.at.line, p.at.column, p.message
            ))
        })?;
        Ok(declaration)
    }

    fn migrate(&self, message: &str, args: &NewRevisionArgs) -> Result<()> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let placement = self.placement(graph, args)?;
        let declaration = self.declaration(&project)?;
        let declared = &declaration.schema;
        let mut connected = self.connect_to_read(&project)?;
        let database = connected.backend.location();
        let mut migrator = self.migrator(&mut connected, graph);
        self.require_up_to_date(&mut migrator, graph)?;
        // The revision must build on what the migrations build, so that it applies to
        // every database made from them: a database that differs from that is refused.
        let drift = migrator.drift(&[])?;
        self.refuse_drift(
            &drift,
            &database,
            graph,
            "no revision was written: one computed from it would not apply to a database built from the migrations",
        )?;
        let introspected =
            read_against_declared(&mut connected, declared, &drift, &project.exclude)?;
        self.warn_unmanaged(&introspected);
        let live = introspected.schema.clone();
        let file = self.path(&project.schema_file);
        let (renames, hints) = self.decide_renames(&live, &declaration, &file)?;
        let up = diff_renaming(&live, declared, &renames.ops())?;
        if up.is_empty() {
            self.out.info("No changes in schema detected.");
            return Ok(());
        }
        introspected.refuse_losing_parts(&up, connected.backend.dialect())?;
        let down = diff_renaming(declared, &live, &renames.reverse_ops())?;
        let (upgrades, warnings) = ops_script(&up, &live);
        let (downgrades, _) = ops_script(&down, declared);
        for op in &up {
            self.out.info(&format!("Detected {}", op.summary()));
        }
        let new = NewRevision {
            upgrades,
            downgrades,
            ..placement.new_revision(graph, message, args.rev_id.as_deref())?
        };
        let revision = scripts.write_revision(&new)?;
        self.out.print(&format!(
            "Generating {} ... done",
            self.path(&revision.path)
        ));
        if let Some(note) = &placement.note {
            self.out.info(note);
        }
        for warning in warnings {
            self.out.warn(&format!(
                "warning: {warning}; review the revision before upgrading"
            ));
        }
        for hint in hints {
            self.out.warn(&hint);
        }
        Ok(())
    }

    /// Exit 0 when schema.sql matches the database at head (or, offline, what the
    /// migrations build), 1 with a readable diff when it does not. The database is also
    /// compared with what its migrations build, and drift is reported first.
    fn check(&self, offline: bool, format: Format) -> Result<i32> {
        let project = self.project()?;
        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let declaration = self.declaration(&project)?;
        let declared = &declaration.schema;
        let declared_name = self.path(&project.schema_file);
        let mut connected = match offline {
            true => None,
            false => Some(self.connect_to_read(&project)?),
        };
        // The drift found (database, where it is at, drift), printed before anything
        // else; set once the database was read.
        let mut found: Option<(String, String, Drift)> = None;
        // Named, so that nobody wonders which database was compared.
        let source = match &connected {
            None => "the migrations".to_string(),
            Some(c) => format!("{} database {}", c.backend.product(), c.backend.location()),
        };
        let compared_with = if offline { "migrations" } else { "database" };
        // One report for every outcome, as text or as the JSON of docs/json.md.
        let report = |found: &Option<(String, String, Drift)>,
                      status: &str,
                      message: &str,
                      ops: &[Op],
                      diff: Option<&str>| {
            let drifted = found.as_ref().filter(|(_, _, drift)| !drift.is_empty());
            if format == Format::Json {
                let status = match drifted {
                    Some(_) if matches!(status, "clean" | "differs") => "drift",
                    _ => status,
                };
                self.print_json(&serde_json::json!({
                    "status": status,
                    "compared_with": compared_with,
                    "schema_file": declared_name,
                    "message": message.trim_end_matches(':'),
                    "operations": json::operations_json(ops),
                    "diff": diff,
                    "drift": found.as_ref().map(|(database, _, drift)| serde_json::json!({
                        "database": database,
                        "objects": drift.objects(database),
                        "operations": json::operations_json(&drift.ops),
                    })),
                }));
                return;
            }
            if let Some((database, at, drift)) = drifted {
                for line in self.drift_lines(drift, database, at, graph) {
                    self.out.print(&line);
                }
                self.out.print("");
            }
            if status == "clean" {
                self.out.info(message);
                return;
            }
            if let Some(diff) = diff {
                self.out.print(diff);
                self.out.print("");
            }
            self.out.print(message);
            for op in ops {
                self.out.print(&format!("  {}", op.summary()));
            }
        };
        let heads = graph.heads();
        if heads.len() > 1 {
            report(
                &found,
                "several_heads",
                &format!(
                    "The migrations have {} heads ({}); every database must end at one schema, so merge them: `mb db merge heads -m \"merge\"`, then `mb db upgrade`.",
                    heads.len(),
                    graph.described(heads.iter().copied())
                ),
                &[],
                None,
            );
            return Ok(1);
        }
        let actual = match &mut connected {
            None => {
                let dialect = project.database_url.dialect();
                let mut built = schema_after(graph, &graph.ancestors(&heads), dialect)?;
                project.exclude.apply(None, &mut built);
                built
            }
            Some(connected) => {
                let database = connected.backend.location();
                let mut migrator = self.migrator(connected, graph);
                let drift = migrator.drift(&[])?;
                let at = migrator.describe_state()?;
                let up_to_date = self.require_up_to_date(&mut migrator, graph);
                found = Some((database, at, drift));
                if let Err(e) = up_to_date {
                    report(&found, "not_up_to_date", &e.message, &[], None);
                    return Ok(1);
                }
                let (_, _, drift) = found.as_ref().expect("just set");
                let live = read_against_declared(connected, declared, drift, &project.exclude)?;
                self.warn_unmanaged(&live);
                live.schema
            }
        };
        let drifted = found
            .as_ref()
            .is_some_and(|(_, _, drift)| !drift.is_empty());
        let renames = crate::autogenerate::renames::hinted(&actual, &declaration, &declared_name)?;
        let ops = diff_renaming(&actual, declared, &renames.ops())?;
        if ops.is_empty() {
            report(
                &found,
                "clean",
                &format!("No changes: {declared_name} matches {source}."),
                &[],
                None,
            );
            return Ok(i32::from(drifted));
        }
        let diff = similar::TextDiff::from_lines(
            autogenerate::schema_sql(&actual),
            autogenerate::schema_sql(declared),
        )
        .unified_diff()
        .context_radius(3)
        .header(&source, &declared_name)
        .to_string();
        report(
            &found,
            "differs",
            &format!(
                "{declared_name} differs from {source}: `mb db migrate` would generate {}:",
                plural(ops.len(), "operation")
            ),
            &ops,
            Some(diff.trim_end()),
        );
        Ok(1)
    }
}

/// The live schema read through the database against the declared schema first, so
/// that objects stored like their declaration take its text (see
/// `Backend::introspect_against`), then against what the migrations build. The drift
/// was read against the latter first: each comparison gets the text of its own side.
fn read_against_declared(
    connected: &mut Connected,
    declared: &Schema,
    drift: &Drift,
    exclude: &Exclude,
) -> Result<Introspected> {
    let mut live = connected
        .backend
        .introspect_against(&[declared, &drift.expected])?;
    live.exclude(exclude);
    Ok(live)
}

/// `path` relative to `root` when it is below it, for writing into mb.toml.
fn relative_to(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_string()).to_string()
}

/// A creation date as Alembic writes it, in local time.
pub(super) fn now() -> String {
    chrono::Local::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// Portable SQL for `ops`, each destructive one preceded by a warning comment; also
/// returns the warnings. `before` is the schema the ops start from: a diff changes each
/// column at most once, so the types a narrowing warning compares are all in it.
pub(super) fn ops_script(ops: &[Op], before: &Schema) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut warnings = Vec::new();
    for op in ops {
        if let Some(warning) = op.data_at_risk(before).map(|risk| risk.warning()) {
            text.push_str(&format!("-- WARNING: {warning}\n"));
            warnings.push(warning);
        }
        text.push_str(&format!("{};\n", op.to_sql()));
    }
    (text, warnings)
}
