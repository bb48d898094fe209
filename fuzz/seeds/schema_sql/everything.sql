CREATE TABLE "user" (
    "id" INTEGER PRIMARY KEY, -- mb:renamed-from users
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "score" NUMERIC(10, 2) DEFAULT 0.5 CHECK ("score" >= 0 AND "score" <= 100),
    "data" JSON,
    "created" TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE "post" (
    "id" BIGINT,
    "user_id" INTEGER REFERENCES "user" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    "body" TEXT DEFAULT 'it''s',
    PRIMARY KEY ("id"),
    CONSTRAINT "ck_body" CHECK (length("body") > 0 OR "body" IS NULL)
);
CREATE UNIQUE INDEX "ix_post" ON "post" ("user_id", "id" DESC) WHERE "body" IS NOT NULL;
CREATE INDEX "ix_lower" ON "user" ((lower("email")));
CREATE VIEW "active" AS SELECT u."id", COUNT(*) AS "n" FROM "user" u JOIN "post" p ON p."user_id" = u."id" GROUP BY u."id" HAVING COUNT(*) > 1;
