#!/usr/bin/env bash
# The production topology on this machine: PostgreSQL, gunicorn with N workers, a task worker, WhiteNoise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WORKERS="${WORKERS:-4}"
PORT="${PORT:-8000}"
DB="${KETAFLOW_PROD_DB:-ketaflow_prod}"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
psql -q -h 127.0.0.1 -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='${DB}'" | grep -q 1 \
  || psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE ${DB}"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export SECRET_KEY="${SECRET_KEY:-local-prod-topology-$(hostname)}"
export SECURE_HTTPS="${SECURE_HTTPS:-0}"   # plain HTTP on loopback only
export ALLOWED_HOSTS="127.0.0.1,localhost"
export KETAFLOW_VAR_DIR="${KETAFLOW_VAR_DIR:-$PWD/var/prod}"
mkdir -p "$KETAFLOW_VAR_DIR"
$BIN/ketaflow migrate --no-input -v 0
$BIN/ketaflow collectstatic --no-input -v 0
$BIN/ketaflow demo
$BIN/ketaflow db_worker --queue-name '*' >"$KETAFLOW_VAR_DIR/worker.log" 2>&1 &
worker=$!
trap 'kill $worker 2>/dev/null' EXIT INT TERM
echo "gunicorn with $WORKERS workers on http://127.0.0.1:$PORT/ (PostgreSQL database $DB)"
$BIN/gunicorn ketaflow.config.wsgi --workers "$WORKERS" --bind "127.0.0.1:$PORT" --access-logfile - --log-level warning
