-- posts table
--
-- Revision ID: 780739b227a7
-- Revises: e517276bb1c2
-- Create Date: 2026-11-24 10:32:01.123456
--
-- migrate:up
CREATE TABLE "post" (
    "id" INTEGER NOT NULL,
    "body" VARCHAR(140) NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "user_id" INTEGER NOT NULL,
    CONSTRAINT "pk_post" PRIMARY KEY ("id"),
    CONSTRAINT "fk_post_user_id_user" FOREIGN KEY ("user_id") REFERENCES "user" ("id")
);
CREATE INDEX "ix_post_timestamp" ON "post" ("timestamp");
CREATE INDEX "ix_post_user_id" ON "post" ("user_id");

-- migrate:down
DROP INDEX "ix_post_user_id";
DROP INDEX "ix_post_timestamp";
DROP TABLE "post";
