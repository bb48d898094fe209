#!/usr/bin/env bash
# Nightly-style fuzzing: runs each cargo-fuzz target for a bounded time, starting from a
# seed corpus of real inputs, and fails when any target finds a crash (its input is left
# in fuzz/artifacts/TARGET/; see DEVELOPERS.md, "Fuzzing").
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET…]     (default: 300 s, every target)
#
# The seeds: the fixtures' schemas (schema_sql), their up and down sections as revision
# files (revision) and as text to split (split), and the hand-written inputs in
# fuzz/seeds/TARGET/. What the fuzzer learns is kept in fuzz/corpus/TARGET/ (not
# committed), so later runs go on from there.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
shift || true
if (($#)); then
    targets=("$@")
else
    targets=(revision schema_sql database_url split)
fi

fixtures=../fixtures
rm -rf generated
mkdir -p generated/revision generated/schema_sql generated/split generated/database_url
for dir in "$fixtures"/schemas/*/; do
    name=$(basename "$dir")
    cp "$dir/before.sql" "generated/schema_sql/${name}_before.sql"
    cp "$dir/after.sql" "generated/schema_sql/${name}_after.sql"
    cp "$dir/up.sql" "generated/split/${name}_up.sql"
    cp "$dir/down.sql" "generated/split/${name}_down.sql"
    {
        printf -- '-- %s\n--\n-- Revision ID: %s\n-- Revises:\n-- Create Date: 2026-01-02 03:04:05.000000\n--\n-- migrate:up\n' \
            "$name" "r${name%%_*}"
        cat "$dir/up.sql"
        printf -- '\n-- migrate:down\n'
        cat "$dir/down.sql"
    } > "generated/revision/${name}.sql"
done
cp "$fixtures"/cross_database/*.sql generated/schema_sql/

export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none
failed=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "== $target: $seconds s"
    if ! cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" "generated/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1; then
        failed+=("$target")
    fi
done
if ((${#failed[@]})); then
    echo "crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
