-- users table
--
-- Revision ID: e517276bb1c2
-- Revises: 
-- Create Date: 2026-11-24 10:30:12.482106
--
-- migrate:up
CREATE TABLE "user" (
    "id" INTEGER NOT NULL,
    "username" VARCHAR(64) NOT NULL,
    "email" VARCHAR(120) NOT NULL,
    "password_hash" VARCHAR(128),
    CONSTRAINT "pk_user" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email");
CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");

-- migrate:down
DROP INDEX "ix_user_username";
DROP INDEX "ix_user_email";
DROP TABLE "user";
