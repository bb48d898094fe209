//! Types that only some databases know: a project says where it deploys
//! (`databases` in mb.toml, all three by default), and `migrate` and `check` refuse a
//! declared type one of those databases lacks, or an unknown one, pointing at it in
//! schema.sql, before anything is written or run. Adopting a database writes portable
//! spellings where they mean the same and says which types tie the project to it.

mod common;

use common::{Db, TestProject};

/// schema.sql of the issue: `db.DateTime`'s natural spelling on line 4, column 17.
const DATETIME_SCHEMA: &str = "CREATE TABLE \"post\" (
    \"id\" INTEGER PRIMARY KEY,
    \"body\" VARCHAR(140),
    \"timestamp\" DATETIME DEFAULT CURRENT_TIMESTAMP
);
";

/// Runs `migrate`, `check` and `check --offline`, each of which must fail with exit code
/// 5 and `message`, leaving no revision and no table behind.
fn all_refuse(p: &TestProject, message: &str) {
    for args in [
        &["db", "migrate", "-m", "posts"][..],
        &["db", "check"],
        &["db", "check", "--offline"],
    ] {
        assert_eq!(p.fails(args, 5), message, "{args:?}");
    }
    assert!(p.revision_files().is_empty(), "{:?}", p.revision_files());
    match p.db {
        Db::Sqlite => assert!(!p.exists("app.db"), "no database is created"),
        _ => assert!(p.tables().is_empty(), "{:?}", p.tables()),
    }
}

fn a_type_one_target_lacks_is_refused_with_the_portable_spelling(db: Db) {
    let p = TestProject::on(db);
    p.write("schema.sql", DATETIME_SCHEMA);
    all_refuse(
        &p,
        "schema.sql:4:17: type DATETIME does not exist on PostgreSQL, one of the databases this project deploys to (mb.toml: databases); use the portable TIMESTAMP",
    );
    // The portable spelling goes through everywhere.
    p.write(
        "schema.sql",
        DATETIME_SCHEMA.replace("DATETIME", "TIMESTAMP"),
    );
    p.ok(&["db", "migrate", "-m", "posts"]);
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
}

fn a_project_that_skips_postgresql_may_use_datetime(db: Db) {
    let p = TestProject::on(db);
    if db == Db::Postgres {
        return;
    }
    p.set_databases("[\"sqlite\", \"mysql\"]");
    p.write("schema.sql", DATETIME_SCHEMA);
    p.ok(&["db", "migrate", "-m", "posts"]);
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
    assert_eq!(p.tables(), ["post"]);
}

fn jsonb_is_refused_where_mysql_is_a_target(db: Db) {
    let p = TestProject::on(db);
    p.write(
        "schema.sql",
        "CREATE TABLE \"doc\" (\"id\" INTEGER PRIMARY KEY, \"body\" JSONB);\n",
    );
    let jsonb_on_mysql = "schema.sql:1:54: type JSONB does not exist on MySQL, one of the databases this project deploys to (mb.toml: databases); use the portable JSON";
    all_refuse(&p, jsonb_on_mysql);
    // Deploying to PostgreSQL (and developing on this database) makes it fine, unless
    // this database is MySQL.
    p.set_databases(&format!(
        "[\"{}\", \"postgresql\"]",
        db.name().to_lowercase()
    ));
    if db == Db::Mysql {
        all_refuse(&p, jsonb_on_mysql);
        return;
    }
    p.ok(&["db", "migrate", "-m", "docs"]);
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
}

fn an_unknown_type_gets_the_closest_name(db: Db) {
    let p = TestProject::on(db);
    // Unknown even where the project deploys only here: SQLite would take any name.
    p.deploy_only_here();
    p.write(
        "schema.sql",
        "CREATE TABLE \"post\" (\n    \"id\" INTEGER PRIMARY KEY,\n  \"body\" VARCHR(140) -- a typo\n);\n",
    );
    all_refuse(
        &p,
        "schema.sql:3:10: unknown type VARCHR(140); did you mean VARCHAR(140)?",
    );
}

fn the_databases_setting_is_checked(db: Db) {
    let p = TestProject::on(db);
    p.set_databases("[\"sqlite\", \"oracle\"]");
    assert_eq!(
        p.fails(&["db", "current"], 3),
        "mb.toml: databases: unknown database \"oracle\"; the accepted values are \"sqlite\", \"postgresql\" (or \"postgres\") and \"mysql\" (or \"mariadb\")"
    );
    p.set_databases("[]");
    assert!(
        p.fails(&["db", "current"], 3)
            .starts_with("mb.toml: databases is empty; list the databases this project deploys to")
    );
    let elsewhere = match db {
        Db::Sqlite => "[\"postgres\", \"mariadb\"]",
        _ => "[\"sqlite\"]",
    };
    p.set_databases(elsewhere);
    let error = p.fails(&["db", "current"], 3);
    let (name, config_name) = match db {
        Db::Sqlite => ("SQLite", "sqlite"),
        Db::Postgres => ("PostgreSQL", "postgresql"),
        Db::Mysql => ("MySQL", "mysql"),
    };
    assert!(
        error.contains(&format!(
            "is a {name} database, which is not in databases = "
        )) && error.ends_with(&format!(
            "in mb.toml; add \"{config_name}\" to the list if the project deploys to it"
        )),
        "{error}"
    );
    p.set_databases("[\"sqlite\", \"postgres\", \"mariadb\"]");
    p.ok(&["db", "current"]);
}

fn an_unfinished_last_statement_is_located(db: Db) {
    let p = TestProject::on(db);
    p.write(
        "schema.sql",
        "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY);\n\nCREATE TABLE \"t\" (\"id\" INTEGER\n",
    );
    assert_eq!(
        p.fails(&["db", "migrate", "-m", "t"], 5),
        "schema.sql:3:31: Expected: ',' or ')' after column definition, found: EOF (the statement that starts on line 3 is unfinished) — fix the SQL syntax"
    );
}

/// A database made the way its users make them, with types of its own.
fn legacy_schema(db: Db) -> &'static str {
    match db {
        Db::Sqlite => {
            "CREATE TABLE post (id INTEGER PRIMARY KEY, body VARCHAR(140), at DATETIME DEFAULT CURRENT_TIMESTAMP)"
        }
        Db::Postgres => {
            "CREATE TABLE post (id INTEGER PRIMARY KEY, body VARCHAR(140), at TIMESTAMP, meta JSONB)"
        }
        Db::Mysql => {
            "CREATE TABLE post (id INTEGER PRIMARY KEY, body VARCHAR(140), at DATETIME, likes INT UNSIGNED)"
        }
    }
}

fn adopting_writes_portable_spellings_and_says_what_ties_the_project(db: Db) {
    let p = TestProject::empty_on(db);
    p.execute(legacy_schema(db));
    let url = p.database_url().to_string();
    let run = p.ok(&["--database-url", &url, "db", "init", "--from-database"]);
    let schema = p.read("schema.sql");
    let config = p.read("mb.toml");
    match db {
        Db::Sqlite => {
            assert!(
                run.stderr.contains("\"post\".\"at\": DATETIME is written as the portable TIMESTAMP, which SQLite stores alike"),
                "{}",
                run.stderr
            );
            assert!(
                schema.contains("\"at\" TIMESTAMP DEFAULT CURRENT_TIMESTAMP"),
                "{schema}"
            );
            assert!(!config.contains("databases"), "{config}");
        }
        Db::Postgres => {
            assert!(
                run.stderr.contains("warning: \"post\".\"meta\" has type JSONB, which only SQLite and PostgreSQL have (there is no portable type that means the same)")
                    && run.stderr.contains("warning: these types tie the project to SQLite and PostgreSQL: mb.toml says so with databases = [\"sqlite\", \"postgresql\"]"),
                "{}",
                run.stderr
            );
            assert!(
                config.contains("databases = [\"sqlite\", \"postgresql\"]"),
                "{config}"
            );
        }
        Db::Mysql => {
            assert!(
                run.stderr.contains("warning: \"post\".\"at\" has type DATETIME, which only SQLite and MySQL have")
                    && run.stderr.contains("warning: \"post\".\"likes\" has type INT UNSIGNED, which only SQLite and MySQL have")
                    && run.stderr.contains("mb.toml says so with databases = [\"sqlite\", \"mysql\"]"),
                "{}",
                run.stderr
            );
            assert!(schema.contains("\"at\" DATETIME"), "{schema}");
            assert!(
                config.contains("databases = [\"sqlite\", \"mysql\"]"),
                "{config}"
            );
        }
    }
    // The adopted project checks clean, and builds the same schema on a fresh database.
    let check = p.ok(&["db", "check"]);
    assert!(
        check.stderr.contains("No changes: schema.sql matches"),
        "{}",
        check.stderr
    );
    p.ok(&["db", "check", "--offline"]);
    assert_eq!(p.ok(&["db", "inspect"]).stdout, schema);
}

fn inspect_tells_which_databases_to_list(db: Db) {
    let p = TestProject::empty_on(db);
    p.execute(legacy_schema(db));
    let url = p.database_url().to_string();
    let run = p.ok(&["--database-url", &url, "db", "inspect"]);
    match db {
        Db::Sqlite => assert!(!run.stderr.contains("warning"), "{}", run.stderr),
        _ => assert!(
            run.stderr.contains(&format!(
                "warning: these types tie the project to SQLite and {}: set databases = [\"sqlite\", \"{}\"] in mb.toml (`mb db migrate` and `mb db check` refuse them otherwise), or change them to portable types",
                db.name(),
                db.name().to_lowercase()
            )),
            "{}",
            run.stderr
        ),
    }
}

crate::on_each_database!(
    a_type_one_target_lacks_is_refused_with_the_portable_spelling,
    a_project_that_skips_postgresql_may_use_datetime,
    jsonb_is_refused_where_mysql_is_a_target,
    an_unknown_type_gets_the_closest_name,
    the_databases_setting_is_checked,
    an_unfinished_last_statement_is_located,
    adopting_writes_portable_spellings_and_says_what_ties_the_project,
    inspect_tells_which_databases_to_list,
);
