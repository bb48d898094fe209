//! Which renames `migrate` writes: the hints in schema.sql, plus the likely renames the
//! user confirms when asked at a terminal. Without a terminal nothing is asked; the
//! revision drops and adds, and a hint line says how to keep the data instead.

use std::io::{BufRead, IsTerminal, Write};

use super::commands::Context;
use crate::Result;
use crate::autogenerate::renames::{self, Candidate, Renames};
use crate::schema::declaration::{Declaration, hint_text};
use crate::schema::{Schema, quoted};

impl Context {
    /// The hinted renames, and the likely ones the user confirms. Tables are asked about
    /// first, since a renamed table can then show renamed columns. Returns the hint
    /// lines for the likely renames left as drop and add.
    pub(super) fn decide_renames(
        &self,
        live: &Schema,
        declaration: &Declaration,
        file: &str,
    ) -> Result<(Renames, Vec<String>)> {
        let mut decided = Renames {
            tables: renames::table_hints(live, declaration, file)?,
            ..Renames::default()
        };
        let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
        let mut declined = Vec::new();
        let mut asked: Vec<Candidate> = Vec::new();
        let mut columns_resolved = false;
        loop {
            let fresh: Vec<Candidate> = renames::candidates(live, &declaration.schema, &decided)?
                .into_iter()
                .filter(|c| !asked.contains(c))
                .collect();
            let table = fresh.iter().find(|c| matches!(c, Candidate::Table(_)));
            // Column hints are resolved once the table renames are settled.
            if table.is_none() && !columns_resolved {
                decided.columns = renames::column_hints(live, declaration, &decided, file)?;
                columns_resolved = true;
                continue;
            }
            let Some(candidate) = table.or(fresh.first()).cloned() else {
                break;
            };
            asked.push(candidate.clone());
            if interactive && ask(&question(&candidate)) {
                decided.add(candidate);
            } else {
                declined.push(candidate);
            }
        }
        let hints = declined
            .iter()
            .map(|c| hint_line(c, declaration, file))
            .collect();
        Ok((decided, hints))
    }
}

fn question(candidate: &Candidate) -> String {
    match candidate {
        Candidate::Table(r) => format!(
            "Did you rename table {} to {}? [y/N] ",
            quoted(&r.from),
            quoted(&r.to)
        ),
        Candidate::Column(r) => format!(
            "Did you rename {t}.{} to {t}.{}? [y/N] ",
            quoted(&r.from),
            quoted(&r.to),
            t = quoted(&r.table)
        ),
    }
}

/// Asks on stderr and reads the answer from stdin; anything but yes is no.
pub(super) fn ask(question: &str) -> bool {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{question}");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}

/// What to write in schema.sql to make a likely rename a rename.
fn hint_line(candidate: &Candidate, declaration: &Declaration, file: &str) -> String {
    match candidate {
        Candidate::Table(r) => format!(
            "hint: to keep the rows of table {}, write \"{}\" after CREATE TABLE {} in {file}:{} (this revision drops the table and creates a new one)",
            quoted(&r.from),
            hint_text(&r.from),
            quoted(&r.to),
            declaration.tables.get(&r.to).map_or(0, |d| d.line)
        ),
        Candidate::Column(r) => format!(
            "hint: to keep the data of {t}.{}, write \"{}\" after the column {} in {file}:{} (this revision drops the column and adds a new one)",
            quoted(&r.from),
            hint_text(&r.from),
            quoted(&r.to),
            declaration
                .columns
                .get(&(r.table.clone(), r.to.clone()))
                .map_or(0, |d| d.line),
            t = quoted(&r.table)
        ),
    }
}
