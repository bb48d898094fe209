//! `mb db shell` (docs/shell.md) runs the database's own client, installed on this
//! machine, against the project's database: arguments after `--` reach the client, its
//! exit code is mb's, a missing client gets one line naming the package.

mod common;

use std::path::Path;

use common::{Db, TestProject};

/// The client mb starts for `db`, if it is installed; a missing one is said loudly, and
/// the missing-client test covers that case.
fn client_installed(db: Db) -> bool {
    let names: &[&str] = match db {
        Db::Sqlite => &["sqlite3"],
        Db::Postgres => &["psql"],
        Db::Mysql => &["mariadb", "mysql"],
    };
    let found = names.iter().any(|name| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !found {
        eprintln!("SKIPPED: no {} client ({names:?}) installed", db.name());
    }
    found
}

/// Client arguments that run `sql` and print bare values.
fn query_args(db: Db, sql: &str) -> Vec<String> {
    let sql = sql.to_string();
    match db {
        Db::Sqlite => vec![sql],
        Db::Postgres => vec!["-At".into(), "-c".into(), sql],
        Db::Mysql => vec!["-N".into(), "-B".into(), "-e".into(), sql],
    }
}

fn shell(p: &TestProject, client_args: &[String]) -> std::process::Output {
    p.mb()
        .args(["db", "shell", "--"])
        .args(client_args)
        .output()
        .unwrap()
}

fn the_client_runs_on_the_project_database(db: Db) {
    if !client_installed(db) {
        return;
    }
    let p = TestProject::with_chain(db, &["aaa111"]);
    p.ok(&["db", "upgrade"]);
    let output = shell(&p, &query_args(db, "SELECT count(*) FROM t_aaa111;"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "1", "{stderr}");
    assert!(stderr.starts_with("Opening the "), "{stderr}");

    // The client's exit code is mb's.
    let failed = shell(&p, &query_args(db, "SELECT * FROM no_such_table;"));
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("no_such_table"),
        "{failed:?}"
    );
}

fn a_missing_client_names_its_package(db: Db) {
    let p = TestProject::on(db);
    let error = common::fails(p.mb().env("PATH", "").args(["db", "shell"]), 3);
    let expected = match db {
        Db::Sqlite => {
            "sqlite3 (the SQLite shell) is not installed or not on PATH; install it (apt install sqlite3, or brew install sqlite) to use `mb db shell`"
        }
        Db::Postgres => {
            "psql (the PostgreSQL client) is not installed or not on PATH; install it (apt install postgresql-client, or brew install libpq) to use `mb db shell`"
        }
        Db::Mysql => {
            "mariadb or mysql (the MySQL/MariaDB client) is not installed or not on PATH; install it (apt install mariadb-client (or mysql-client), or brew install mysql-client) to use `mb db shell`"
        }
    };
    assert_eq!(error, expected);
}

on_each_database!(
    the_client_runs_on_the_project_database,
    a_missing_client_names_its_package
);

#[test]
fn a_missing_sqlite_file_is_not_created() {
    let p = TestProject::new();
    let error = p.fails(&["db", "shell"], 6);
    assert_eq!(
        error,
        format!(
            "there is no database at sqlite:///{} yet; `mb db upgrade` creates it",
            p.abs("app.db")
        )
    );
    assert!(!p.exists("app.db"));
}

/// A stand-in client on PATH that prints what it was given shows that the password
/// travels in the environment and never in the arguments (where `ps` would show it).
#[test]
fn the_password_goes_in_the_environment_not_the_arguments() {
    let p = TestProject::new();
    let bin = p.mkdir("bin");
    for name in ["psql", "mariadb"] {
        let path = bin.join(name);
        std::fs::write(
            &path,
            "#!/bin/sh\necho \"args: $*\"\necho \"PGPASSWORD=$PGPASSWORD PGUSER=$PGUSER PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=$PGDATABASE PGOPTIONS=$PGOPTIONS\"\necho \"MYSQL_PWD=$MYSQL_PWD\"\n",
        )
        .unwrap();
        make_executable(&path);
    }
    let with_path = |url: &str| {
        let output = p
            .mb()
            .env_clear()
            .env("PATH", &bin)
            .args(["--database-url", url, "db", "shell", "--", "-c", "select 1"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let postgres = with_path("postgresql://app:s3cret@db.example:6543/shop?schema=sales");
    assert_eq!(
        postgres,
        "args: -c select 1\nPGPASSWORD=s3cret PGUSER=app PGHOST=db.example PGPORT=6543 PGDATABASE=shop PGOPTIONS=-c search_path=sales\nMYSQL_PWD=\n"
    );
    let mysql = with_path("mysql://app:s3cret@db.example/shop");
    assert_eq!(
        mysql,
        "args: --host=db.example --port=3306 --protocol=TCP --user=app --database=shop -c select 1\nPGPASSWORD= PGUSER= PGHOST= PGPORT= PGDATABASE= PGOPTIONS=\nMYSQL_PWD=s3cret\n"
    );
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
