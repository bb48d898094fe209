//! The databases a project deploys to: `databases = ["sqlite", "postgresql", "mysql"]` in
//! `mb.toml` (all three when the key is absent). What schema.sql may declare is decided
//! against this list, so that a schema that runs in development also runs in production.

use crate::dialect::Dialect;
use crate::{Error, Result};

/// The accepted spellings of each database in `databases`.
const SPELLINGS: [(&str, Dialect); 5] = [
    ("sqlite", Dialect::Sqlite),
    ("postgresql", Dialect::Postgres),
    ("postgres", Dialect::Postgres),
    ("mysql", Dialect::Mysql),
    ("mariadb", Dialect::Mysql),
];

const ACCEPTED: &str =
    "\"sqlite\", \"postgresql\" (or \"postgres\") and \"mysql\" (or \"mariadb\")";

/// The databases a project deploys to, each once, in the order SQLite, PostgreSQL, MySQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    sqlite: bool,
    postgres: bool,
    mysql: bool,
}

impl Default for Targets {
    /// All three: a project that says nothing may deploy anywhere.
    fn default() -> Self {
        Targets::ALL
    }
}

impl Targets {
    pub const ALL: Targets = Targets {
        sqlite: true,
        postgres: true,
        mysql: true,
    };

    /// The `databases` list of mb.toml; `None` (no key) is all three.
    pub fn from_config(entries: Option<&[String]>) -> Result<Targets> {
        let Some(entries) = entries else {
            return Ok(Targets::default());
        };
        if entries.is_empty() {
            return Err(Error::config(format!(
                "mb.toml: databases is empty; list the databases this project deploys to, from {ACCEPTED}, or remove the key to mean all three"
            )));
        }
        let mut targets = Targets::of([]);
        for entry in entries {
            let dialect = SPELLINGS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(entry.trim()))
                .map(|(_, dialect)| *dialect)
                .ok_or_else(|| {
                    Error::config(format!(
                        "mb.toml: databases: unknown database {entry:?}; the accepted values are {ACCEPTED}"
                    ))
                })?;
            *targets.slot(dialect) = true;
        }
        Ok(targets)
    }

    /// Only `dialect`.
    pub fn only(dialect: Dialect) -> Targets {
        Targets::of([dialect])
    }

    /// Exactly `dialects` (possibly none, which mb.toml cannot say).
    pub fn of(dialects: impl IntoIterator<Item = Dialect>) -> Targets {
        let mut targets = Targets {
            sqlite: false,
            postgres: false,
            mysql: false,
        };
        for dialect in dialects {
            *targets.slot(dialect) = true;
        }
        targets
    }

    /// These and `dialect`.
    pub fn or(self, dialect: Dialect) -> Targets {
        Targets::of(self.iter().chain([dialect]))
    }

    /// The databases in both.
    pub fn and(self, other: Targets) -> Targets {
        Targets::of(self.iter().filter(|d| other.contains(*d)))
    }

    /// The databases' names for messages: `SQLite and PostgreSQL`.
    pub fn names(&self) -> String {
        crate::text::and_list(self.iter().map(Dialect::name))
    }

    fn slot(&mut self, dialect: Dialect) -> &mut bool {
        match dialect {
            Dialect::Sqlite => &mut self.sqlite,
            Dialect::Postgres => &mut self.postgres,
            Dialect::Mysql => &mut self.mysql,
        }
    }

    pub fn contains(&self, dialect: Dialect) -> bool {
        match dialect {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
            Dialect::Mysql => self.mysql,
        }
    }

    /// The databases, in the order SQLite, PostgreSQL, MySQL.
    pub fn iter(&self) -> impl Iterator<Item = Dialect> + '_ {
        [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql]
            .into_iter()
            .filter(|dialect| self.contains(*dialect))
    }

    /// The list as mb.toml writes it: `["sqlite", "postgresql"]`.
    pub fn to_toml(&self) -> String {
        let names: Vec<String> = self
            .iter()
            .map(|d| format!("{:?}", config_name(d)))
            .collect();
        format!("[{}]", names.join(", "))
    }

    /// Checks that the database of the URL in use is one of the targets.
    pub fn require(&self, dialect: Dialect, url_source: &str) -> Result<()> {
        if self.contains(dialect) {
            return Ok(());
        }
        Err(Error::config(format!(
            "the database URL (from {url_source}) is a {} database, which is not in databases = {} in mb.toml; add \"{}\" to the list if the project deploys to it",
            dialect.name(),
            self.to_toml(),
            config_name(dialect)
        )))
    }
}

/// The name of a database in `databases`.
pub fn config_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgresql",
        Dialect::Mysql => "mysql",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(entries: &[&str]) -> Result<Targets> {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        Targets::from_config(Some(&entries))
    }

    #[test]
    fn spellings_fold_to_three_databases() {
        assert_eq!(Targets::from_config(None).unwrap(), Targets::default());
        let pg = targets(&["postgres", "PostgreSQL"]).unwrap();
        assert_eq!(pg.iter().collect::<Vec<_>>(), [Dialect::Postgres]);
        assert_eq!(pg, Targets::only(Dialect::Postgres));
        let two = targets(&["mariadb", "sqlite"]).unwrap();
        assert_eq!(two.to_toml(), r#"["sqlite", "mysql"]"#);
        assert_eq!(
            Targets::default().to_toml(),
            r#"["sqlite", "postgresql", "mysql"]"#
        );
    }

    #[test]
    fn unknown_and_empty_lists_are_config_errors() {
        let unknown = targets(&["sqlite", "oracle"]).unwrap_err();
        assert_eq!(unknown.kind, crate::ErrorKind::Config);
        assert_eq!(
            unknown.message,
            "mb.toml: databases: unknown database \"oracle\"; the accepted values are \"sqlite\", \"postgresql\" (or \"postgres\") and \"mysql\" (or \"mariadb\")"
        );
        let empty = targets(&[]).unwrap_err();
        assert!(empty.message.starts_with("mb.toml: databases is empty"));
    }

    #[test]
    fn the_url_must_name_a_target() {
        let sqlite = Targets::only(Dialect::Sqlite);
        assert!(sqlite.require(Dialect::Sqlite, "--database-url").is_ok());
        let err = sqlite
            .require(Dialect::Postgres, "DATABASE_URL")
            .unwrap_err();
        assert_eq!(
            err.message,
            "the database URL (from DATABASE_URL) is a PostgreSQL database, which is not in databases = [\"sqlite\"] in mb.toml; add \"postgresql\" to the list if the project deploys to it"
        );
    }
}
