//! Drift (docs/drift.md): a database that differs from what its migrations build — tables
//! that `db.create_all()` made, a column and an index added by hand — is named by
//! `check`, `migrate` and `drift`, and either kept as a revision (`adopt`) or put back
//! (`drift --revert`). Every path ends with the database at the declared schema and the
//! migrations building the same schema on an empty database, compared in the catalog.

mod common;

use common::{Db, TestProject, fails_after_progress};

/// The tables a Flask app's `db.create_all()` makes on `db`, spelled as SQLAlchemy
/// spells them with a naming convention like mb's (`pk_user`, `fk_post_user_id_user`),
/// with a row.
fn create_all(db: Db) -> String {
    let id = match db {
        Db::Sqlite => "INTEGER NOT NULL",
        Db::Postgres => "SERIAL NOT NULL",
        Db::Mysql => "INTEGER NOT NULL AUTO_INCREMENT",
    };
    format!(
        r#"CREATE TABLE "user" ("id" {id}, "username" VARCHAR(64) NOT NULL, "email" VARCHAR(120),
               CONSTRAINT "pk_user" PRIMARY KEY ("id"));
           CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");
           CREATE TABLE "post" ("id" {id}, "body" VARCHAR(140), "user_id" INTEGER,
               CONSTRAINT "pk_post" PRIMARY KEY ("id"),
               CONSTRAINT "fk_post_user_id_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id"));
           INSERT INTO "user" ("username") VALUES ('ada');"#
    )
}

/// The models as schema.sql declares them; `about_me` is the column the user adds.
fn declared(about_me: bool) -> String {
    let about_me = if about_me {
        ",\n    \"about_me\" VARCHAR(140)"
    } else {
        ""
    };
    format!(
        r#"CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "username" VARCHAR(64) NOT NULL,
    "email" VARCHAR(120){about_me}
);
CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");
CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140),
    "user_id" INTEGER,
    CONSTRAINT "fk_post_user_id_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id")
);
"#
    )
}

/// The up section of the revision file `name`.
fn up_section(p: &TestProject, name: &str) -> String {
    let text = p.read(&format!("migrations/versions/{name}"));
    let up = text.split("-- migrate:up\n").nth(1).expect("an up section");
    up.split("-- migrate:down")
        .next()
        .unwrap()
        .trim()
        .to_string()
}

/// The file that `names_after` has and `names_before` has not.
fn new_file(names_before: &[String], names_after: &[String]) -> String {
    let new: Vec<&String> = names_after
        .iter()
        .filter(|n| !names_before.contains(n))
        .collect();
    assert_eq!(new.len(), 1, "{names_before:?} -> {names_after:?}");
    new[0].clone()
}

/// The user's tables as the database's own catalog describes them: every column with
/// its type and nullability, and every index but the primary key's, by table.
fn catalog(p: &TestProject) -> Vec<String> {
    let mut described = Vec::new();
    for table in p.tables() {
        let literal = table.replace('\'', "''");
        let columns = match p.db {
            Db::Sqlite => p.query(&format!(
                "SELECT name, upper(type), CASE WHEN \"notnull\" = 1 OR pk = 1 THEN 'NO' ELSE 'YES' END FROM pragma_table_info('{literal}') ORDER BY name"
            )),
            Db::Postgres => p.query(&format!(
                "SELECT column_name, data_type || coalesce('(' || character_maximum_length || ')', ''), is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{literal}' ORDER BY column_name"
            )),
            Db::Mysql => p.query(&format!(
                "SELECT column_name, column_type, is_nullable FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{literal}' ORDER BY column_name"
            )),
        };
        for column in columns {
            described.push(format!("{table}.{}", column.join(" ")));
        }
        for index in p.indexes(&table) {
            described.push(format!("{table} index {index}"));
        }
    }
    described
}

/// A new empty database on `db`, upgraded with `p`'s migrations: its catalog must be the
/// one of `p`'s database.
fn assert_migrations_build_the_same_schema(p: &TestProject) {
    let fresh = TestProject::on(p.db);
    for name in p.revision_files() {
        let rel = format!("migrations/versions/{name}");
        fresh.write(&rel, p.read(&rel));
    }
    fresh.ok(&["db", "upgrade"]);
    assert_eq!(catalog(&fresh), catalog(p));
    assert!(!catalog(p).is_empty());
}

fn flask_create_all_tables_are_adopted_then_migrated(db: Db) {
    let p = TestProject::on(db);
    p.execute(&create_all(db));
    let location = p.location();
    let unadopted =
        |table: &str| format!("table \"{table}\" is in {location}, but no revision creates it");

    // schema.sql the same as the tables: "No changes" would hide that nothing made them.
    p.write("schema.sql", declared(false));
    let (lines, message) =
        fails_after_progress(p.mb().args(["db", "migrate", "-m", "about me"]), 8);
    assert_eq!(lines, [unadopted("user"), unadopted("post")]);
    assert!(
        message.contains("mb db adopt")
            && message.contains("mb db drift --revert")
            && message.contains("mb db init --from-database"),
        "{message}"
    );
    assert!(p.revision_files().is_empty());

    p.write("schema.sql", declared(true));
    let (lines, _) = fails_after_progress(p.mb().args(["db", "migrate", "-m", "about me"]), 8);
    assert_eq!(lines, [unadopted("user"), unadopted("post")]);
    assert!(p.revision_files().is_empty());
    let check = p.mb().args(["db", "check"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&check.get_output().stdout).into_owned();
    assert!(
        stdout.contains(&unadopted("user")) && stdout.contains("mb db adopt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("added column \"user\".\"about_me\""),
        "{stdout}"
    );

    p.ok(&["db", "adopt", "-m", "create_all tables"]);
    let baseline = p.revision_files();
    assert_eq!(baseline.len(), 1);
    assert_eq!(p.version_rows(), [baseline[0].split('_').next().unwrap()]);
    p.ok(&["db", "drift"]);

    p.ok(&["db", "migrate", "-m", "about me"]);
    let about_me = new_file(&baseline, &p.revision_files());
    assert_eq!(
        up_section(&p, &about_me),
        "ALTER TABLE \"user\" ADD COLUMN \"about_me\" VARCHAR(140);"
    );
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check"]);
    assert_eq!(p.columns("user"), ["id", "username", "email", "about_me"]);
    assert_eq!(p.scalar("SELECT username FROM \"user\""), "ada");
    assert_migrations_build_the_same_schema(&p);
}

/// A project at its head with user and post, then a column and an index made by hand,
/// the column holding a value.
fn hand_drifted(db: Db) -> TestProject {
    let p = TestProject::on(db);
    p.write("schema.sql", declared(false));
    p.ok(&["db", "migrate", "-m", "initial"]);
    p.ok(&["db", "upgrade"]);
    p.execute(
        r#"ALTER TABLE "user" ADD COLUMN "about_me" VARCHAR(140);
           CREATE INDEX "ix_tmp" ON "post" ("body");
           INSERT INTO "user" ("username", "about_me") VALUES ('ada', 'hi');"#,
    );
    p
}

fn drift_lines(p: &TestProject) -> [String; 2] {
    let location = p.location();
    [
        format!("column \"user\".\"about_me\" was added to {location} by hand"),
        format!("index \"ix_tmp\" on \"post\" was added to {location} by hand"),
    ]
}

/// Check, migrate and drift name the hand changes; nothing is written.
fn assert_drift_reported(p: &TestProject) {
    let [column, index] = drift_lines(p);
    let check = p.mb().args(["db", "check"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&check.get_output().stdout).into_owned();
    let drift_at = stdout.find(&column).unwrap_or_else(|| panic!("{stdout}"));
    let schema_at = stdout
        .find("schema.sql differs from ")
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        drift_at < schema_at && stdout.contains(&index) && stdout.contains("mb db adopt"),
        "{stdout}"
    );

    let before = p.revision_files();
    let (lines, message) = fails_after_progress(p.mb().args(["db", "migrate", "-m", "drift"]), 8);
    assert_eq!(lines, [column.clone(), index.clone()]);
    assert!(
        message.contains("no revision was written") && message.contains("mb db adopt"),
        "{message}"
    );
    assert_eq!(p.revision_files(), before);

    let shown = p.mb().args(["db", "drift"]).assert().code(1);
    let stdout = String::from_utf8_lossy(&shown.get_output().stdout).into_owned();
    assert!(
        stdout.contains(&format!("  {column}")) && stdout.contains(&format!("  {index}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("+    \"about_me\" VARCHAR(140)"),
        "{stdout}"
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let output = p.mb().args(args).assert().code(1);
        serde_json::from_slice(&output.get_output().stdout).unwrap()
    };
    let drift = json(&["db", "drift", "--format", "json"]);
    assert_eq!(drift["status"], "drift");
    assert_eq!(drift["objects"], serde_json::json!([column, index]));
    assert_eq!(drift["database"], p.location());
    assert_eq!(drift["revert"].as_array().unwrap().len(), 2, "{drift}");
    let checked = json(&["db", "check", "--format", "json"]);
    assert_eq!(checked["status"], "drift");
    assert_eq!(checked["drift"]["objects"], drift["objects"]);
    assert_eq!(
        checked["operations"][0]["summary"], "removed index \"ix_tmp\"",
        "{checked}"
    );
    let sql = p.ok(&["db", "drift", "--sql"]).stdout;
    assert!(
        sql.contains("DROP INDEX") && sql.contains("ix_tmp") && sql.contains("DROP COLUMN"),
        "{sql}"
    );
}

fn hand_drift_is_adopted_then_declared_away(db: Db) {
    let p = hand_drifted(db);
    assert_drift_reported(&p);
    let before = p.revision_files();
    p.ok(&["db", "adopt", "-m", "hand changes"]);
    let adopted = new_file(&before, &p.revision_files());
    let up = up_section(&p, &adopted);
    assert!(
        up.contains("ADD COLUMN \"about_me\"") && up.contains("CREATE INDEX \"ix_tmp\""),
        "{up}"
    );
    p.fails(&["db", "adopt"], 4);

    // schema.sql does not declare them: migrate writes the drops, and they apply.
    p.ok(&["db", "migrate", "-m", "drop hand changes"]);
    let after_adopt = p.revision_files();
    let drops = up_section(
        &p,
        &new_file(&[before, vec![adopted]].concat(), &after_adopt),
    );
    assert!(
        drops.contains("DROP INDEX \"ix_tmp\"") && drops.contains("DROP COLUMN \"about_me\""),
        "{drops}"
    );
    p.ok(&["db", "upgrade", "--allow-data-loss"]);
    p.ok(&["db", "check"]);
    p.ok(&["db", "drift"]);
    assert_eq!(p.columns("user"), ["id", "username", "email"]);
    assert_migrations_build_the_same_schema(&p);
}

fn hand_drift_is_reverted(db: Db) {
    let p = hand_drifted(db);
    assert_drift_reported(&p);
    let (lines, message) = fails_after_progress(p.mb().args(["db", "drift", "--revert"]), 8);
    assert_eq!(
        lines,
        [
            "putting the database back drops column \"user\".\"about_me\", which holds 1 non-NULL value"
        ]
    );
    assert!(message.contains("--allow-data-loss"), "{message}");
    assert!(p.columns("user").contains(&"about_me".to_string()));

    let run = p.ok(&["db", "drift", "--revert", "--allow-data-loss"]);
    assert!(
        run.stderr.contains("is back at what the migrations build"),
        "{}",
        run.stderr
    );
    assert_eq!(p.columns("user"), ["id", "username", "email"]);
    assert!(!p.indexes("post").contains(&"ix_tmp".to_string()));
    assert_eq!(p.scalar("SELECT username FROM \"user\""), "ada");
    let clean = p.ok(&["db", "drift", "--format", "json"]).stdout;
    let clean: serde_json::Value = serde_json::from_str(&clean).unwrap();
    assert_eq!(clean["status"], "clean");
    assert_eq!(clean["objects"], serde_json::json!([]));
    p.ok(&["db", "check"]);
    let run = p.ok(&["db", "drift", "--revert"]);
    assert!(run.stderr.contains("Nothing to put back"), "{}", run.stderr);
    assert_migrations_build_the_same_schema(&p);
}

/// Runs `mb ARGS`, which succeeds with a warning per drifted object.
fn assert_drift_warned(p: &TestProject, args: &[&str]) {
    let run = p.ok(args);
    for line in drift_lines(p) {
        assert!(
            run.stderr.contains(&format!("warning: {line}")),
            "{}",
            run.stderr
        );
    }
}

fn upgrade_refuses_a_revision_that_drift_breaks_and_warns_otherwise(db: Db) {
    let p = hand_drifted(db);
    let head = p.version_rows().remove(0);
    let clash = p.write_revision(
        "b0b0b0b0b0b0",
        &head,
        "about me",
        "ALTER TABLE \"user\" ADD COLUMN \"about_me\" VARCHAR(140);\n",
        "ALTER TABLE \"user\" DROP COLUMN \"about_me\";\n",
    );
    // The plan is checked under the migration lock, after the line naming the database.
    let (lines, message) = p.refused(&["db", "upgrade"]);
    assert_eq!(lines, drift_lines(&p));
    assert!(
        message.starts_with(&format!("{clash}:"))
            && message.contains("already")
            && message.contains("nothing was run")
            && message.contains("mb db adopt"),
        "{message}"
    );
    assert_eq!(p.version_rows(), std::slice::from_ref(&head));

    std::fs::remove_file(p.path(&clash)).unwrap();
    p.write_revision(
        "b0b0b0b0b0b0",
        &head,
        "tags",
        "CREATE TABLE \"tag\" (\"id\" INTEGER PRIMARY KEY);\n",
        "DROP TABLE \"tag\";\n",
    );
    assert_drift_warned(&p, &["db", "upgrade"]);
    assert_eq!(p.version_rows(), ["b0b0b0b0b0b0"]);
    assert!(p.tables().contains(&"tag".to_string()));
    // Downgrades are checked alike: dropping "tag" applies, so the drift is a warning.
    assert_drift_warned(&p, &["db", "downgrade"]);
    assert_eq!(p.version_rows(), [head]);
}

on_each_database!(
    flask_create_all_tables_are_adopted_then_migrated,
    hand_drift_is_adopted_then_declared_away,
    hand_drift_is_reverted,
    upgrade_refuses_a_revision_that_drift_breaks_and_warns_otherwise,
);
