//! The public sample databases of `../shared/samples` (see its README), adopted as a new
//! user would: each loads into a fresh database, `mb db init --from-database` adopts it
//! and warns by name about each object mb leaves alone, and `mb db check` is clean.

mod common;

use std::path::PathBuf;

use common::{Db, TestProject};

/// The text of a sample file, from the `shared/samples` folder beside the checkout.
fn sample(file: &str) -> String {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = here
        .ancestors()
        .map(|dir| dir.join("shared/samples").join(file))
        .find(|path| path.is_file())
        .unwrap_or_else(|| panic!("no shared/samples/{file} above {}", here.display()));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Adopts the project's database and checks it; returns the warnings of the adoption.
fn adopt(p: &TestProject) -> Vec<String> {
    let url = p.database_url().to_string();
    let adopted = p.ok(&["--database-url", &url, "db", "init", "--from-database"]);
    let check = p.ok(&["db", "check"]);
    assert!(
        check.stderr.contains("No changes: schema.sql matches "),
        "{check:?}"
    );
    // Adopting also warns about the types that tie the project to a database; the
    // objects mb leaves alone are what both commands name.
    let left_alone = |l: &&str| l.contains("it is left as it is");
    let warnings: Vec<String> = adopted
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .filter(left_alone)
        .map(String::from)
        .collect();
    let checked: Vec<&str> = check
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("warning: "))
        .filter(left_alone)
        .collect();
    assert_eq!(warnings, checked, "check warns about the same objects");
    warnings
}

/// Each of `expected` starts one of the `warnings`.
fn assert_named(warnings: &[String], expected: &[&str]) {
    for object in expected {
        assert!(
            warnings.iter().any(|w| w.starts_with(object)),
            "no warning about {object} in\n{}",
            warnings.join("\n")
        );
    }
}

#[test]
fn pagila_is_adopted_and_what_mb_leaves_alone_is_named() {
    if !Db::Postgres.available("pagila_is_adopted_and_what_mb_leaves_alone_is_named") {
        return;
    }
    let p = TestProject::empty_on(Db::Postgres);
    p.execute(&sample("pagila/postgresql.sql"));
    let warnings = adopt(&p);
    assert_named(
        &warnings,
        &[
            "index \"film_fulltext_idx\" on \"film\" uses the gist method",
            "trigger \"last_updated\" on \"actor\" runs last_updated()",
            "function \"last_updated\" takes ()",
            "function \"film_in_stock\" takes (p_film_id integer, p_store_id integer, OUT p_film_count integer)",
            "aggregate \"group_concat\" takes (text)",
            "enum type \"mpaa_rating\" has the values 'G', 'PG', 'PG-13', 'R', 'NC-17'",
            "domain \"year\" is over integer",
            "sequence \"actor_actor_id_seq\" is not owned by a serial or identity column",
            "table \"payment\" is PARTITION BY RANGE (payment_date), read as a plain table: the partitioning",
            "partition \"payment_p2022_01\" on \"payment\" is a partition",
            "materialized view \"rental_by_category\" is a materialized view",
        ],
    );
    let gist = "--   index \"film_fulltext_idx\" on \"film\" uses the gist method\n";
    let schema = p.read("schema.sql");
    assert!(schema.contains(gist), "{schema}");
    let baseline = p.read(&format!("migrations/versions/{}", p.revision_files()[0]));
    assert!(baseline.contains(gist), "{baseline}");
}

/// Sakila's MySQL script as statements for one session: the `DELIMITER` lines of the
/// mysql client resolved, without the lines that create and switch to its own database
/// (and the `sakila.` prefix of a view), as the samples README says.
fn mysql_statements(script: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut delimiter = ";".to_string();
    let mut statement = String::new();
    for line in script.lines() {
        if let Some(new) = line.strip_prefix("DELIMITER ") {
            delimiter = new.trim().to_string();
            continue;
        }
        statement.push_str(&line.replace("sakila.", ""));
        statement.push('\n');
        if let Some(done) = statement.trim_end().strip_suffix(delimiter.as_str()) {
            let done = done.trim().to_string();
            let own_database = ["DROP SCHEMA", "CREATE SCHEMA", "USE "]
                .iter()
                .any(|p| done.lines().last().is_some_and(|l| l.starts_with(p)));
            if !own_database {
                statements.push(done);
            }
            statement.clear();
        }
    }
    statements
}

#[test]
fn sakila_on_mariadb_is_adopted_and_what_mb_leaves_alone_is_named() {
    if !Db::Mysql.available("sakila_on_mariadb_is_adopted_and_what_mb_leaves_alone_is_named") {
        return;
    }
    let p = TestProject::empty_on(Db::Mysql);
    let mut session = p.server.as_ref().expect("a server").connect();
    for statement in mysql_statements(&sample("sakila/mysql.sql")) {
        session.run(&statement);
    }
    let warnings = adopt(&p);
    assert_named(
        &warnings,
        &[
            "column \"last_update\" on \"actor\" changes itself on every update (ON UPDATE CURRENT_TIMESTAMP",
            "index \"idx_title_description\" on \"film_text\" is a FULLTEXT index",
            "trigger \"ins_film\" on \"film\" runs AFTER INSERT",
            "procedure \"rewards_report\" is a stored procedure",
            "index \"idx_fk_film_id\" on \"inventory\" has the name of an index or constraint on \"film_actor\"",
            "function \"get_customer_balance\" is a stored function",
        ],
    );
}

/// Its `BLOB SUB_TYPE TEXT` columns (Firebird's words) are not SQL mb reads: the two
/// tables that have them are left out whole, named with the place of the problem.
#[test]
fn sakila_on_sqlite_is_adopted_and_what_mb_leaves_alone_is_named() {
    let p = TestProject::empty_on(Db::Sqlite);
    p.execute(&sample("sakila/sqlite.sql"));
    let warnings = adopt(&p);
    assert_named(
        &warnings,
        &[
            "trigger \"actor_trigger_ai\" on \"actor\" is a trigger",
            "table \"film\" has SQL mb cannot read (line 4 column 20 of its definition: Expected: ',' or ')' after column definition, found: SUB_TYPE)",
            "table \"film_text\" has SQL mb cannot read (line 4 column 20",
            "foreign key \"fk_inventory_film\" on \"inventory\" uses a column or table that mb leaves out",
        ],
    );
}
