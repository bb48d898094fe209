-- posts table
--
-- Revision ID: 780739b227a7
-- Revises: e517276bb1c2
-- Create Date: 2026-11-24 23:56:36.699949
--
-- migrate:up
CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140) NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "user_id" INTEGER NOT NULL REFERENCES "user" ("id")
);
CREATE INDEX "ix_post_timestamp" ON "post" ("timestamp");
CREATE INDEX "ix_post_user_id" ON "post" ("user_id");

-- migrate:down
-- WARNING: drops table "post" and all its rows
DROP TABLE "post";

