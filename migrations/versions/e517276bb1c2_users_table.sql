-- users table
--
-- Revision ID: e517276bb1c2
-- Revises: 
-- Create Date: 2026-11-24 23:56:36.637925
--
-- migrate:up
CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "username" VARCHAR(64) NOT NULL,
    "email" VARCHAR(120) NOT NULL,
    "password_hash" VARCHAR(128)
);
CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email");
CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");

-- migrate:down
-- WARNING: drops table "user" and all its rows
DROP TABLE "user";

