-- The tutorial's microblog: users and their posts.

CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY,
    "username" VARCHAR(64) NOT NULL,
    "email" VARCHAR(120) NOT NULL,
    "password_hash" VARCHAR(128)
);
CREATE UNIQUE INDEX "ix_user_username" ON "user" ("username");
CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email");

CREATE TABLE "post" (
    "id" INTEGER PRIMARY KEY,
    "body" VARCHAR(140) NOT NULL,
    "timestamp" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "user_id" INTEGER NOT NULL REFERENCES "user" ("id")
);
CREATE INDEX "ix_post_timestamp" ON "post" ("timestamp");
CREATE INDEX "ix_post_user_id" ON "post" ("user_id");
