#!/usr/bin/env bash
# The production topology on this machine, on loopback only (docs/scaling.md):
#   PostgreSQL · gunicorn with WEB_CONCURRENCY sync workers (WhiteNoise serves static files, JSON logs,
#   /healthz and /readyz) · task workers · the reminder sweep.
# Tasks run on the database queue (django-tasks-db, `db_worker`) by default; TASKS=rq moves them to Redis
# (django-tasks-rq) with TASK_WORKERS RQ workers and a shared Redis cache for the rate limits: the scale-out option.
#
# Environment: WEB_CONCURRENCY (default 3: measured best on 2 cores, docs/scaling.md), TASKS=db|rq,
# TASK_WORKERS (default 1), PORT (8000), KETAFLOW_PROD_DB (ketaflow_prod), DEMO_PATIENTS (20; 0 loads nothing;
# above 200 the bulk synthetic history), REDIS_URL, ACCESS_LOG (1), SECRET_KEY.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WORKERS="${WEB_CONCURRENCY:-${WORKERS:-3}}"
TASKS="${TASKS:-db}"
TASK_WORKERS="${TASK_WORKERS:-1}"
PORT="${PORT:-8000}"
DB="${KETAFLOW_PROD_DB:-ketaflow_prod}"
DEMO_PATIENTS="${DEMO_PATIENTS:-20}"
HOST=127.0.0.1   # never another interface: this is a local rehearsal of the topology

case "$TASKS" in db|rq) ;; *) echo "TASKS must be db or rq (got '$TASKS')" >&2; exit 2 ;; esac

if ! pg_isready -q -h "$HOST" -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$HOST" -p 5432 && break; sleep 1; done
fi
psql -q -h "$HOST" -U postgres -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='${DB}'" | grep -q 1 \
  || psql -q -h "$HOST" -U postgres -d postgres -c "CREATE DATABASE ${DB}"

export DATABASE_URL="postgres://postgres@${HOST}:5432/${DB}"
export SECRET_KEY="${SECRET_KEY:-local-prod-topology-$(hostname)}"
export DEBUG=0
export SECURE_HTTPS="${SECURE_HTTPS:-0}"   # plain HTTP on loopback only
export ALLOWED_HOSTS="127.0.0.1,localhost"
export SITE_URL="${SITE_URL:-http://${HOST}:${PORT}}"
export KETAFLOW_VAR_DIR="${KETAFLOW_VAR_DIR:-$PWD/var/prod}"
mkdir -p "$KETAFLOW_VAR_DIR"

if [ "$TASKS" = rq ]; then
  export REDIS_URL="${REDIS_URL:-redis://${HOST}:6379/0}"
  export TASKS_BACKEND=django_tasks_rq.RQBackend
  export CACHE_URL="${CACHE_URL:-redis://${HOST}:6379/1}"
  if ! redis-cli -h "$HOST" ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind "$HOST" --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 20); do redis-cli -h "$HOST" ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
fi

$BIN/ketaflow migrate --no-input -v 0
$BIN/ketaflow collectstatic --no-input -v 0
if [ "$DEMO_PATIENTS" -gt 0 ]; then
  have=$(psql -qAt -h "$HOST" -U postgres -d "$DB" -c "SELECT count(*) FROM patients_patient WHERE is_synthetic")
  if [ "$have" -lt "$DEMO_PATIENTS" ]; then
    $BIN/ketaflow demo --patients "$DEMO_PATIENTS"
    psql -q -h "$HOST" -U postgres -d "$DB" -c "ANALYZE"   # fresh planner statistics after a bulk load
  fi
fi

children=()
cleanup() { kill "${children[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for n in $(seq 1 "$TASK_WORKERS"); do
  if [ "$TASKS" = rq ]; then
    # RQ needs django-tasks-rq's job class to call a task; --with-scheduler runs deferred jobs (reminders).
    $BIN/ketaflow rqworker default --job-class django_tasks_rq.Job --with-scheduler \
      >"$KETAFLOW_VAR_DIR/worker-$n.log" 2>&1 &
  else
    $BIN/ketaflow db_worker --queue-name '*' >"$KETAFLOW_VAR_DIR/worker-$n.log" 2>&1 &
  fi
  children+=($!)
done
# The sweep sends reminders whose deferred task was lost (or a backend that cannot defer); idempotent.
$BIN/ketaflow send_reminders --every 300 >"$KETAFLOW_VAR_DIR/reminders.log" 2>&1 &
children+=($!)
if [ -f ketaflow/outcomes/management/commands/send_measurements.py ]; then
  # Outcome measurement requests that fell due (as `make run` does).
  $BIN/ketaflow send_measurements --every 300 >"$KETAFLOW_VAR_DIR/measurements.log" 2>&1 &
  children+=($!)
fi

access=()
[ "${ACCESS_LOG:-1}" = 1 ] && access=(--access-logfile -)
echo "gunicorn: $WORKERS workers on http://$HOST:$PORT/ · PostgreSQL $DB · tasks: $TASKS ($TASK_WORKERS worker(s))"
$BIN/gunicorn ketaflow.config.wsgi --config python:ketaflow.config.gunicorn --workers "$WORKERS" --bind "$HOST:$PORT" "${access[@]}" \
  --log-level warning --timeout 30 --keep-alive 5 --max-requests 5000 --max-requests-jitter 500 &
children+=($!)
wait "${children[-1]}"
