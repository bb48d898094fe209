//! What is particular to MySQL and MariaDB's schema side: tables made by hand read back
//! as mb models them, what mb cannot read is named, comparisons leave nothing behind, an
//! op MySQL cannot run stops the upgrade before anything runs, and each op is one
//! statement in `mb_progress`.

mod common;

use common::{Db, TestProject, fails_after_progress};

/// A project on a database of its own on the MySQL server, or `None` after a loud skip.
/// A project on MySQL that deploys only there: these tests are about MySQL's own types.
fn mysql_project(test: &str) -> Option<TestProject> {
    Db::Mysql.available(test).then(|| {
        let p = TestProject::on(Db::Mysql);
        p.deploy_only_here();
        p
    })
}

/// Revision aaa111, which creates table "user" and then runs `more`.
fn users_revision(p: &TestProject, more: &str) {
    p.write_revision(
        "aaa111",
        "",
        "users",
        &format!(
            "CREATE TABLE \"user\" (\"id\" INTEGER PRIMARY KEY, \"email\" VARCHAR(80));\n{more}"
        ),
        "DROP TABLE \"user\";\n",
    );
}

#[test]
fn tables_made_by_hand_read_back_as_declared() {
    let Some(p) = mysql_project("tables_made_by_hand_read_back_as_declared") else {
        return;
    };
    // As a MySQL user writes them (the test connection, like mb's, has ANSI_QUOTES).
    p.execute(
        "CREATE TABLE author (
            id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
            email varchar(120) NOT NULL,
            name text,
            joined datetime DEFAULT NULL,
            flag tinyint(4) DEFAULT 0,
            active tinyint(1) NOT NULL DEFAULT 1,
            kind enum('Mr','it''s') DEFAULT 'Mr',
            prefs json,
            UNIQUE KEY uq_author_email (email),
            KEY ix_author_joined (joined),
            CONSTRAINT named CHECK (length(email) > 3)
        ) ENGINE=InnoDB",
    );
    p.execute(
        "CREATE TABLE book (
            id bigint(20) NOT NULL AUTO_INCREMENT,
            author_id int(11) NOT NULL,
            price decimal(8,2) NOT NULL DEFAULT '0.00',
            PRIMARY KEY (id),
            CONSTRAINT fk_book_author FOREIGN KEY (author_id) REFERENCES author (id) ON DELETE RESTRICT
        )",
    );
    p.execute("CREATE VIEW cheap AS SELECT id, price FROM book WHERE price < 10");
    p.write(
        "schema.sql",
        r#"CREATE TABLE "author" (
    "id" INTEGER PRIMARY KEY,
    "email" VARCHAR(120) NOT NULL,
    "name" TEXT,
    "joined" DATETIME,
    "flag" TINYINT DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT TRUE,
    "kind" ENUM('Mr', 'it''s') DEFAULT 'Mr',
    "prefs" JSON,
    CONSTRAINT "uq_author_email" UNIQUE ("email"),
    CONSTRAINT "named" CHECK (length("email") > 3)
);
CREATE INDEX "ix_author_joined" ON "author" ("joined");
CREATE TABLE "book" (
    "id" BIGINT PRIMARY KEY,
    "author_id" INTEGER NOT NULL,
    "price" NUMERIC(8, 2) NOT NULL DEFAULT 0,
    CONSTRAINT "fk_book_author" FOREIGN KEY ("author_id") REFERENCES "author" ("id") ON DELETE RESTRICT
);
CREATE VIEW "cheap" AS SELECT "id", "price" FROM "book" WHERE "price" < 10;
"#,
    );
    // No revision made them: adopting writes what MySQL stores like the declaration in
    // the declaration's portable words.
    p.ok(&["db", "adopt", "-m", "hand-made"]);
    let adopted = p.read(&format!("migrations/versions/{}", p.revision_files()[0]));
    assert!(
        adopted.contains("CHECK (LENGTH(\"email\") > 3)") && !adopted.contains("OCTET_LENGTH"),
        "{adopted}"
    );
    let run = p.ok(&["db", "migrate", "-m", "nothing"]);
    assert!(
        run.stderr.contains("No changes in schema detected."),
        "{}",
        run.stderr
    );
    p.ok(&["db", "check"]);
    // The comparison created its scratch tables and views and dropped them again.
    assert!(
        p.first_column(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'mb\\_tmp%'"
        )
        .is_empty()
    );

    // A real difference is still one: the view and the check as declared, and as
    // adopted in the down section.
    p.write(
        "schema.sql",
        p.read("schema.sql")
            .replace("\"price\" < 10", "\"price\" < 20")
            .replace("length(\"email\") > 3", "length(\"email\") > 4"),
    );
    p.ok(&["db", "migrate", "-m", "cheaper", "--rev-id", "aaa111"]);
    let revision = p.read("migrations/versions/aaa111_cheaper.sql");
    let (up, down) = revision.split_once("-- migrate:down").unwrap();
    assert!(up.contains("WHERE \"price\" < 20"), "{revision}");
    assert!(up.contains("CHECK (LENGTH(\"email\") > 4)"), "{revision}");
    assert!(down.contains("CHECK (LENGTH(\"email\") > 3)"), "{revision}");
}

#[test]
fn what_mb_cannot_model_is_named_and_left_alone() {
    let Some(p) = mysql_project("what_mb_cannot_model_is_named_and_left_alone") else {
        return;
    };
    p.write(
        "schema.sql",
        "CREATE TABLE \"doc\" (\"id\" INTEGER PRIMARY KEY, \"body\" VARCHAR(200), \"a\" INTEGER);\n",
    );
    p.execute(
        "CREATE TABLE doc (id int PRIMARY KEY, body varchar(200), a int, b int AS (a + 1), \
         at timestamp DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, \
         FULLTEXT KEY ft_body (body), KEY ix_prefix (body(10)), KEY ix_b (b))",
    );
    p.execute("CREATE TRIGGER doc_one BEFORE INSERT ON doc FOR EACH ROW SET NEW.a = 1");
    p.execute("CREATE PROCEDURE noop() BEGIN END");
    let warnings = [
        "column \"at\" on \"doc\" changes itself on every update (ON UPDATE CURRENT_TIMESTAMP",
        "column \"b\" on \"doc\" is a generated column",
        "index \"ft_body\" on \"doc\" is a FULLTEXT index",
        "index \"ix_b\" on \"doc\" uses a column or table that mb leaves out",
        "index \"ix_prefix\" on \"doc\" indexes a prefix of column body (10)",
        "procedure \"noop\" is a stored procedure",
        "trigger \"doc_one\" on \"doc\" runs BEFORE INSERT",
    ];
    // No revision made the table: it is adopted first (docs/drift.md), without the parts
    // mb leaves out.
    let inspected = common::assert_left_alone_by_every_command(&p, &warnings);
    assert!(
        inspected.contains("--   index \"ft_body\" on \"doc\" is a FULLTEXT index\n"),
        "{}",
        inspected
    );
    assert_eq!(p.columns("doc"), ["id", "body", "a", "b", "at"]);
}

#[test]
fn an_op_mysql_cannot_run_stops_the_upgrade_before_anything_runs() {
    let Some(p) = mysql_project("an_op_mysql_cannot_run_stops_the_upgrade_before_anything_runs")
    else {
        return;
    };
    users_revision(&p, "");
    p.write_revision(
        "bbb222",
        "aaa111",
        "active emails",
        "CREATE INDEX \"ix_user_email\" ON \"user\" (\"email\")\n    WHERE \"email\" IS NOT NULL;\n",
        "DROP INDEX \"ix_user_email\";\n",
    );
    let message = common::fails(p.mb().args(["db", "upgrade"]), 4);
    assert_eq!(
        message,
        "migrations/versions/bbb222_active_emails.sql:8: cannot run `CREATE INDEX \"ix_user_email\" ON \"user\" (\"email\") WHERE \"email\" IS NOT NULL` on MySQL: MySQL has no partial indexes (index \"ix_user_email\" has WHERE \"email\" IS NOT NULL) — index every row by removing the WHERE clause"
    );
    assert!(p.tables().is_empty(), "nothing ran: {:?}", p.tables());
    // `--sql` says the same without a database.
    let message = common::fails(p.mb().args(["db", "upgrade", "--sql"]), 4);
    assert!(
        message.contains("MySQL has no partial indexes"),
        "{message}"
    );
}

#[test]
fn each_op_is_one_statement_so_a_failed_upgrade_resumes_exactly() {
    let Some(p) = mysql_project("each_op_is_one_statement_so_a_failed_upgrade_resumes_exactly")
    else {
        return;
    };
    users_revision(
        &p,
        "INSERT INTO \"user\" (\"email\") VALUES ('a@example.com'), ('a@example.com');\n",
    );
    // Each of these is one ALTER TABLE on MySQL; the unique one fails on the rows.
    p.write_revision(
        "bbb222",
        "aaa111",
        "tighten",
        "ALTER TABLE \"user\" ALTER COLUMN \"email\" SET NOT NULL;\nALTER TABLE \"user\" ADD CONSTRAINT \"uq_user_email\" UNIQUE (\"email\");\nALTER TABLE \"user\" ADD COLUMN \"name\" VARCHAR(40) NOT NULL DEFAULT '';\n",
        "ALTER TABLE \"user\" DROP COLUMN \"name\";\nALTER TABLE \"user\" DROP CONSTRAINT \"uq_user_email\";\nALTER TABLE \"user\" ALTER COLUMN \"email\" DROP NOT NULL;\n",
    );
    let (_, message) = fails_after_progress(p.mb().args(["db", "upgrade"]), 6);
    assert!(
        message.starts_with("migrations/versions/bbb222_tighten.sql:9: Duplicate entry 'a@example.com' for key 'uq_user_email'; the statement was: ALTER TABLE `user` ADD CONSTRAINT `uq_user_email` UNIQUE (`email`);"),
        "{message}"
    );
    assert!(
        message.contains("statement 1 of 3 ran and stays applied"),
        "{message}"
    );
    p.execute("DELETE FROM \"user\" WHERE \"id\" = 2");
    p.ok(&["db", "upgrade", "--resume"]);
    assert_eq!(p.version_rows(), ["bbb222"]);
    assert_eq!(p.columns("user"), ["id", "email", "name"]);
    p.ok(&["db", "downgrade", "base", "--allow-data-loss"]);
    assert!(p.tables().is_empty());
}

#[test]
fn renames_keep_checks_indexes_and_foreign_keys() {
    let Some(p) = mysql_project("renames_keep_checks_indexes_and_foreign_keys") else {
        return;
    };
    users_revision(&p, "");
    p.write_revision(
        "bbb222",
        "aaa111",
        "orders",
        "CREATE TABLE \"order\" (\"id\" INTEGER PRIMARY KEY, \"user_id\" INTEGER REFERENCES \"user\", \"qty\" INTEGER CHECK (\"qty\" > 0));\nCREATE INDEX \"ix_order_qty\" ON \"order\" (\"qty\" DESC);\n",
        "DROP TABLE \"order\";\n",
    );
    p.write_revision(
        "ccc333",
        "bbb222",
        "renames",
        "ALTER TABLE \"order\" RENAME COLUMN \"qty\" TO \"quantity\";\nALTER TABLE \"order\" RENAME COLUMN \"user_id\" TO \"buyer\";\nALTER TABLE \"user\" RENAME TO \"person\";\n",
        "ALTER TABLE \"person\" RENAME TO \"user\";\nALTER TABLE \"order\" RENAME COLUMN \"buyer\" TO \"user_id\";\nALTER TABLE \"order\" RENAME COLUMN \"quantity\" TO \"qty\";\n",
    );
    // The names of constraints and indexes stay what they were.
    p.write(
        "schema.sql",
        r#"CREATE TABLE "person" ("id" INTEGER CONSTRAINT "pk_user" PRIMARY KEY, "email" VARCHAR(80));
CREATE TABLE "order" (
    "id" INTEGER PRIMARY KEY,
    "buyer" INTEGER CONSTRAINT "fk_order_user_id_user" REFERENCES "person",
    "quantity" INTEGER CONSTRAINT "ck_order_qty" CHECK ("quantity" > 0)
);
CREATE INDEX "ix_order_qty" ON "order" ("quantity" DESC);
"#,
    );
    p.ok(&["db", "upgrade"]);
    p.ok(&["db", "check", "--offline"]);
    p.ok(&["db", "check"]);
    p.execute("INSERT INTO \"person\" (\"email\") VALUES ('a@example.com')");
    p.execute("INSERT INTO \"order\" (\"buyer\", \"quantity\") VALUES (1, 2)");
    p.ok(&["db", "downgrade", "base", "--allow-data-loss"]);
    assert!(p.tables().is_empty());
}

#[test]
fn comparing_without_the_privilege_to_create_says_which_one() {
    let Some(p) = mysql_project("comparing_without_the_privilege_to_create_says_which_one") else {
        return;
    };
    p.write(
        "schema.sql",
        "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY, \"n\" INTEGER);\nCREATE VIEW \"v\" AS SELECT \"n\" FROM \"t\";\n",
    );
    p.ok(&["db", "migrate", "-m", "t", "--rev-id", "aaa111"]);
    p.ok(&["db", "upgrade"]);
    let server = p.server.as_ref().unwrap();
    let user = format!("{}_ro", server.name);
    let mut admin = server.connect();
    admin.run(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'"));
    admin.run(&format!(
        "GRANT SELECT ON {}.* TO '{user}'@'%'",
        server.name
    ));
    let mut url = url::Url::parse(&server.url).unwrap();
    url.set_username(&user).unwrap();
    url.set_password(Some("pw")).unwrap();
    let check = || {
        common::fails(
            p.mb().args(["db", "check", "--database-url", url.as_str()]),
            6,
        )
    };
    let without_show_view = check();
    admin.run(&format!(
        "GRANT SHOW VIEW ON {}.* TO '{user}'@'%'",
        server.name
    ));
    let message = check();
    admin.run(&format!("DROP USER '{user}'@'%'"));
    assert_eq!(
        without_show_view,
        format!(
            "cannot read view \"v\" of MySQL database {}: MySQL shows a view's query only to its definer and to users with the SHOW VIEW privilege — grant SHOW VIEW on the database",
            server.name
        )
    );
    assert!(
        message.starts_with(&format!(
            "cannot compare the schema of MySQL database {}: CREATE VIEW command denied to user",
            server.name
        )) && message.ends_with("grant the user CREATE, CREATE VIEW and DROP on the database"),
        "{message}"
    );
}
