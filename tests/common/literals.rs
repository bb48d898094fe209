//! Schemas that carry given strings as literals, for the literal tests
//! (`cli_literals.rs` on real databases, `literal_props.rs` in process).

use proptest::prelude::*;

/// `value` as a portable string literal: a quote doubled, a backslash as it is.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Strings made of `pieces`, which mean something to some SQL tokenizer.
pub fn strings_of(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..8).prop_map(|p| p.concat())
}

/// Table `table` whose column `s<i>` defaults to `values[i]` and has a check that
/// refuses `values[i] || '!'`, and view `w<table>` that selects each value as `v<i>`
/// from `from`.
pub fn literals_schema(table: &str, from: &str, values: &[String]) -> String {
    let columns: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "    \"s{i}\" VARCHAR(100) DEFAULT {lit} CHECK (\"s{i}\" <> {lit} || '!')",
                lit = literal(v)
            )
        })
        .collect();
    let view: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{} AS \"v{i}\"", literal(v)))
        .collect();
    format!(
        "CREATE TABLE \"{table}\" (\n    \"id\" INTEGER PRIMARY KEY,\n{}\n);\n\
         CREATE VIEW \"w{table}\" AS SELECT {} FROM \"{from}\";\n",
        columns.join(",\n"),
        view.join(", ")
    )
}
