-- concurrent index
--
-- Revision ID: c0ffee
-- Revises:
-- mb:no-transaction
-- migrate:up
CREATE INDEX CONCURRENTLY "ix" ON "t" ("a", "b" DESC, (lower("c")));
ALTER TABLE "t" ALTER COLUMN "a" TYPE BIGINT, ALTER COLUMN "a" SET NOT NULL, ALTER COLUMN "a" SET DEFAULT 0;
ALTER TABLE "t" RENAME COLUMN "a" TO "b";
ALTER TABLE "t" ADD CONSTRAINT "fk" FOREIGN KEY ("b") REFERENCES "u" ("id") ON DELETE CASCADE;
SET autocommit = 1;
-- migrate:down
DROP INDEX CONCURRENTLY "ix";
