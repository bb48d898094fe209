//! `--format json`: the documents of docs/json.md. Each verb prints one JSON document on
//! stdout; field names and meanings are stable (fields may be added, never renamed).

use std::collections::HashMap;

use clap::ValueEnum;
use serde_json::{Value, json};

use super::commands::Context;
use crate::dialect::Dialect;
use crate::ops::Op;
use crate::runtime::progress::Progress;
use crate::runtime::version::AppliedRecord;
use crate::runtime::{ChangedScript, plan::Direction};
use crate::script::RevisionGraph;

/// How a reading verb prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// For people (the default)
    #[default]
    Text,
    /// One JSON document (see docs/json.md)
    Json,
}

impl Context {
    /// Prints `document` as indented JSON.
    pub(super) fn print_json(&self, document: &Value) {
        let text = serde_json::to_string_pretty(document).expect("a JSON value serializes");
        self.out.print(&text);
    }

    /// The fields every revision object has.
    pub(super) fn revision_json(&self, graph: &RevisionGraph, i: usize) -> Value {
        let revision = graph.revision(i);
        json!({
            "id": revision.id,
            "message": revision.message,
            "parents": graph.parents(i).iter().map(|&p| &graph.revision(p).id).collect::<Vec<_>>(),
            "depends_on": graph.dependencies(i).iter().map(|&d| &graph.revision(d).id).collect::<Vec<_>>(),
            "branch_labels": revision.branch_labels,
            "path": self.path(&revision.path),
            "create_date": revision.create_date,
            "is_head": graph.children(i).is_empty(),
            "is_branch_point": graph.is_branch_point(i),
            "is_merge_point": graph.is_merge_point(i),
        })
    }
}

/// The database kind, as URL schemes name it.
pub(super) fn dialect_id(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgresql",
        Dialect::Mysql => "mysql",
    }
}

/// How a revision was applied, from `mb_history`; `null` when nothing is recorded.
pub(super) fn applied_json(
    graph: &RevisionGraph,
    i: usize,
    records: &HashMap<String, AppliedRecord>,
) -> Value {
    let revision = graph.revision(i);
    match records.get(&revision.id) {
        None => Value::Null,
        Some(record) => json!({
            "operation": record.operation,
            "applied_at": record.applied_at,
            "duration_ms": record.duration_ms,
            "checksum": record.checksum,
            "file_unchanged": record.checksum.as_deref().map(|sum| sum == revision.checksum()),
        }),
    }
}

pub(super) fn edited_json(graph: &RevisionGraph, change: &ChangedScript, path: String) -> Value {
    let revision = graph.revision(change.revision);
    json!({
        "id": revision.id,
        "path": path,
        "applied_checksum": change.applied_checksum,
        "checksum": revision.checksum(),
    })
}

pub(super) fn progress_json(found: &Progress) -> Value {
    json!({
        "revision": found.revision,
        "direction": match found.direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        },
        "statements_done": found.statements_done,
        "statements_total": found.statements_total,
        "started_at": found.started_at,
        "error": found.error,
    })
}

/// The operations `check` found, as summaries and portable SQL.
pub(super) fn operations_json(ops: &[Op]) -> Value {
    ops.iter()
        .map(|op| json!({ "summary": op.summary(), "sql": op.to_sql() }))
        .collect()
}
