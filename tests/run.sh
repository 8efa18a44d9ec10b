#!/usr/bin/env bash
# The test command (README.md): prepares what the tests need on a fresh machine, then runs pytest.
# Creates .venv, installs the package with its test extras, starts Redis and PostgreSQL on
# loopback when they are not running, lints, and runs the suite on SQLite and PostgreSQL + Redis.
# Arguments go to pytest (e.g. `bash tests/run.sh -k ledger`).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need_package() {  # install a Debian package when its command is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2"
}

if [ "${LOYALTY_TEST_BACKENDS:-sqlite,postgres}" != sqlite ]; then
  need_package redis-server redis-server
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "tests/run.sh: starting Redis on 127.0.0.1:6379"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  need_package pg_ctlcluster postgresql
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "tests/run.sh: starting PostgreSQL on 127.0.0.1:5432"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# The browser tests (tests/e2e) use Debian's Chromium through Playwright, never `playwright install`.
[ -x /usr/bin/chromium ] || { as_root apt-get update -qq \
  && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

.venv/bin/ruff check .
exec .venv/bin/python -m pytest -p no:cacheprovider "$@"
