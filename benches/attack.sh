#!/usr/bin/env bash
# The concurrency and kill figures of docs/safety.md ("Concurrency and kills"): on SQLite,
# PostgreSQL and MariaDB/MySQL,
#   - ROUNDS rounds of 8 `mb db upgrade` started at once on a fresh database: every
#     process must succeed and every revision run exactly once (each INSERTs its id into
#     a table whose key would refuse a second run, and mb_history counts the runs);
#   - ROUNDS rounds of 6 `mb db upgrade +1` at once on 6 pending revisions: each must run
#     exactly one, the six together all of them;
#   - KILLS upgrades killed (SIGKILL) at a random moment: the database must be at a
#     revision boundary (SQLite, PostgreSQL) or, on MySQL, match its mb_progress record
#     exactly (a DDL statement killed before its record is "in doubt": `--resume` must
#     refuse to guess, and finishing by hand and `mb db resolve done` settles it); then
#     `mb db upgrade` (`--resume`) must finish with every revision applied once.
# Prints one table. Not part of `cargo test`: it runs the debug binary for a few minutes.
# Usage: benches/attack.sh [ROUNDS] [KILLS]      (default 10 rounds, 30 kills per database;
# about 7 minutes on 2 busy cores)
# The server rows use MB_TEST_POSTGRES_URL / MB_TEST_MYSQL_URL (the local servers by
# default; set one to "" to skip it).
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-10}
KILLS=${2:-30}
PG_URL=${MB_TEST_POSTGRES_URL-postgresql://postgres@127.0.0.1:5432/postgres}
MY_URL=${MB_TEST_MYSQL_URL-mysql://root@127.0.0.1:3306/mysql}
cargo build --quiet --bin mb || exit 1
WORK=$(mktemp -d /tmp/mb-attack-XXXXXX)
MB=$WORK/mb
cp target/debug/mb "$MB"
trap 'rm -rf "$WORK"' EXIT
REVISIONS=(r1 r2 r3 r4 r5 r6)

# The statements of revision $1 (one per line); r1 makes the log table.
statements() {
    local id=$1
    if [ "$id" = r1 ]; then
        echo 'CREATE TABLE "applied" ("revision" VARCHAR(8) PRIMARY KEY)'
        return
    fi
    echo "CREATE TABLE \"t_$id\" (\"id\" INTEGER PRIMARY KEY, \"v\" VARCHAR(20))"
    echo "INSERT INTO \"applied\" (\"revision\") VALUES ('$id')"
    echo "INSERT INTO \"t_$id\" (\"id\", \"v\") VALUES (1, 'x')"
    echo "CREATE INDEX \"ix_$id\" ON \"t_$id\" (\"v\")"
}

# A project in $WORK/$1 whose mb.toml names database URL $2, with the six revisions.
project() {
    local dir=$WORK/$1 parent="" id
    rm -rf "$dir" && mkdir -p "$dir/migrations/versions"
    printf 'database_url = "%s"\nmigrations = "migrations"\n' "$2" >"$dir/mb.toml"
    for id in "${REVISIONS[@]}"; do
        {
            printf -- '-- %s\n--\n-- Revision ID: %s\n-- Revises: %s\n-- Create Date: 2026-01-02 03:04:05.000000\n--\n-- migrate:up\n' "$id" "$id" "$parent"
            statements "$id" | sed 's/$/;/'
            printf -- '-- migrate:down\n-- mb:allow-data-loss\n'
            [ "$id" = r1 ] && echo 'DROP TABLE "applied";' || echo "DROP TABLE \"t_$id\"; DELETE FROM \"applied\" WHERE \"revision\" = '$id';"
        } >"$dir/migrations/versions/${id}_$id.sql"
        parent=$id
    done
}

# Per database: fresh DB_NAME (sets URL), run SQL (one value per line, tab-separated).
fresh() { # $1 db, $2 name
    NAME=$2
    case $1 in
    sqlite) URL="sqlite:///app.db" ;;
    postgres)
        psql -X -q "$PG_URL" -c "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" -c "CREATE DATABASE $NAME" >/dev/null 2>&1
        URL="${PG_URL%/*}/$NAME" ;;
    mysql)
        mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $NAME; CREATE DATABASE $NAME"
        URL="${MY_URL%/*}/$NAME" ;;
    esac
}
drop() { # $1 db
    case $1 in
    postgres) psql -X -q "$PG_URL" -c "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" >/dev/null 2>&1 ;;
    mysql) mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $NAME" ;;
    esac
}
sql() { # $1 db, $2 query
    case $1 in
    sqlite) sqlite3 -separator $'\t' "$WORK/$NAME/app.db" "$2" 2>/dev/null ;;
    postgres) psql -X -qAt -F $'\t' "${PG_URL%/*}/$NAME" -c "$2" 2>/dev/null ;;
    mysql) mysql -N -B -uroot -h127.0.0.1 --init-command="SET sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')" "$NAME" -e "$2" 2>/dev/null ;;
    esac
}
has_table() { # $1 db, $2 table
    case $1 in
    sqlite) sql sqlite "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '$2'" ;;
    postgres) sql postgres "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = '$2'" ;;
    mysql) sql mysql "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$2'" ;;
    esac
}
has_index() { # $1 db, $2 table, $3 index
    case $1 in
    sqlite) sql sqlite "SELECT name FROM sqlite_master WHERE type = 'index' AND name = '$3'" ;;
    postgres) sql postgres "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname = '$3'" ;;
    mysql) sql mysql "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$2' AND INDEX_NAME = '$3'" ;;
    esac
}

# How many statements of the revisions, in order, have taken effect, read from the
# catalog and the rows; "?" when what took effect is not a prefix of them.
statements_in_effect() { # $1 db
    local db=$1 bits="" id k statement effect
    for id in "${REVISIONS[@]}"; do
        k=0
        while IFS= read -r statement; do
            case $k in
            0) if [ "$id" = r1 ]; then effect=$(has_table "$db" applied); else effect=$(has_table "$db" "t_$id"); fi ;;
            1) effect=$(sql "$db" "SELECT revision FROM \"applied\" WHERE revision = '$id'") ;;
            2) effect=$(sql "$db" "SELECT id FROM \"t_$id\"") ;;
            3) effect=$(has_index "$db" "t_$id" "ix_$id") ;;
            esac
            if [ -n "$effect" ]; then bits+=1; else bits+=0; fi
            k=$((k + 1))
        done < <(statements "$id")
    done
    local ones=${bits%%0*}
    if [[ ${bits:${#ones}} == *1* ]]; then echo "?"; else echo "${#ones}"; fi
}
# The position of revision $1's first statement among all statements.
index_of_statement() {
    local n=0 id
    for id in "${REVISIONS[@]}"; do
        [ "$id" = "$1" ] && { echo $n; return; }
        n=$((n + $(statements "$id" | wc -l)))
    done
}
# Statements in all revisions up to and including the applied one ($1, empty: none).
statements_through() {
    local n=0 id
    [ -z "$1" ] && { echo 0; return; }
    for id in "${REVISIONS[@]}"; do
        n=$((n + $(statements "$id" | wc -l)))
        [ "$id" = "$1" ] && break
    done
    echo $n
}

# Every revision applied exactly once, the database at r6: 0 when so.
complete_once() { # $1 db
    local runs version applied
    version=$(sql "$1" "SELECT version_num FROM mb_version")
    applied=$(sql "$1" "SELECT COUNT(*) FROM \"applied\"")
    runs=$(sql "$1" "SELECT revision FROM mb_history WHERE operation IN ('upgrade', 'stamp')" | sort | uniq -d | wc -l)
    DOUBLE=$((DOUBLE + runs))
    [ "$version" = r6 ] && [ "$applied" = 5 ] && [ "$runs" = 0 ]
}

row() { printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }

attack() { # $1 db
    local db=$1 round i pids failed=0 plus_failed=0 kills=0 finished=0 boundary=0 proved=0 partial=0 doubt=0 inconsistent=0 start took
    DOUBLE=0
    # 8 upgrades at once.
    for round in $(seq "$ROUNDS"); do
        fresh "$db" "mb_attack_$$_c$round"
        project "$NAME" "$URL"
        pids=()
        for i in 1 2 3 4 5 6 7 8; do
            (cd "$WORK/$NAME" && "$MB" -q db upgrade >"$WORK/$NAME/out$i" 2>&1) &
            pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i" || failed=$((failed + 1)); done
        complete_once "$db" || inconsistent=$((inconsistent + 1))
        drop "$db"
    done
    # 6 `upgrade +1` at once: one revision each.
    for round in $(seq "$ROUNDS"); do
        fresh "$db" "mb_attack_$$_p$round"
        project "$NAME" "$URL"
        pids=()
        for i in 1 2 3 4 5 6; do
            (cd "$WORK/$NAME" && "$MB" db upgrade +1 >"$WORK/$NAME/out$i" 2>&1) &
            pids+=($!)
        done
        for i in "${pids[@]}"; do wait "$i" || plus_failed=$((plus_failed + 1)); done
        for i in 1 2 3 4 5 6; do
            [ "$(grep -c 'Running upgrade' "$WORK/$NAME/out$i")" = 1 ] || plus_failed=$((plus_failed + 1))
        done
        complete_once "$db" || inconsistent=$((inconsistent + 1))
        drop "$db"
    done
    # Kills at random moments of an upgrade, timed against one that runs to the end.
    fresh "$db" "mb_attack_$$_t"
    project "$NAME" "$URL"
    start=$(date +%s%N)
    (cd "$WORK/$NAME" && "$MB" -q db upgrade)
    took=$((($(date +%s%N) - start) / 1000000))
    drop "$db"
    for i in $(seq "$KILLS"); do
        fresh "$db" "mb_attack_$$_k$i"
        project "$NAME" "$URL"
        (cd "$WORK/$NAME" && exec "$MB" -q db upgrade >/dev/null 2>&1) &
        # Within the first 60 % of the time a whole upgrade takes, so most kills land.
        local pid=$! wait_ms=$((RANDOM % (took * 6 / 10 + 1)))
        sleep "$(printf '0.%03d' "$wait_ms")"
        if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); else finished=$((finished + 1)); fi
        wait "$pid" 2>/dev/null
        # A server goes on with the statement of a killed client until it ends.
        sleep 0.3
        local version effect through progress
        version=$(sql "$db" "SELECT version_num FROM mb_version")
        through=$(statements_through "$version")
        effect=$(statements_in_effect "$db")
        progress=$(sql "$db" "SELECT revision, statements_done, error FROM mb_progress")
        if [ -z "$progress" ]; then
            if [ "$effect" = "$through" ]; then boundary=$((boundary + 1)); else inconsistent=$((inconsistent + 1)); fi
            (cd "$WORK/$NAME" && "$MB" -q db upgrade) || inconsistent=$((inconsistent + 1))
        else
            local rev done
            read -r rev done _ <<<"$progress"
            local start_of=$(index_of_statement "$rev")
            if [ "$effect" = $((start_of + done)) ]; then
                partial=$((partial + 1))
                (cd "$WORK/$NAME" && "$MB" -q db upgrade --resume) || inconsistent=$((inconsistent + 1))
            elif [ "$effect" = $((start_of + done + 1)) ]; then
                # In doubt: the statement took effect before mb could record it. mb must
                # not guess: --resume either proves it from the catalog (a table that
                # exists) and goes on, or fails on it (exit 6) and keeps the record, which
                # finishing by hand and `resolve done` settle.
                doubt=$((doubt + 1))
                if (cd "$WORK/$NAME" && "$MB" -q db upgrade --resume >/dev/null 2>&1); then
                    proved=$((proved + 1))
                elif [ -z "$(sql "$db" "SELECT revision FROM mb_progress")" ]; then
                    inconsistent=$((inconsistent + 1))
                else
                    statements "$rev" | tail -n +$((done + 2)) | while IFS= read -r statement; do sql "$db" "$statement"; done
                    (cd "$WORK/$NAME" && "$MB" -q db resolve done && "$MB" -q db upgrade) || inconsistent=$((inconsistent + 1))
                fi
            else
                inconsistent=$((inconsistent + 1))
            fi
        fi
        complete_once "$db" || inconsistent=$((inconsistent + 1))
        drop "$db"
    done
    row "$db" "$ROUNDS × 8" "$failed" "$ROUNDS × 6" "$plus_failed" "$kills killed, $finished done first (upgrade of ${took} ms)" \
        "$boundary at a boundary, $partial with an exact record, $doubt in doubt ($proved settled by --resume from the catalog, the rest by hand and resolve done)" "$inconsistent" "$DOUBLE"
}

row database "8 × upgrade" "failed" "6 × upgrade +1" "failed or ≠ 1 each" "kills at random moments" "state found" inconsistent double-applies
row --- --- --- --- --- --- --- --- ---
attack sqlite
[ -n "$PG_URL" ] && attack postgres
[ -n "$MY_URL" ] && attack mysql
