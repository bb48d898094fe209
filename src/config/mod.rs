//! Where the project is and what it points at: `mb.toml` (found in the working directory
//! or its ancestors, like `Cargo.toml`), `.env` beside it, and the database URL chosen by
//! precedence: `--database-url` > `DATABASE_URL` (environment, then `.env`) > `mb.toml` >
//! `sqlite:///app.db` beside `mb.toml`.

pub mod mask;
pub mod targets;
pub mod url;

use crate::schema::exclude::Exclude;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use self::mask::mask_passwords;
pub use self::targets::Targets;
pub use self::url::DatabaseUrl;
use crate::{Error, Result};

pub const CONFIG_FILE: &str = "mb.toml";
pub const DEFAULT_URL: &str = "sqlite:///app.db";
pub const DEFAULT_MIGRATIONS_DIR: &str = "migrations";
pub const DEFAULT_SCHEMA_FILE: &str = "schema.sql";

/// The contents of `mb.toml`. Unknown keys are errors so a typo is never ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub database_url: Option<String>,
    pub migrations: Option<String>,
    pub schema: Option<String>,
    /// The databases the project deploys to (see [`Targets`]).
    pub databases: Option<Vec<String>>,
    /// Globs over object names that every command ignores (see `schema::exclude`).
    pub exclude: Option<Vec<String>>,
}

/// Where the database URL in use came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    CommandLine,
    Environment,
    DotEnv,
    ConfigFile,
    Default,
}

impl UrlSource {
    pub fn describe(self) -> &'static str {
        match self {
            UrlSource::CommandLine => "--database-url",
            UrlSource::Environment => "DATABASE_URL",
            UrlSource::DotEnv => "DATABASE_URL in .env",
            UrlSource::ConfigFile => "database_url in mb.toml",
            UrlSource::Default => "the default",
        }
    }
}

/// What the command line and the environment say, before the project is found.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    /// The migrations directory given with `-d`, relative to the working directory.
    pub migrations_dir: Option<PathBuf>,
    /// `DATABASE_URL` from the process environment.
    pub env_database_url: Option<String>,
}

/// A located project: all paths are absolute.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder of `mb.toml`; relative paths in the configuration are relative to it.
    pub root: PathBuf,
    pub migrations_dir: PathBuf,
    pub schema_file: PathBuf,
    pub database_url: DatabaseUrl,
    pub url_source: UrlSource,
    pub targets: Targets,
    pub exclude: Exclude,
}

/// Finds `mb.toml` in `start` or one of its ancestors.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

pub fn read_config(path: &Path) -> Result<ConfigFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, &e))?;
    let text = crate::text::utf8_text(bytes, path.display()).map_err(Error::config)?;
    toml::from_str(&text).map_err(|e| {
        let location = e
            .span()
            .map(|span| {
                let line = text[..span.start].matches('\n').count() + 1;
                format!(":{line}")
            })
            .unwrap_or_default();
        let message = mask_passwords(e.message().trim_end_matches('.'), None).replace('\n', " ");
        let hint = if message.contains("expected one of") {
            ""
        } else {
            "; the keys are database_url, migrations, schema, databases and exclude"
        };
        Error::config(format!("{}{location}: {message}{hint}", path.display()))
    })
}

impl Project {
    /// Locates the project from `cwd` and resolves every setting.
    pub fn discover(cwd: &Path, overrides: &Overrides) -> Result<Project> {
        let config_path = find_config(cwd).ok_or_else(|| {
            Error::config(format!(
                "no {CONFIG_FILE} in {} or any parent directory; run `mb db init` to start a project here",
                cwd.display()
            ))
        })?;
        let config = read_config(&config_path)?;
        let root = config_path.parent().unwrap_or(cwd).to_path_buf();
        Project::resolve(root, cwd, &config, overrides)
    }

    pub fn resolve(
        root: PathBuf,
        cwd: &Path,
        config: &ConfigFile,
        overrides: &Overrides,
    ) -> Result<Project> {
        let dot_env_url = read_dot_env_url(&root)?;
        let (raw_url, url_source) = if let Some(url) = &overrides.database_url {
            (url.clone(), UrlSource::CommandLine)
        } else if let Some(url) = &overrides.env_database_url {
            (url.clone(), UrlSource::Environment)
        } else if let Some(url) = dot_env_url {
            (url, UrlSource::DotEnv)
        } else if let Some(url) = &config.database_url {
            (url.clone(), UrlSource::ConfigFile)
        } else {
            (DEFAULT_URL.to_string(), UrlSource::Default)
        };
        let database_url = DatabaseUrl::parse(&raw_url, &root).map_err(|e| {
            Error::config(format!("{} (from {})", e.message, url_source.describe()))
        })?;
        let migrations_dir = match &overrides.migrations_dir {
            Some(dir) => cwd.join(dir),
            None => root.join(
                config
                    .migrations
                    .as_deref()
                    .unwrap_or(DEFAULT_MIGRATIONS_DIR),
            ),
        };
        let schema_file = root.join(config.schema.as_deref().unwrap_or(DEFAULT_SCHEMA_FILE));
        let targets = Targets::from_config(config.databases.as_deref())?;
        targets.require(database_url.dialect(), url_source.describe())?;
        Ok(Project {
            root,
            migrations_dir,
            schema_file,
            database_url,
            url_source,
            targets,
            exclude: Exclude::new(config.exclude.clone().unwrap_or_default()),
        })
    }

    /// A path as the user would like to read it: relative to the working directory when
    /// it is below it, absolute otherwise.
    pub fn display_path(path: &Path, cwd: &Path) -> String {
        path.strip_prefix(cwd)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| path.display().to_string())
    }
}

/// `DATABASE_URL` from a `.env` file beside `mb.toml`, if there is one. The process
/// environment is not modified.
fn read_dot_env_url(root: &Path) -> Result<Option<String>> {
    let path = root.join(".env");
    if !path.is_file() {
        return Ok(None);
    }
    let entries = dotenvy::from_path_iter(&path)
        .map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
    for entry in entries {
        let (key, value) = entry.map_err(|e| dot_env_error(&path, e))?;
        if key == "DATABASE_URL" {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// A `.env` line that cannot be read, named by its line and key: its text, which may be
/// a URL with a password (and with a quote left open, the lines after it), is not shown.
fn dot_env_error(path: &Path, error: dotenvy::Error) -> Error {
    let dotenvy::Error::LineParse(text, index) = error else {
        return Error::config(mask_passwords(
            &format!("{}: {error}", path.display()),
            None,
        ));
    };
    let first_line = text.lines().next().unwrap_or_default();
    let line = std::fs::read_to_string(path)
        .ok()
        .and_then(|file| {
            file.find(first_line)
                .map(|at| file[..at].matches('\n').count() + 1)
        })
        .map(|line| format!(":{line}"))
        .unwrap_or_default();
    let key = first_line
        .trim_start()
        .trim_start_matches("export ")
        .split('=')
        .next()
        .map(str::trim)
        .filter(|key| key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|key| format!(" (the value of {key})"))
        .unwrap_or_default();
    Error::config(format!(
        "{}{line}: cannot read the line{key} at its character {}; lines look like DATABASE_URL=sqlite:///app.db or DATABASE_URL=\"postgresql://user:password@host/db\" (a value with spaces in quotes, closed on the same line)",
        path.display(),
        index + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path, overrides: &Overrides) -> Result<Project> {
        Project::discover(dir, overrides)
    }

    #[test]
    fn precedence_is_flag_then_environment_then_dot_env_then_config_then_default() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let sub = root.join("src/deep");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.join(CONFIG_FILE), "").unwrap();
        let url_of =
            |o: &Overrides| project(&sub, o).map(|p| (p.database_url.to_string(), p.url_source));

        let default = url_of(&Overrides::default()).unwrap();
        assert_eq!(
            default,
            (
                format!("sqlite:///{}", root.join("app.db").display()),
                UrlSource::Default
            )
        );

        std::fs::write(
            root.join(CONFIG_FILE),
            "database_url = \"sqlite:///from_toml.db\"\n",
        )
        .unwrap();
        assert_eq!(
            url_of(&Overrides::default()).unwrap().1,
            UrlSource::ConfigFile
        );

        std::fs::write(
            root.join(".env"),
            "# comment\nDATABASE_URL=sqlite:///from_env_file.db\n",
        )
        .unwrap();
        let from_dot_env = url_of(&Overrides::default()).unwrap();
        assert!(from_dot_env.0.ends_with("from_env_file.db"));
        assert_eq!(from_dot_env.1, UrlSource::DotEnv);

        let env = Overrides {
            env_database_url: Some("sqlite:///from_env.db".into()),
            ..Overrides::default()
        };
        assert_eq!(url_of(&env).unwrap().1, UrlSource::Environment);

        let flag = Overrides {
            database_url: Some("sqlite:////tmp/flag.db".into()),
            ..env
        };
        assert_eq!(
            url_of(&flag).unwrap(),
            ("sqlite:////tmp/flag.db".into(), UrlSource::CommandLine)
        );
    }

    #[test]
    fn paths_are_relative_to_the_config_file() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(
            root.join(CONFIG_FILE),
            "migrations = \"db/migrations\"\nschema = \"db/schema.sql\"\n",
        )
        .unwrap();
        let p = project(&root.join("a/b"), &Overrides::default()).unwrap();
        assert_eq!(p.root, root);
        assert_eq!(p.migrations_dir, root.join("db/migrations"));
        assert_eq!(p.schema_file, root.join("db/schema.sql"));
    }

    #[test]
    fn missing_config_and_unknown_keys_are_clear_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let err = project(tmp.path(), &Overrides::default()).unwrap_err();
        assert!(err.message.contains("run `mb db init`"), "{}", err.message);

        std::fs::write(tmp.path().join(CONFIG_FILE), "\ndatabse_url = \"x\"\n").unwrap();
        let err = project(tmp.path(), &Overrides::default()).unwrap_err();
        assert!(
            err.message
                .contains("mb.toml:2: unknown field `databse_url`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_bad_url_names_where_it_came_from() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(CONFIG_FILE),
            "database_url = \"sqlite://app.db\"\n",
        )
        .unwrap();
        let err = project(tmp.path(), &Overrides::default()).unwrap_err();
        assert!(
            err.message.ends_with("(from database_url in mb.toml)"),
            "{}",
            err.message
        );
    }
}
