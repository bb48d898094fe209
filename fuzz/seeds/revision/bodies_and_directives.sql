-- triggers, functions and directives
--
-- Revision ID: b0d1e5
-- Revises: a1, c2
-- Branch Labels: feature
-- Depends On: d3
-- Create Date: 2026-01-02 03:04:05.000000
-- mb:allow-data-loss
--
-- migrate:up
CREATE TABLE "log" ("id" INTEGER PRIMARY KEY, "msg" TEXT DEFAULT 'it''s; -- not a comment');
CREATE TRIGGER "log_insert" AFTER INSERT ON "log" BEGIN
  INSERT INTO "log" ("msg") VALUES ('inserted; ' || NEW."msg");
END;
CREATE FUNCTION f() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
CREATE PROCEDURE p() BEGIN IF 1 THEN SELECT 1; END IF; END;
ALTER TABLE "log" ADD COLUMN "at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;
CREATE UNIQUE INDEX "ix_log_msg" ON "log" ("msg") WHERE "msg" IS NOT NULL;
CREATE VIEW "recent" AS SELECT "id", "msg" FROM "log" WHERE "id" > 10 UNION SELECT 0, 'x';
BEGIN;
COMMIT;

-- migrate:down
-- mb:allow-data-loss
DROP VIEW "recent";
DROP INDEX "ix_log_msg";
ALTER TABLE "log" DROP COLUMN "at";
DROP TABLE "log";
