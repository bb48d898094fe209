#!/usr/bin/env bash
# The test suite on SQLite, PostgreSQL and MariaDB: starts the local servers when they
# are down and this machine can start them (as DEVELOPERS.md does), points the tests at
# the ones that answer (on 127.0.0.1, default ports), runs `cargo test` with any arguments given, and ends with how
# many server tests were skipped, so a run without servers is never mistaken for a
# full one. MB_TEST_POSTGRES_URL / MB_TEST_MYSQL_URL, when set, are used as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="postgresql://postgres@127.0.0.1:5432/postgres"
mysql_url="mysql://root@127.0.0.1:3306/mysql"

pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
mysql_up() {
    command -v mysqladmin >/dev/null &&
        mysqladmin --host=127.0.0.1 --port=3306 --user=root ping >/dev/null 2>&1
}

started=""
if ! pg_up && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start &&
        started="$started pg"
fi
if ! mysql_up && [ -x /usr/sbin/mariadbd ] && command -v start-stop-daemon >/dev/null; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd &&
        started="$started mysql"
fi
# Wait up to a minute for the servers started here.
for _ in $(seq 1 60); do
    { [[ $started != *pg* ]] || pg_up; } && { [[ $started != *mysql* ]] || mysql_up; } && break
    sleep 1
done
if [ -z "${MB_TEST_POSTGRES_URL:-}" ] && pg_up; then
    export MB_TEST_POSTGRES_URL="$pg_url"
fi
if [ -z "${MB_TEST_MYSQL_URL:-}" ] && mysql_up; then
    export MB_TEST_MYSQL_URL="$mysql_url"
fi

# Each server test without its server writes one `SKIPPED:` line (to stderr, shown here
# with the rest of the output).
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
skipped="$(grep -c '^SKIPPED:' "$log" || true)"
echo
if [ "$skipped" -gt 0 ]; then
    echo "SKIPPED $skipped server tests: set MB_TEST_POSTGRES_URL and MB_TEST_MYSQL_URL, or run PostgreSQL on 127.0.0.1:5432 and MariaDB on 127.0.0.1:3306 (DEVELOPERS.md)"
else
    echo "No server test was skipped (PostgreSQL: ${MB_TEST_POSTGRES_URL:-unset}; MySQL/MariaDB: ${MB_TEST_MYSQL_URL:-unset})."
fi
exit "$status"
