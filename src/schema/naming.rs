//! Names for constraints and indexes that were declared without one.
//!
//! The convention (applied when SQL is parsed, so `schema.sql`, introspection and
//! revision scripts all name things alike):
//!
//! | object | name |
//! | --- | --- |
//! | primary key | `pk_<table>` |
//! | unique constraint | `uq_<table>_<column>_<column>…` |
//! | index | `ix_<table>_<column>…` (an expression part adds the columns it names) |
//! | foreign key | `fk_<table>_<column>…_<referenced table>` |
//! | check on a column (`"c" INT CHECK (…)`) | `ck_<table>_<column>` |
//! | check on the table (`CHECK (…)`) | `ck_<table>_<columns it names>`, or `ck_<table>_<n>` when it names none (n counts such checks from 1) |
//!
//! Names are used as written (no case folding, spaces and quotes kept; they are always
//! quoted). Two unnamed constraints of one table that would get the same name are told
//! apart by `_2`, `_3`, … in declaration order. A name longer than 63 bytes (PostgreSQL's
//! limit) is cut to 54 bytes plus `_` and the first 8 hex digits of the SHA-256 of the
//! full name, so it stays unique and the same everywhere.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use super::{IndexKey, IndexPart, expr};

/// The longest identifier PostgreSQL keeps; MySQL allows 64.
const MAX_NAME_BYTES: usize = 63;

pub fn primary_key(table: &str) -> String {
    limit(format!("pk_{table}"))
}

pub fn unique(table: &str, columns: &[String]) -> String {
    limit(format!("uq_{table}_{}", columns.join("_")))
}

pub fn index(table: &str, parts: &[IndexPart]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for part in parts {
        match &part.key {
            IndexKey::Column(c) => columns.push(c.clone()),
            IndexKey::Expr(e) => columns.extend(expr::columns_in(e)),
        }
    }
    limit(format!("ix_{table}_{}", columns.join("_")))
}

pub fn foreign_key(table: &str, columns: &[String], ref_table: &str) -> String {
    limit(format!("fk_{table}_{}_{ref_table}", columns.join("_")))
}

/// `ordinal` is the 1-based position among the table-level checks that name no column.
pub fn check(table: &str, columns: &[String], ordinal: usize) -> String {
    if columns.is_empty() {
        limit(format!("ck_{table}_{ordinal}"))
    } else {
        limit(format!("ck_{table}_{}", columns.join("_")))
    }
}

/// `base`, or `base_2`, `base_3`, … whichever is not in `taken`.
pub fn unique_among(base: String, taken: &BTreeSet<String>) -> String {
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|n| limit(format!("{base}_{n}")))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(base)
}

fn limit(name: String) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let mut cut = MAX_NAME_BYTES - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}", &name[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_follow_the_convention() {
        assert_eq!(primary_key("post"), "pk_post");
        assert_eq!(unique("user", &cols(&["a", "b"])), "uq_user_a_b");
        assert_eq!(
            foreign_key("post", &cols(&["user_id"]), "user"),
            "fk_post_user_id_user"
        );
        assert_eq!(check("t", &cols(&["price"]), 1), "ck_t_price");
        assert_eq!(check("t", &[], 2), "ck_t_2");
        let parts = [
            IndexPart {
                key: IndexKey::Column("a".into()),
                descending: true,
            },
            IndexPart {
                key: IndexKey::Expr("LOWER(\"b\")".into()),
                descending: false,
            },
        ];
        assert_eq!(index("t", &parts), "ix_t_a_b");
    }

    #[test]
    fn taken_names_get_a_number() {
        let taken: BTreeSet<String> = ["ck_t_a".to_string(), "ck_t_a_2".to_string()].into();
        assert_eq!(unique_among("ck_t_a".into(), &taken), "ck_t_a_3");
        assert_eq!(unique_among("ck_t_b".into(), &taken), "ck_t_b");
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let long = unique(&"t".repeat(40), &cols(&["column_with_a_long_name"]));
        assert_eq!(long.len(), 63);
        assert_eq!(
            long,
            unique(&"t".repeat(40), &cols(&["column_with_a_long_name"]))
        );
        assert_ne!(
            long,
            unique(&"t".repeat(40), &cols(&["column_with_a_long_namf"]))
        );
        let multibyte = primary_key(&"é".repeat(40));
        assert!(multibyte.len() <= 63);
    }
}
