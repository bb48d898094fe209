//! Refusing upgrades and downgrades that would destroy data. The schema operations of a
//! plan know what they drop or narrow ([`crate::ops::Op::data_at_risk`]); the live
//! database says whether anything is there to lose. What is there stops the run before
//! its first statement, unless the revision's section says the loss is intended
//! (`-- mb:allow-data-loss`) or the command does (`--allow-data-loss`).
//!
//! The rule (docs/safety.md#policies): rows are counted under the migration lock, just
//! before the run, in the database as it is then. Renames earlier in the run are followed back to the live names; a table or
//! column that an earlier step of the run creates starts empty and is not counted.
//! Statements that are not schema operations (`DELETE`, `TRUNCATE`, anything run
//! verbatim) are not checked.

use std::collections::HashMap;

use super::plan::Direction;
use super::simulate::Action;
use super::{Migrator, Plan, verb};
use crate::Error;
use crate::Result;
use crate::backend::Backend;
use crate::dialect::Dialect;
use crate::ops::{DataAtRisk, Loss, Op};
use crate::schema::ColumnType;
use crate::script::Revision;
use crate::script::revision::ALLOW_DATA_LOSS_MARKER;
use crate::text::plural;

/// Data a step would destroy, counted in the live database.
struct Finding<'g> {
    revision: &'g Revision,
    direction: Direction,
    line: usize,
    at_risk: DataAtRisk,
    /// How many rows hold what would be lost (see [`Lost`]).
    rows: u64,
}

/// What counts as lost: every row of a dropped table, every value of a dropped column,
/// and of a narrowed column the values that do not fit where mb can tell (lengths of
/// strings, ranges of integers), otherwise every value.
enum Lost {
    Rows,
    Values,
    LongerThan(u32),
    OutOfRange { min: i64, max: i64 },
}

impl Lost {
    fn of(at_risk: &DataAtRisk) -> Lost {
        use ColumnType::*;
        match &at_risk.loss {
            Loss::DropTable => Lost::Rows,
            Loss::DropColumn => Lost::Values,
            Loss::Narrow { from, to } => match (from, to) {
                (Varchar(_) | Text, Varchar(Some(n))) => Lost::LongerThan(*n),
                (Integer | BigInt, SmallInt) => Lost::OutOfRange {
                    min: i16::MIN.into(),
                    max: i16::MAX.into(),
                },
                (BigInt, Integer) => Lost::OutOfRange {
                    min: i32::MIN.into(),
                    max: i32::MAX.into(),
                },
                _ => Lost::Values,
            },
        }
    }

    /// The condition on a row that holds what is lost (none: every row).
    fn condition(&self, dialect: Dialect, column: Option<&str>) -> Option<String> {
        let column = dialect.quote_ident(column?);
        match self {
            Lost::Rows => None,
            Lost::Values => Some(format!("{column} IS NOT NULL")),
            Lost::LongerThan(n) => {
                let length = match dialect {
                    Dialect::Sqlite => "LENGTH",
                    Dialect::Postgres | Dialect::Mysql => "CHAR_LENGTH",
                };
                Some(format!("{length}({column}) > {n}"))
            }
            Lost::OutOfRange { min, max } => Some(format!("{column} < {min} OR {column} > {max}")),
        }
    }
}

impl Finding<'_> {
    /// `file:line: drops table "t", which holds 3 rows`.
    fn describe(&self) -> String {
        format!(
            "{}:{}: {}",
            self.revision.path.display(),
            self.line,
            loss_text(&self.at_risk, self.rows)
        )
    }

    fn allowed_by_marker(&self) -> bool {
        section_allows_data_loss(self.revision, self.direction)
    }
}

/// `drops table "t", which holds 3 rows`: what `at_risk` destroys when `rows` rows
/// hold it.
pub(super) fn loss_text(at_risk: &DataAtRisk, rows: u64) -> String {
    let target = at_risk.target();
    let count = |noun: &str| plural(rows as usize, noun);
    let are = if rows == 1 { "is" } else { "are" };
    match (&at_risk.loss, Lost::of(at_risk)) {
        (Loss::DropTable, _) => format!("drops table {target}, which holds {}", count("row")),
        (Loss::DropColumn, _) => format!(
            "drops column {target}, which holds {}",
            count("non-NULL value")
        ),
        (Loss::Narrow { from, to }, lost) => {
            let changes = format!("changes {target} from {from} to {to}");
            match lost {
                Lost::LongerThan(n) => format!(
                    "{changes}, and {} {are} longer than {n} characters",
                    count("value")
                ),
                Lost::OutOfRange { .. } => {
                    format!("{changes}, and {} {are} out of its range", count("value"))
                }
                Lost::Rows | Lost::Values => format!(
                    "{changes}, which can truncate or reject its {}",
                    count("non-NULL value")
                ),
            }
        }
    }
}

/// How many rows of live `table` hold what `at_risk` destroys in it (`column`: the
/// live column it stands for).
pub(super) fn rows_at_risk(
    backend: &mut dyn Backend,
    at_risk: &DataAtRisk,
    table: &str,
    column: Option<&str>,
) -> Result<u64> {
    let condition = Lost::of(at_risk).condition(backend.dialect(), column);
    backend.count_rows(table, condition.as_deref())
}

pub(super) fn section_allows_data_loss(revision: &Revision, direction: Direction) -> bool {
    match direction {
        Direction::Up => revision.up.allows_data_loss,
        Direction::Down => revision.down.allows_data_loss,
    }
}

fn section_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

/// The live names (before the run) of the tables and columns that the steps of a run
/// name, following the run's renames; `None` for what the run itself created. A name the
/// run has not touched is its own live name.
#[derive(Default)]
struct LiveNames {
    tables: HashMap<String, Option<String>>,
    columns: HashMap<(String, String), Option<(String, String)>>,
}

impl LiveNames {
    fn table(&self, name: &str) -> Option<String> {
        match self.tables.get(name) {
            Some(origin) => origin.clone(),
            None => Some(name.to_string()),
        }
    }

    fn column(&self, table: &str, column: &str) -> Option<(String, String)> {
        match self.columns.get(&(table.to_string(), column.to_string())) {
            Some(origin) => origin.clone(),
            None => self.table(table).map(|live| (live, column.to_string())),
        }
    }

    /// The live table and column (if any) that `at_risk` stands for.
    fn of(&self, at_risk: &DataAtRisk) -> Option<(String, Option<String>)> {
        match &at_risk.column {
            None => self.table(&at_risk.table).map(|t| (t, None)),
            Some(column) => self
                .column(&at_risk.table, column)
                .map(|(t, c)| (t, Some(c))),
        }
    }

    /// Notes what `op` does to names; ops that leave names alone change nothing.
    fn follow(&mut self, op: &Op) {
        match op {
            Op::CreateTable(table) => self.new_table(&table.name),
            Op::DropTable { name } => self.new_table(name),
            Op::RenameTable { from, to } => {
                let origin = self.table(from);
                self.tables.insert(to.clone(), origin);
                self.tables.insert(from.clone(), None);
                let moved: Vec<_> = self
                    .columns
                    .keys()
                    .filter(|(t, _)| t == from)
                    .cloned()
                    .collect();
                for key in moved {
                    let origin = self.columns.remove(&key).flatten();
                    self.columns.insert((to.clone(), key.1), origin);
                }
            }
            Op::AddColumn { table, column } => {
                self.columns
                    .insert((table.clone(), column.name.clone()), None);
            }
            Op::DropColumn { table, column } => {
                self.columns.insert((table.clone(), column.clone()), None);
            }
            Op::RenameColumn { table, from, to } => {
                let origin = self.column(table, from);
                self.columns.insert((table.clone(), to.clone()), origin);
                self.columns.insert((table.clone(), from.clone()), None);
            }
            _ => {}
        }
    }

    /// `name` no longer (or from now on) stands for a live table, nor do its columns.
    fn new_table(&mut self, name: &str) {
        self.tables.insert(name.to_string(), None);
        self.columns.retain(|(t, _), _| t != name);
    }
}

impl Migrator<'_> {
    /// Counts what `plan` would destroy and refuses to run it when a step loses data
    /// that neither its section's marker nor `allow` accepts.
    pub(super) fn check_data_loss(&mut self, plan: &Plan, allow: bool) -> Result<()> {
        let graph = self.graph;
        let mut live = LiveNames::default();
        let mut findings = Vec::new();
        for (index, (step, actions)) in plan.steps.iter().zip(&plan.actions).enumerate() {
            let revision = graph.revision(step.revision);
            // The statements of a resumed revision that ran already are done.
            let done = match &plan.resume {
                Some(progress) if index == 0 => progress.statements_done,
                _ => 0,
            };
            for action in actions.iter().skip(done) {
                let Action::Schema {
                    source,
                    op,
                    at_risk,
                    ..
                } = action
                else {
                    continue;
                };
                if let Some(at_risk) = at_risk
                    && let Some((table, column)) = live.of(at_risk)
                    && self.backend.table_exists(&table)?
                {
                    let rows = rows_at_risk(self.backend, at_risk, &table, column.as_deref())?;
                    if rows > 0 {
                        findings.push(Finding {
                            revision,
                            direction: step.direction,
                            line: source.line,
                            at_risk: at_risk.clone(),
                            rows,
                        });
                    }
                }
                live.follow(op);
            }
        }
        let (accepted, refused): (Vec<_>, Vec<_>) = findings
            .iter()
            .partition(|f| allow || f.allowed_by_marker());
        // A marker is the author's word that the loss is meant: said with -v only. The
        // flag is given at the moment, maybe without knowing what it lets go: a warning.
        for finding in &accepted {
            if finding.allowed_by_marker() {
                self.reporter.detail(&|| {
                    format!(
                        "{} (allowed by {ALLOW_DATA_LOSS_MARKER})",
                        finding.describe()
                    )
                });
            } else {
                self.reporter.warn(&format!(
                    "warning: {} (allowed by --allow-data-loss)",
                    finding.describe()
                ));
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        for finding in &refused {
            self.reporter.warn(&finding.describe());
        }
        let direction = refused[0].direction;
        // Stepping back during development, at a terminal, the user decides; a deploy
        // (nobody to ask) keeps the refusal.
        if direction == Direction::Down
            && self.reporter.confirm(&format!(
                "The downgrade would lose the data above ({}). Run it anyway? [y/N] ",
                plural(refused.len(), "finding")
            ))
        {
            return Ok(());
        }
        let mut sections: Vec<String> = Vec::new();
        for finding in &refused {
            let section = format!(
                "the {} section of {}",
                section_name(finding.direction),
                finding.revision.path.display()
            );
            if !sections.contains(&section) {
                sections.push(section);
            }
        }
        Err(Error::safety(format!(
            "the {} would lose the data above ({}), so nothing was run; if the loss is intended, add the line '{ALLOW_DATA_LOSS_MARKER}' to {}, or run again with --allow-data-loss",
            verb(direction),
            plural(refused.len(), "finding"),
            sections.join(" and ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followed(statements: &[&str]) -> LiveNames {
        let mut live = LiveNames::default();
        for sql in statements {
            live.follow(&Op::parse(sql).unwrap().unwrap());
        }
        live
    }

    #[test]
    fn renames_lead_back_to_the_live_names() {
        let live = followed(&[
            "ALTER TABLE a RENAME TO b",
            "ALTER TABLE b RENAME COLUMN x TO y",
            "ALTER TABLE b RENAME TO c",
        ]);
        assert_eq!(live.table("c"), Some("a".into()));
        assert_eq!(live.table("a"), None, "renamed away");
        assert_eq!(live.column("c", "y"), Some(("a".into(), "x".into())));
        assert_eq!(live.column("c", "z"), Some(("a".into(), "z".into())));
        assert_eq!(live.table("untouched"), Some("untouched".into()));
    }

    #[test]
    fn what_the_run_creates_is_not_live() {
        let live = followed(&[
            "CREATE TABLE t (id INTEGER)",
            "ALTER TABLE u ADD COLUMN c INTEGER",
            "ALTER TABLE v RENAME COLUMN c TO d",
            "DROP TABLE v",
            "CREATE TABLE v (d INTEGER)",
        ]);
        assert_eq!(live.table("t"), None);
        assert_eq!(live.column("t", "id"), None);
        assert_eq!(live.column("u", "c"), None);
        assert_eq!(
            live.column("u", "other"),
            Some(("u".into(), "other".into()))
        );
        assert_eq!(live.column("v", "d"), None, "the new v's column");
    }
}
