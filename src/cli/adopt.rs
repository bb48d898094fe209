//! Adopting a database that has no migrations: `inspect` writes its schema as
//! `schema.sql`, `init --from-database` also writes a baseline revision that creates it
//! and stamps the database at it, so nothing is created again.

use std::path::Path;

use super::commands::{Context, Layout, STARTER_SCHEMA, ops_script};
use crate::autogenerate::{self, schema_sql};
use crate::backend::{self, Connected, Introspected, OpenMode};
use crate::config::{DatabaseUrl, Project, Targets};
use crate::dialect::{Dialect, types};
use crate::runtime::Reporter;
use crate::runtime::describe_heads;
use crate::schema::parse::parse_schema_sql;
use crate::schema::{Schema, quoted};
use crate::script::target::{Point, Target};
use crate::script::{NewRevision, ScriptDirectory, new_revision_id};
use crate::text::plural;
use crate::{Error, Result};

impl Context {
    /// `mb db inspect`: the live schema as `schema.sql`, on stdout or into `output`.
    pub(super) fn inspect(&self, output: Option<&Path>, force: bool) -> Result<()> {
        let project = self.project_or_default()?;
        let mut connected = self.connect_existing(&project)?;
        let mut live = connected.backend.introspect()?;
        live.exclude(&project.exclude);
        self.warn_unmanaged(&live);
        let spellings = portable_spellings(&mut live.schema, connected.backend.dialect());
        let schema = &live.schema;
        let text = schema_file_text(&live, &connected);
        let Some(output) = output else {
            self.report_spellings(&spellings, &project, None);
            self.out.print(text.trim_end());
            return Ok(());
        };
        let path = self.cwd.join(output);
        if path.exists() && !force {
            return Err(Error::safety(format!(
                "{} already exists; pass --force to replace it, or choose another file with --output",
                self.path(&path)
            )));
        }
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, &e))?;
        self.report_spellings(&spellings, &project, None);
        self.out.info(&format!(
            "Wrote {} ({}) to {}",
            counts(schema),
            connected.backend.location(),
            self.path(&path)
        ));
        Ok(())
    }

    /// `mb db init --from-database`: schema.sql from the database (unless one that agrees
    /// with it is there), a baseline revision that creates everything, and the database
    /// stamped at it. Everything is checked before the first file is written.
    pub(super) fn init_from_database(&self, message: &str) -> Result<()> {
        let layout = self.layout()?;
        refuse_existing_revisions(&layout, |p| self.path(p))?;
        let project = Project::resolve(
            layout.root.clone(),
            &self.cwd,
            &layout.settings,
            &self.overrides,
        )?;
        let mut connected = self.connect_existing(&project)?;
        let declared = self.agreeing_declaration(&project, &mut connected)?;
        let mut introspected = match &declared {
            Some(declared) => connected.backend.introspect_against(&[declared])?,
            None => connected.backend.introspect()?,
        };
        introspected.exclude(&project.exclude);
        self.warn_unmanaged(&introspected);
        // schema.sql, when there is one that agrees, already says how to spell each type.
        let dialect = connected.backend.dialect();
        let spellings = match declared {
            Some(_) => Spellings {
                changed: Vec::new(),
                ..portable_spellings(&mut introspected.schema.clone(), dialect)
            },
            None => portable_spellings(&mut introspected.schema, dialect),
        };
        let live = &introspected.schema;
        if live.tables.is_empty() && live.views.is_empty() {
            return Err(Error::script(format!(
                "{} has no tables or views to adopt; start with `mb db init` instead",
                connected.backend.location()
            )));
        }

        if !layout.migrations_dir.exists() {
            ScriptDirectory::create(&layout.migrations_dir)?;
            self.out.info(&format!(
                "Created {} with versions/, README and script.sql.template",
                self.path(&layout.migrations_dir)
            ));
        }
        let targets = (layout.existing_config.is_none() && spellings.databases != Targets::ALL)
            .then_some(spellings.databases);
        self.write_config(&layout, self.url_to_record(&project.database_url), targets)?;
        self.report_spellings(&spellings, &project, targets);
        if declared.is_none() {
            std::fs::write(
                &project.schema_file,
                schema_file_text(&introspected, &connected),
            )
            .map_err(|e| Error::io("write", &project.schema_file, &e))?;
            self.out.info(&format!(
                "Wrote {} from the database: {}",
                self.path(&project.schema_file),
                counts(live)
            ));
        }

        let scripts = self.scripts(&project)?;
        let (upgrades, _) = ops_script(
            &autogenerate::diff(&Schema::default(), live),
            &Schema::default(),
        );
        let upgrades = format!("{}{upgrades}", left_out_comment(&introspected));
        let (downgrades, _) = ops_script(&autogenerate::diff(live, &Schema::default()), live);
        let revision = scripts.write_revision(&NewRevision {
            id: new_revision_id()?,
            message: message.to_string(),
            create_date: super::commands::now(),
            upgrades,
            downgrades,
            ..NewRevision::default()
        })?;
        self.out.print(&format!(
            "Generating {} ... done",
            self.path(&revision.path)
        ));

        let scripts = self.scripts(&project)?;
        let graph = &scripts.graph;
        let mut connected = backend::connect(&project.database_url, OpenMode::Write)?;
        self.announce(&connected);
        let heads = self
            .migrator(&mut connected, graph)
            .stamp(&[Target::at(Point::Heads)], true)?;
        self.out.info(&format!(
            "Stamped the database at {}; no SQL was run. `mb db check` compares it with {}.",
            describe_heads(graph, &heads),
            self.path(&project.schema_file)
        ));
        Ok(())
    }

    /// A connection to a database that must exist: reading a missing SQLite file would
    /// inspect an empty stand-in.
    pub(super) fn connect_existing(&self, project: &Project) -> Result<Connected> {
        let connected = self.connect_to_read(project)?;
        if connected.missing {
            return Err(Error::database(format!(
                "there is no database at {} (from {}); check the URL",
                project.database_url,
                project.url_source.describe()
            )));
        }
        Ok(connected)
    }

    /// The declared schema when schema.sql already declares one (not just the starter
    /// comments) and the database agrees with it; `None` when there is none to keep.
    /// A declaration that differs is refused: replacing it would lose the user's work,
    /// and keeping it would make the baseline disagree with schema.sql.
    fn agreeing_declaration(
        &self,
        project: &Project,
        connected: &mut Connected,
    ) -> Result<Option<Schema>> {
        let path = &project.schema_file;
        let text = match std::fs::read_to_string(path) {
            Ok(text) if text != STARTER_SCHEMA => text,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", path, &e)),
        };
        let mut declared = parse_schema_sql(&text, Path::new(&self.path(path)))?;
        project.exclude.apply(None, &mut declared);
        // There are no migrations yet: the declaration is the only known schema.
        let mut live = connected.backend.introspect_against(&[&declared])?;
        live.exclude(&project.exclude);
        let live = live.schema;
        let differences = autogenerate::diff(&live, &declared);
        if !differences.is_empty() {
            return Err(Error::safety(format!(
                "{} declares a schema that differs from the database ({}, first: {}); move it away to have mb write the database's schema there, or make the two agree first",
                self.path(path),
                plural(differences.len(), "difference"),
                differences[0].summary()
            )));
        }
        Ok(Some(declared))
    }

    /// Says which columns adopting spelt the portable way, and which types tie the project
    /// to some databases: mb.toml says so when `written` (what adopting wrote there),
    /// else the user is told to, unless the project's `databases` already fit.
    fn report_spellings(&self, spellings: &Spellings, project: &Project, written: Option<Targets>) {
        for line in &spellings.changed {
            self.out.info(line);
        }
        let databases = spellings.databases;
        // Types that only some databases have matter when the project may deploy to others.
        let fits = written.is_none() && project.targets.and(databases) == project.targets;
        if spellings.tying.is_empty() || fits {
            return;
        }
        for line in &spellings.tying {
            self.out.warn(&format!("warning: {line}"));
        }
        let tie = format!("these types tie the project to {}", databases.names());
        if written.is_some() {
            self.out.warn(&format!(
                "warning: {tie}: mb.toml says so with databases = {}",
                databases.to_toml()
            ));
        } else {
            self.out.warn(&format!(
                "warning: {tie}: set databases = {} in mb.toml (`mb db migrate` and `mb db check` refuse them otherwise), or change them to portable types",
                databases.to_toml()
            ));
        }
    }

    /// One warning line for each object of the database that mb leaves alone.
    pub(super) fn warn_unmanaged(&self, live: &Introspected) {
        for object in &live.unmanaged {
            self.out.warn(&object.warning());
        }
    }

    /// The URL mb.toml records: the one given with `--database-url`, unless it carries a
    /// password, which belongs in DATABASE_URL or `.env`, not in a file under version
    /// control.
    fn url_to_record(&self, url: &DatabaseUrl) -> Option<&str> {
        let given = self.overrides.database_url.as_deref()?;
        if matches!(url, DatabaseUrl::Server(server) if server.password.is_some()) {
            self.out.warn(&format!(
                "warning: mb.toml does not record {url} because it carries a password; set DATABASE_URL (in the environment or in .env) instead"
            ));
            return None;
        }
        Some(given)
    }
}

/// Refuses a migrations directory that already holds revisions: a baseline is the first
/// revision of a project.
fn refuse_existing_revisions(layout: &Layout, show: impl Fn(&Path) -> String) -> Result<()> {
    let versions = ScriptDirectory::versions_dir(&layout.migrations_dir);
    let count = std::fs::read_dir(&versions)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|ext| ext == "sql"))
                .count()
        })
        .unwrap_or(0);
    if count > 0 {
        return Err(Error::script(format!(
            "{} already has {}; --from-database starts a project that has none (to record that a database already has them, use `mb db stamp head`)",
            show(&layout.migrations_dir),
            plural(count, "revision")
        )));
    }
    Ok(())
}

/// What adopting did with a database's column types.
struct Spellings {
    /// One line per column given the portable spelling.
    changed: Vec<String>,
    /// One line per column whose type not every database has.
    tying: Vec<String>,
    /// The databases that have every type of the schema.
    databases: Targets,
}

/// Gives each column of `schema` (read from a `dialect` database) the portable spelling
/// where the database stores it alike, and finds the databases that have the rest.
fn portable_spellings(schema: &mut Schema, dialect: Dialect) -> Spellings {
    let mut spellings = Spellings {
        changed: Vec::new(),
        tying: Vec::new(),
        databases: Targets::ALL,
    };
    schema.tables.change_each(|name, table| {
        for column in &mut table.columns {
            let at = format!("{}.{}", quoted(name), quoted(&column.name));
            if let Some(portable) = types::portable_spelling(&column.ty, dialect) {
                spellings.changed.push(format!(
                    "{at}: {} is written as the portable {portable}, which {} stores alike",
                    column.ty,
                    dialect.name()
                ));
                column.ty = portable;
                continue;
            }
            // The database the type came from has it, whatever the catalogs say.
            let knowing = Targets::of(types::databases_knowing(&column.ty)).or(dialect);
            if knowing != Targets::ALL {
                spellings.tying.push(format!(
                    "{at} has type {}, which only {} {} (there is no portable type that means the same)",
                    column.ty,
                    knowing.names(),
                    if knowing.iter().count() == 1 { "has" } else { "have" }
                ));
                spellings.databases = spellings.databases.and(knowing);
            }
        }
    });
    spellings
}

/// The live schema as a schema.sql file, with a comment that says where it came from
/// and names what the database has beside it.
fn schema_file_text(live: &Introspected, connected: &Connected) -> String {
    let backend = &connected.backend;
    let mut header = format!(
        "-- The schema of {} database {}, read by `mb db inspect`.\n",
        backend.product(),
        backend.location(),
    );
    header.push_str(&left_out_comment(live));
    format!("{header}\n{}", schema_sql(&live.schema))
}

/// Comment lines that name what the database has beside the schema; none when nothing.
fn left_out_comment(live: &Introspected) -> String {
    if live.unmanaged.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "-- Left out, as mb does not manage them yet (the database keeps them as they are):\n",
    );
    for object in &live.unmanaged {
        text.push_str(&format!("--   {}\n", object.to_string().replace('\n', " ")));
    }
    text
}

/// `3 tables, 1 view`.
fn counts(schema: &Schema) -> String {
    format!(
        "{}, {}",
        plural(schema.tables.len(), "table"),
        plural(schema.views.len(), "view")
    )
}
