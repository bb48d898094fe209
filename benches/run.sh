#!/usr/bin/env bash
# Times the real mb binary end to end against its floor and prints one table (see
# benches/RESULTS.md). Usage: benches/run.sh [--quick]
#   --quick   smaller workloads and fewer runs (minutes instead of about twenty)
# The PostgreSQL and MariaDB rows use MB_TEST_POSTGRES_URL and MB_TEST_MYSQL_URL
# (the local servers by default; set them to "" to skip).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null; then
    echo "Installing hyperfine (Debian package)..." >&2
    apt-get install -y hyperfine >/dev/null 2>&1 || {
        apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null
    }
fi
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null

export MB_TEST_POSTGRES_URL="${MB_TEST_POSTGRES_URL-postgresql://postgres@127.0.0.1:5432/postgres}"
export MB_TEST_MYSQL_URL="${MB_TEST_MYSQL_URL-mysql://root@127.0.0.1:3306/mysql}"
[ -n "$MB_TEST_POSTGRES_URL" ] || unset MB_TEST_POSTGRES_URL
[ -n "$MB_TEST_MYSQL_URL" ] || unset MB_TEST_MYSQL_URL

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(free -g | awk '/Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%F)" >&2
cargo bench --bench end_to_end -- "$@"
