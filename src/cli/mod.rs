//! The command line: clap definitions and a thin verb per subcommand. All work happens in
//! the library; this layer finds the project, connects, and formats results.

mod adopt;
mod commands;
mod draw;
mod drift;
mod graph;
mod json;
mod output;
mod renames;
mod shell;
mod squash;
mod usage;

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::config::Overrides;
use json::Format;
use output::Output;

#[derive(Parser, Debug)]
#[command(
    name = "mb",
    version,
    about = "Migrations for SQLite, PostgreSQL and MySQL/MariaDB, generated from a declared schema",
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: TopCommand,
}

/// The longest `--lock-timeout` (about 24 days): SQLite counts its busy timeout in
/// milliseconds in a 32-bit integer, and every database takes the same range.
const MAX_LOCK_TIMEOUT_SECS: u64 = i32::MAX as u64 / 1000;

#[derive(Args, Debug)]
struct GlobalArgs {
    /// Database URL (overrides DATABASE_URL and mb.toml), e.g. sqlite:///app.db
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Migrations directory (default: `migrations` beside mb.toml)
    #[arg(short = 'd', long, global = true, value_name = "DIR")]
    directory: Option<PathBuf>,
    /// Print only results and errors
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print more: each statement as it runs, full revision details
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// How long to wait for another mb migrating the same database
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = crate::runtime::DEFAULT_LOCK_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(0..=MAX_LOCK_TIMEOUT_SECS))]
    lock_timeout: u64,
}

#[derive(Subcommand, Debug)]
enum TopCommand {
    /// Database migrations: init, revision, upgrade, downgrade, history, ...
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Print a shell completion script for mb
    #[command(
        after_help = "Examples:\n  mb completions bash > ~/.local/share/bash-completion/completions/mb\n  mb completions zsh > ~/.zfunc/_mb        (with fpath+=~/.zfunc before compinit)\n  mb completions fish > ~/.config/fish/completions/mb.fish"
    )]
    Completions {
        /// The shell to complete in
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const DB_EXAMPLES: &str = "Examples:
  mb db init                       create migrations/ and mb.toml
  mb db init --from-database       adopt an existing database: schema.sql, a baseline, stamped
  mb db inspect                    print the database's schema as schema.sql
  mb db migrate -m \"posts table\"   write a revision for the changes in schema.sql
  mb db check                      exit 1 when schema.sql and the database differ
  mb db drift                      what was done to the database outside the migrations
  mb db adopt -m \"hand changes\"    keep it as a revision (or: mb db drift --revert)
  mb db revision -m \"add index\"    write an empty revision to fill in
  mb db upgrade                    apply every pending revision
  mb db upgrade +1                 apply the next revision only
  mb db downgrade                  undo the last revision
  mb db downgrade base             undo every revision
  mb db stamp head                 record the head as applied without running it
  mb db upgrade --resume           finish a revision that stopped part way (MySQL)
  mb db resolve undone             record that you undid such a revision by hand
  mb db rehash e517                record the new text of an applied revision you edited
  mb db history -i                 list revisions, marking the applied ones
  mb db current -v                 show where the database is, in detail
  mb db heads                      list the newest revision(s) of the migrations
  mb db branches                   list branch points and the branches leaving them
  mb db merge heads -m \"merge\"     join every head in one merge revision
  mb db squash head -m \"initial\"   replace the revisions up to the head with one
  mb db upgrade email@head         apply one branch, labelled with --branch-label email
  mb db show e517                  print a revision (by unique id prefix)
  mb db edit head                  open a revision in $EDITOR
  mb db shell                      open psql, mysql or sqlite3 on the database";

#[derive(Subcommand, Debug)]
#[command(after_help = DB_EXAMPLES)]
enum DbCommand {
    /// Create the migrations directory (versions/, README, template) and mb.toml
    #[command(
        after_help = "Examples:\n  mb db init -d db/migrations\n  mb --database-url postgresql://app@localhost/app db init --from-database"
    )]
    Init {
        /// Adopt the existing database: write schema.sql from it, a baseline revision that
        /// creates it, and stamp the database at that revision (nothing is run)
        #[arg(long)]
        from_database: bool,
        /// The baseline revision's message (with --from-database)
        #[arg(short, long, default_value = "baseline", requires = "from_database")]
        message: String,
    },
    /// Print the database's schema as schema.sql (portable SQL), or write it to a file
    #[command(
        after_help = "Examples:\n  mb db inspect\n  mb db inspect --output schema.sql --force\n  mb --database-url sqlite:///legacy.db db inspect > schema.sql"
    )]
    Inspect {
        /// Write the schema to this file instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the --output file when it exists
        #[arg(long, requires = "output")]
        force: bool,
    },
    /// Write an empty revision file to fill in by hand
    #[command(
        after_help = "Examples:\n  mb db revision -m \"seed roles\"\n  mb db revision -m \"hotfix\" --head ae1027a6acf\n  mb db revision -m \"audit tables\" --head base --branch-label audit\n  mb db revision -m \"use audit\" --depends-on audit"
    )]
    Revision {
        /// What the revision does; becomes its first header line and file name
        #[arg(short, long, default_value = "empty message")]
        message: String,
        #[command(flatten)]
        new: NewRevisionArgs,
    },
    /// Write a revision from the differences between schema.sql and the database
    #[command(
        after_help = "The database must be at the head (with several heads: at every head). Nothing is written when nothing changed.\nExamples:\n  mb db migrate -m \"posts table\"\n  mb db migrate -m \"add email\" --rev-id 0002_email\n  mb db migrate -m \"add email\" --branch-label email\n  mb db migrate -m \"more email\" --head email@head   (with several heads)"
    )]
    Migrate {
        /// What the revision does; becomes its first header line and file name
        #[arg(short, long, default_value = "empty message")]
        message: String,
        #[command(flatten)]
        new: NewRevisionArgs,
    },
    /// Show how the database differs from what its migrations build (exit 1 when it does)
    #[command(
        after_help = "Drift is what was done to the database outside the migrations: tables that no revision creates\n(db.create_all()), columns and indexes added or dropped by hand. See docs/drift.md.\nExamples:\n  mb db drift                       name the drifted objects, with a diff\n  mb db drift --sql                 print the SQL that puts the database back\n  mb db drift --revert              run it (in one transaction where the database allows)\n  mb db adopt -m \"hand changes\"     keep the drift instead, as a revision"
    )]
    Drift {
        /// Print the SQL that would put the database back at what the migrations build
        #[arg(long, conflicts_with_all = ["revert", "format"])]
        sql: bool,
        /// Put the database back at what the migrations build (under the migration lock)
        #[arg(long)]
        revert: bool,
        /// With --revert: drop hand-made tables and columns even when they hold data
        #[arg(long, requires = "revert")]
        allow_data_loss: bool,
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text, conflicts_with = "revert")]
        format: Format,
    },
    /// Keep the drift: a revision that records it, and the database stamped at it
    #[command(
        after_help = "The database must be at the head. The revision's up makes what the database has outside the migrations,\nits down undoes it; no SQL runs on the database. Without revisions it is the project's baseline. See docs/drift.md.\nExamples:\n  mb db adopt -m \"tables from create_all\"\n  mb db adopt"
    )]
    Adopt {
        /// What the revision records; becomes its first header line and file name
        #[arg(short, long, default_value = "adopt drift")]
        message: String,
    },
    /// Replace a linear run of revisions with one revision that does the same
    #[command(
        after_help = "The replaced files move to migrations/replaced/; databases part way through them finish them there on `mb db upgrade`. See docs/squash.md.\nExamples:\n  mb db squash head -m \"initial schema\"          everything up to the head (from its first revision)\n  mb db squash 1a2b3c 9f8e7d -m \"2026 changes\"   the run from 1a2b3c to 9f8e7d"
    )]
    Squash {
        /// [FROM] TO: the first revision to replace (default: the start of TO's linear
        /// run) and the last (an id, unique prefix, branch label, or head)
        #[arg(value_name = "REV", num_args = 1..=2, required = true)]
        range: Vec<String>,
        /// What the squash revision does; becomes its first header line and file name
        #[arg(short, long, required = true)]
        message: String,
        /// Use this revision id instead of a random one
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
    },
    /// Write a merge revision that joins several heads into one
    #[command(
        after_help = "Examples:\n  mb db merge heads -m \"merge email and posts\"\n  mb db merge 1c2d3e 7f8e9d -m \"merge\"\n  mb db merge heads --branch-label release_2"
    )]
    Merge {
        /// The revisions to merge: `heads` (every head), or two or more revisions
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
        /// What the merge is for (default: "merge" and the ids)
        #[arg(short, long)]
        message: Option<String>,
        /// Use this revision id instead of a random one
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// A name for the branch that starts at the merge (for targets like LABEL@head)
        #[arg(long, value_name = "LABEL")]
        branch_label: Option<String>,
    },
    /// Exit 1 when schema.sql and the database (or, offline, the migrations) disagree
    #[command(
        after_help = "Examples:\n  mb db check             compare schema.sql with the database at head\n  mb db check --offline   compare schema.sql with what the migrations build (no database)"
    )]
    Check {
        /// Compare with the schema the migrations produce, simulated without a database
        #[arg(long)]
        offline: bool,
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Apply revisions up to a target (default: head)
    #[command(
        after_help = "Targets: head, heads, a revision id or unique prefix, +N, REV+N, LABEL@head, LABEL@+1\nExamples:\n  mb db upgrade\n  mb db upgrade +2\n  mb db upgrade ae1027\n  mb db upgrade heads                      every branch, when there are several heads\n  mb db upgrade email@head                 one branch\n  mb db upgrade --allow-data-loss          run although a revision drops data the database holds
  mb db upgrade --single-transaction       all revisions or none (SQLite, PostgreSQL)\n  mb db upgrade --sql > upgrade.sql        print the SQL instead of running it\n  mb db upgrade --sql e517276bb1c2:head"
    )]
    Upgrade {
        /// Target revision (with --sql also FROM:TO)
        #[arg(default_value = "head", allow_negative_numbers = true)]
        revision: String,
        /// First run the rest of a revision that stopped part way (see `mb db current`)
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
        /// Print the SQL for the target database instead of running it (no connection)
        #[arg(long)]
        sql: bool,
        #[command(flatten)]
        allow: Allow,
        /// Run all revisions in one transaction: all apply or none (SQLite, PostgreSQL)
        #[arg(long, conflicts_with = "resume")]
        single_transaction: bool,
    },
    /// Undo revisions down to a target (default: -1, the last one)
    #[command(
        after_help = "Targets: -N, base, a revision id or unique prefix, REV-N, LABEL@-1, LABEL@base\nExamples:\n  mb db downgrade\n  mb db downgrade -2\n  mb db downgrade base\n  mb db downgrade e517276bb1c2             back to a branch point: both branches come down\n  mb db downgrade email@base               only the email branch comes down\n  mb db downgrade --sql head:base        print the SQL instead of running it"
    )]
    Downgrade {
        /// Target revision (with --sql: FROM:TO)
        #[arg(default_value = "-1", allow_negative_numbers = true)]
        revision: String,
        /// First run the rest of a revision that stopped part way (see `mb db current`)
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
        /// Print the SQL for the target database instead of running it (no connection)
        #[arg(long)]
        sql: bool,
        #[command(flatten)]
        allow: Allow,
        /// Run all revisions in one transaction: all apply or none (SQLite, PostgreSQL)
        #[arg(long, conflicts_with = "resume")]
        single_transaction: bool,
    },
    /// Settle a revision that stopped part way, after finishing or undoing it by hand
    #[command(
        after_help = "A revision stops part way where DDL cannot be rolled back (MySQL, MariaDB) or when it runs\noutside a transaction (-- mb:no-transaction). `mb db current` shows which statements ran.\nExamples:\n  mb db resolve done      you ran its remaining statements by hand: record it as applied\n  mb db resolve undone    you undid the statements that ran: forget the attempt"
    )]
    Resolve {
        /// done: record the revision as applied (unapplied for a downgrade); undone: forget the attempt
        #[arg(value_enum)]
        outcome: Resolution,
    },
    /// Record revisions as applied without running them
    #[command(after_help = "Examples:\n  mb db stamp head\n  mb db stamp --purge ae1027a6acf")]
    Stamp {
        /// Target revisions
        #[arg(required = true, allow_negative_numbers = true)]
        revisions: Vec<String>,
        /// Empty the version table first (when it names revisions that no longer exist)
        #[arg(long)]
        purge: bool,
    },
    /// Record the current text of applied revisions after a deliberate edit
    #[command(
        after_help = "Upgrades and downgrades refuse while an applied revision's file differs from the text that ran.\nAfter editing such a file on purpose (and making sure the database matches it), record its new checksum.\nExamples:\n  mb db rehash            every applied revision whose file changed\n  mb db rehash ae1027     one revision"
    )]
    Rehash {
        /// Applied revisions to record (default: every applied revision whose file changed)
        #[arg(value_name = "REV")]
        revisions: Vec<String>,
    },
    /// Show the revision(s) the database is at
    #[command(after_help = "Examples:\n  mb db current -v\n  mb db current --format json")]
    Current {
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List revisions, newest first
    #[command(
        after_help = "With branches, a graph is drawn beside the revisions.\nExamples:\n  mb db history\n  mb db history -i -r base:current\n  mb db history -r -3:current\n  mb db history -r ae1027:\n  mb db history -r email@base:email@head"
    )]
    History {
        /// Only revisions in START:END (base, head(s), current, a revision, -N from current)
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "START:END",
            allow_hyphen_values = true
        )]
        range: Option<String>,
        /// Mark the revisions applied to the database
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the head revision(s) of the migrations
    #[command(after_help = "Examples:\n  mb db heads -v\n  mb db heads --format json")]
    Heads {
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show the branch points and the branches that leave them
    #[command(after_help = "Example:\n  mb db branches -v")]
    Branches,
    /// Show one revision: its header and its SQL
    #[command(after_help = "Examples:\n  mb db show head\n  mb db show email@head")]
    Show {
        /// Revision id, unique prefix, branch label, head, LABEL@head, REV-1
        revision: String,
        /// Output format: text, or json (see docs/json.md)
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Open the database's own client (sqlite3, psql, mariadb/mysql), connected
    #[command(
        after_help = "Arguments after -- go to the client. The password is passed in PGPASSWORD / MYSQL_PWD, never on the command line.\nExamples:\n  mb db shell\n  mb db shell -- -c \"select count(*) from post\"     (psql)\n  mb db shell -- -e \"show tables\"                   (mysql, mariadb)\n  mb db shell -- \"select count(*) from post;\"      (sqlite3)"
    )]
    Shell {
        /// Arguments for the client
        #[arg(last = true, value_name = "CLIENT ARGS")]
        args: Vec<std::ffi::OsString>,
    },
    /// Open a revision file in $EDITOR (or $VISUAL)
    #[command(
        after_help = "EDITOR may carry arguments, e.g. EDITOR=\"code --wait\".\nExamples:\n  mb db edit head\n  mb db edit ae10"
    )]
    Edit {
        /// Revision id, unique prefix, branch label, head, LABEL@head, REV-1
        revision: String,
    },
}

/// Where `revision` and `migrate` put the new revision.
#[derive(Args, Debug, Default)]
struct NewRevisionArgs {
    /// Use this revision id instead of a random one
    #[arg(long, value_name = "ID")]
    rev_id: Option<String>,
    /// The revision to build on (default: the single head; `base` starts a new root)
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// A name for the branch that starts at the new revision (for targets like LABEL@head)
    #[arg(long, value_name = "LABEL")]
    branch_label: Option<String>,
    /// Revisions (or branch labels) of other branches that must be applied first
    #[arg(long, value_name = "REV", value_delimiter = ',')]
    depends_on: Vec<String>,
}

/// What `upgrade` and `downgrade` may do that mb refuses by default (docs/safety.md).
#[derive(Args, Debug, Clone, Copy)]
struct Allow {
    /// Run although an applied revision's file changed since it ran (with a warning)
    #[arg(long)]
    allow_changed: bool,
    /// Run although a revision drops or narrows tables or columns that hold data
    #[arg(long)]
    allow_data_loss: bool,
}

/// What `mb db resolve` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Resolution {
    /// The revision was finished by hand
    Done,
    /// What ran of it was undone by hand
    Undone,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    output::install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(mut e) => {
            usage::add_tip(&mut e);
            let _ = e.print();
            return e.exit_code();
        }
    };
    let command = match cli.command {
        TopCommand::Db { command } => command,
        TopCommand::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "mb", &mut std::io::stdout());
            return 0;
        }
    };
    let out = Output::new(cli.global.quiet, cli.global.verbose);
    let context = match commands::Context::new(&cli.global, out) {
        Ok(context) => context,
        Err(e) => return output::report_error(&e),
    };
    match context.run(command) {
        Ok(code) => code,
        Err(e) => output::report_error(&e),
    }
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            database_url: self.database_url.clone(),
            migrations_dir: self.directory.clone(),
            env_database_url: std::env::var("DATABASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty()),
        }
    }
}
