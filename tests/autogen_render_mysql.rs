//! Snapshots of the SQL that ops render to on MySQL and MariaDB: one statement per op,
//! with what MySQL needs alongside it, and a clear error for what it cannot do.

mod autogen_common;

use autogen_common::schema;
use mb::dialect::Dialect;
use mb::ops::Op;
use mb::schema::Schema;

const BLOG: &str = r#"
    CREATE TABLE "user" (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, bio TEXT);
    CREATE TABLE post (
        id INTEGER PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES "user" ON DELETE CASCADE,
        title VARCHAR(80) NOT NULL DEFAULT 'untitled',
        body TEXT DEFAULT '',
        score NUMERIC(6, 2) DEFAULT 0,
        CHECK (length(body) < 1000)
    );
    CREATE TABLE tag (post_id INTEGER REFERENCES post, label VARCHAR(20), PRIMARY KEY (post_id, label));
    CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER);
    CREATE TABLE note (n INTEGER NOT NULL, body TEXT);
    CREATE INDEX ix_post_title ON post (title DESC, id);
    CREATE VIEW recent AS SELECT id, 'n' || n AS shout FROM counter WHERE id > 10;"#;

/// The statements `statement` renders to on MySQL after `BLOG`, one per line.
fn render(statement: &str) -> String {
    let before = schema(BLOG).unwrap();
    let op = Op::parse(statement).unwrap().unwrap();
    let rendered = Dialect::Mysql.render(&op, &before).unwrap();
    assert!(
        rendered.statements.len() <= 1,
        "MySQL commits each statement: one per op"
    );
    assert!(!rendered.foreign_keys_off && rendered.rebuilt_tables.is_empty());
    rendered.statements.join(";\n")
}

/// The error for an op MySQL cannot run.
fn refused(statement: &str) -> String {
    let before = schema(BLOG).unwrap();
    let op = Op::parse(statement).unwrap().unwrap();
    Dialect::Mysql.render(&op, &before).unwrap_err().message
}

#[test]
fn create_table_maps_every_type_and_names_every_constraint() {
    let declared = schema(
        r#"CREATE TABLE "user" (id BIGINT PRIMARY KEY);
        CREATE TABLE "every type" (
            id INTEGER PRIMARY KEY,
            s SMALLINT, b BIGINT, v VARCHAR(20) DEFAULT 'it''s a \ here', t TEXT DEFAULT 'x',
            ok BOOLEAN NOT NULL DEFAULT TRUE, r REAL, d DOUBLE PRECISION, n NUMERIC(10, 2),
            any_n NUMERIC, day DATE DEFAULT CURRENT_DATE, at TIME, ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
            tz TIMESTAMP WITH TIME ZONE, bin BLOB, doc JSON, u UUID, y YEAR, e ENUM('a', 'b'),
            computed INTEGER DEFAULT (2 * 3),
            owner BIGINT REFERENCES "user" ON DELETE SET NULL ON UPDATE CASCADE,
            CONSTRAINT "v set" CHECK (v <> '' OR v || 'x' = 'x'),
            UNIQUE (u)
        );
        CREATE TABLE pair (a INTEGER, b INTEGER, CONSTRAINT the_pair PRIMARY KEY (a, b));"#,
    )
    .unwrap();
    let mut before = declared.clone();
    before.tables.remove("every type");
    let create = Op::CreateTable(declared.tables["every type"].clone());
    insta::assert_snapshot!(Dialect::Mysql.render(&create, &before).unwrap().statements.join(";\n"), @r"
    CREATE TABLE `every type` (
        `id` INT NOT NULL AUTO_INCREMENT,
        `s` SMALLINT,
        `b` BIGINT,
        `v` VARCHAR(20) DEFAULT 'it''s a \\ here',
        `t` LONGTEXT DEFAULT ('x'),
        `ok` TINYINT(1) NOT NULL DEFAULT true,
        `r` FLOAT,
        `d` DOUBLE,
        `n` DECIMAL(10,2),
        `any_n` DECIMAL(65,30),
        `day` DATE DEFAULT (CURRENT_DATE),
        `at` TIME(6),
        `ts` DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
        `tz` TIMESTAMP(6) NULL,
        `bin` LONGBLOB,
        `doc` JSON,
        `u` CHAR(36) CHARACTER SET ascii,
        `y` YEAR,
        `e` ENUM('a', 'b'),
        `computed` INT DEFAULT (2 * 3),
        `owner` BIGINT,
        PRIMARY KEY (`id`) COMMENT 'mb:name=pk_every type',
        CONSTRAINT `uq_every type_u` UNIQUE (`u`),
        CONSTRAINT `v set` CHECK (`v` <> '' OR `v` || 'x' = 'x'),
        CONSTRAINT `fk_every type_owner_user` FOREIGN KEY (`owner`) REFERENCES `user` (`id`) ON DELETE SET NULL ON UPDATE CASCADE
    )
    ");
    let pair = Op::CreateTable(declared.tables["pair"].clone());
    insta::assert_snapshot!(Dialect::Mysql.render(&pair, &Schema::default()).unwrap().statements.join(";\n"), @r"
    CREATE TABLE `pair` (
        `a` INT NOT NULL,
        `b` INT NOT NULL,
        PRIMARY KEY (`a`, `b`) COMMENT 'mb:name=the_pair'
    )
    ");
}

#[test]
fn columns_are_modified_with_their_whole_definition() {
    insta::assert_snapshot!(render("ALTER TABLE post ADD COLUMN created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"), @"ALTER TABLE `post` ADD COLUMN `created` DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)");
    insta::assert_snapshot!(render(r#"ALTER TABLE "user" ALTER COLUMN name TYPE VARCHAR(200)"#), @"ALTER TABLE `user` MODIFY COLUMN `name` VARCHAR(200) NOT NULL");
    insta::assert_snapshot!(render("ALTER TABLE post ALTER COLUMN title DROP NOT NULL, ALTER COLUMN title DROP DEFAULT"), @"ALTER TABLE `post` MODIFY COLUMN `title` VARCHAR(80)");
    insta::assert_snapshot!(render("ALTER TABLE post ALTER COLUMN body SET DEFAULT 'none'"), @"ALTER TABLE `post` MODIFY COLUMN `body` LONGTEXT DEFAULT ('none')");
    insta::assert_snapshot!(render("ALTER TABLE post RENAME COLUMN title TO headline"), @"ALTER TABLE `post` RENAME COLUMN `title` TO `headline`");
    insta::assert_snapshot!(render("ALTER TABLE post RENAME COLUMN body TO content"), @"ALTER TABLE `post` DROP CONSTRAINT `ck_post_body`, RENAME COLUMN `body` TO `content`, ADD CONSTRAINT `ck_post_body` CHECK (LENGTH(`content`) < 1000)");
    // What uses the column goes with it: MySQL would shrink the index instead, and
    // refuses to drop a column a check or a foreign key uses.
    insta::assert_snapshot!(render("ALTER TABLE post DROP COLUMN body"), @"ALTER TABLE `post` DROP CONSTRAINT `ck_post_body`, DROP COLUMN `body`");
    insta::assert_snapshot!(render("ALTER TABLE tag DROP COLUMN label"), @"ALTER TABLE `tag` DROP PRIMARY KEY, DROP COLUMN `label`, ADD INDEX `fk_tag_post_id_post` (`post_id`)");
}

#[test]
fn keys_keep_auto_increment_and_foreign_keys_keep_an_index() {
    insta::assert_snapshot!(render("ALTER TABLE counter DROP CONSTRAINT pk_counter"), @"ALTER TABLE `counter` DROP PRIMARY KEY, MODIFY COLUMN `id` INT NOT NULL");
    insta::assert_snapshot!(render("ALTER TABLE note ADD PRIMARY KEY (n)"), @"ALTER TABLE `note` MODIFY COLUMN `n` INT NOT NULL AUTO_INCREMENT, ADD PRIMARY KEY (`n`) COMMENT 'mb:name=pk_note'");
    insta::assert_snapshot!(render("ALTER TABLE tag ADD CONSTRAINT tag_label UNIQUE (label)"), @"ALTER TABLE `tag` ADD CONSTRAINT `tag_label` UNIQUE (`label`)");
    // InnoDB's index for a foreign key goes with it, or when another index serves…
    insta::assert_snapshot!(render("ALTER TABLE post DROP CONSTRAINT fk_post_user_id_user"), @"ALTER TABLE `post` DROP FOREIGN KEY `fk_post_user_id_user`, DROP INDEX `fk_post_user_id_user`");
    insta::assert_snapshot!(render("CREATE INDEX ix_post_user ON post (user_id, score DESC)"), @"ALTER TABLE `post` DROP INDEX `fk_post_user_id_user`, ADD INDEX `ix_post_user` (`user_id`, `score` DESC)");
    // …and comes back when the key that served goes.
    insta::assert_snapshot!(render("ALTER TABLE tag DROP CONSTRAINT pk_tag"), @"ALTER TABLE `tag` DROP PRIMARY KEY, ADD INDEX `fk_tag_post_id_post` (`post_id`)");
    insta::assert_snapshot!(render(r#"ALTER TABLE tag ADD CONSTRAINT fk_tag_label FOREIGN KEY (label) REFERENCES "user" (name)"#), @"ALTER TABLE `tag` ADD INDEX `fk_tag_label` (`label`), ADD CONSTRAINT `fk_tag_label` FOREIGN KEY (`label`) REFERENCES `user` (`name`)");
    insta::assert_snapshot!(render("ALTER TABLE post ADD CONSTRAINT positive CHECK (score >= 0)"), @"ALTER TABLE `post` ADD CONSTRAINT `positive` CHECK (`score` >= 0)");
    insta::assert_snapshot!(render(r#"ALTER TABLE "user" DROP CONSTRAINT uq_user_name"#), @"DROP INDEX `uq_user_name` ON `user`");
}

#[test]
fn indexes_views_and_tables() {
    insta::assert_snapshot!(render(r#"CREATE UNIQUE INDEX "ix name" ON "user" (name DESC)"#), @"CREATE UNIQUE INDEX `ix name` ON `user` (`name` DESC) COMMENT 'mb:index'");
    insta::assert_snapshot!(render("DROP INDEX ix_post_title"), @"DROP INDEX `ix_post_title` ON `post`");
    insta::assert_snapshot!(render("DROP VIEW recent"), @"DROP VIEW `recent`");
    insta::assert_snapshot!(render(r#"CREATE VIEW "long ones" AS SELECT p.id, u.name || ': ' || p.title AS "line" FROM post p JOIN "user" u ON u.id = p.user_id"#), @r#"CREATE VIEW `long ones` AS SELECT `p`.`id`, `u`.`name` || ': ' || `p`.`title` AS `line` FROM `post` p JOIN `user` u ON `u`.`id` = `p`.`user_id`"#);
    insta::assert_snapshot!(render("ALTER TABLE tag RENAME TO label"), @"ALTER TABLE `tag` RENAME TO `label`");
    insta::assert_snapshot!(render("DROP TABLE tag"), @"DROP TABLE `tag`");
}

#[test]
fn what_mysql_cannot_do_is_refused_with_what_to_do_instead() {
    for (statement, expected) in [
        (
            "CREATE INDEX ix_some ON post (title) WHERE id > 5",
            "cannot run `CREATE INDEX \"ix_some\" ON \"post\" (\"title\") WHERE \"id\" > 5` on MySQL: MySQL has no partial indexes (index \"ix_some\" has WHERE \"id\" > 5) — index every row by removing the WHERE clause",
        ),
        (
            "CREATE INDEX ix_lower ON post (lower(title))",
            "MariaDB cannot index an expression (index \"ix_lower\"), and mb writes one SQL for MySQL and MariaDB — index a column that holds the value instead",
        ),
        (
            "CREATE INDEX ix_body ON post (body)",
            "MySQL cannot index the TEXT column \"body\" of \"post\" whole (keys, unique constraints, indexes and foreign keys need an index) — declare it VARCHAR(n)",
        ),
        (
            "ALTER TABLE post ADD COLUMN summary VARCHAR",
            "MySQL needs a length for VARCHAR — declare VARCHAR(n), or TEXT for text of any length",
        ),
        (
            "ALTER TABLE post ADD COLUMN tags JSONB",
            "JSONB is not a MySQL or MariaDB type — use a portable type (JSON, BLOB, VARCHAR(n), …) or one MySQL knows",
        ),
        (
            r#"ALTER TABLE post ADD CONSTRAINT fk_post_editor FOREIGN KEY (score) REFERENCES "user" (id) ON DELETE SET DEFAULT"#,
            "foreign key \"fk_post_editor\" joins \"score\" DECIMAL(6,2) to \"id\" BIGINT, and MySQL needs the same type on both sides (strings may differ in length) — give both columns one type",
        ),
        (
            r#"ALTER TABLE post ADD CONSTRAINT fk_post_owner FOREIGN KEY (user_id) REFERENCES "user" (id) ON UPDATE SET DEFAULT"#,
            "InnoDB does not support ON UPDATE SET DEFAULT (foreign key \"fk_post_owner\") — use SET NULL, CASCADE or RESTRICT",
        ),
        (
            "ALTER TABLE post ALTER COLUMN user_id TYPE INTEGER",
            "MySQL cannot change the type of \"user_id\" while foreign key \"fk_post_user_id_user\" uses it — drop the foreign key before this statement and add it back after",
        ),
        (
            "ALTER TABLE post ALTER COLUMN id SET DEFAULT 1",
            "the auto-increment key column \"id\" cannot have a default on MySQL — remove the DEFAULT",
        ),
        (
            "ALTER TABLE post ADD CONSTRAINT positive_id CHECK (id > 0)",
            "check \"positive_id\" uses the auto-increment key column \"id\", which MySQL does not allow — check another column or drop the check",
        ),
    ] {
        let message = refused(statement);
        assert!(message.ends_with(expected), "{statement}:\n{message}");
        assert!(message.starts_with("cannot run `"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}
