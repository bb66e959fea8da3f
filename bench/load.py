"""Load benchmark against the production topology on loopback (bounded in time; only 127.0.0.1 is contacted).

Starts `scripts/run-prod.sh` (PostgreSQL, gunicorn with WEB_CONCURRENCY workers, task worker, reminder sweep) on
its own database with LOAD_PATIENTS synthetic patients (the bulk history above 200), logs staff in (password +
TOTP) and gets an API token, then measures in one run:

1. the framework floor: `/healthz`, a trivial Django view through the whole middleware stack, at saturation;
2. each read endpoint alone at saturation (LOAD_CLIENTS client threads, no think time): throughput, p50/p95/p99
   and its throughput as a ratio of the floor;
3. the clinic's realistic mix at its peak (LOAD_USERS people with think time): day-board refreshes, charts,
   vitals entry (POST), booking searches, API lists, schedule and patient lists, public pages, with p50/p95/p99
   per endpoint;
4. the same mix at saturation (no think time): the most requests per second the machine serves.

Environment: LOAD_SECONDS (per phase, default 10), LOAD_PEAK_SECONDS (the peak phase, default 12 x LOAD_SECONDS),
LOAD_CLIENTS (8), LOAD_USERS (20), LOAD_THINK (3.0 s mean),
LOAD_PATIENTS (100,000; the database is kept between runs and rebuilt when it holds fewer), LOAD_DB
(ketaflow_load), WEB_CONCURRENCY (3), TASKS (db|rq), LOAD_FRESH=1 to rebuild the database.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PORT = int(os.environ.get("LOAD_PORT", "8765"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "10"))
# The peak phase runs longer: at a few requests per second it needs two minutes for a p95 per endpoint that is not
# simply the slowest of a dozen requests.
PEAK_SECONDS = float(os.environ.get("LOAD_PEAK_SECONDS", str(12 * SECONDS)))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "8"))
USERS = int(os.environ.get("LOAD_USERS", "20"))
THINK = float(os.environ.get("LOAD_THINK", "3.0"))
PATIENTS = int(os.environ.get("LOAD_PATIENTS", "100000"))
WORKERS = int(os.environ.get("WEB_CONCURRENCY", os.environ.get("WORKERS", "3")))
TASKS = os.environ.get("TASKS", "db")
DB = os.environ.get("LOAD_DB", "ketaflow_load")
PASSWORD = "ketaflow-demo-2026"
GOAL_READ_MS, GOAL_WRITE_MS, GOAL_RATIO = 50.0, 100.0, 0.3


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-qAt", "-h", HOST, "-U", "postgres", "-d", db, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB}",
        "SECRET_KEY": "load-bench-only",
        "SECURE_HTTPS": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KETAFLOW_VAR_DIR": str(ROOT / "var" / "load"),
        "LOG_LEVEL": "WARNING",
    }


def start_topology() -> subprocess.Popen[bytes]:
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'") == "1"
    try:
        have = int(psql("SELECT count(*) FROM patients_patient", DB)) if exists else 0
    except subprocess.CalledProcessError:  # created but never migrated
        have = 0
    if exists and (os.environ.get("LOAD_FRESH") == "1" or have < PATIENTS):
        # A smaller history cannot be topped up (chart numbers would collide): load it again from scratch.
        psql(f"DROP DATABASE {DB}")
    env = {
        **server_env(),
        "KETAFLOW_PROD_DB": DB,
        "PORT": str(PORT),
        "WEB_CONCURRENCY": str(WORKERS),
        "DEMO_PATIENTS": str(PATIENTS),
        "ACCESS_LOG": "0",
        "TASKS": TASKS,
    }
    log = open(ROOT / "var" / "load-topology.log", "wb")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        ["bash", str(ROOT / "scripts" / "run-prod.sh")],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: gunicorn, workers and sweep stop together
    )
    deadline = time.monotonic() + 1800  # a first bulk load of 100k patients takes minutes on 2 busy cores
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the topology exited early: see {log.name}")
        try:
            status, _, _ = Client().request("GET", "/readyz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(1)
    stop(server)
    raise SystemExit("the topology did not become ready")


def stop(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


class Client:
    """A keep-alive HTTP client with a cookie jar (one per thread)."""

    def __init__(self, cookies: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        self.cookies: dict[str, str] = dict(cookies or {})
        self.headers = dict(headers or {})

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, dict[str, str]]:
        sent = {"Host": f"{HOST}:{PORT}", **self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"http://{HOST}:{PORT}{path}"
            if "csrftoken" in self.cookies:
                sent["X-CSRFToken"] = self.cookies["csrftoken"]
        try:
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # the server closed an idle keep-alive connection: one retry on a fresh one
            self.conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
            self.conn.request(method, path, body=data, headers=sent)
            response = self.conn.getresponse()
        text = response.read().decode(errors="replace")
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def csrf(self, path: str) -> str:
        _, text, _ = self.request("GET", path)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)  # type: ignore[union-attr]


def ketaflow(*args: str, debug: bool = False) -> str:
    env = {**server_env(), "DEBUG": "1"} if debug else server_env()  # totp_code serves demo machines only
    return subprocess.run(
        [str(BIN / "ketaflow"), *args], check=True, capture_output=True, text=True, env=env
    ).stdout


def staff_login(username: str, location_slug: str | None = None) -> dict[str, str]:
    """Password, then a TOTP code (each code is accepted once: one log-in per person, cookies shared)."""
    client = Client()
    token = client.csrf("/accounts/login/")
    client.request(
        "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
    )
    for _ in range(3):
        code = json.loads(ketaflow("totp_code", username, "--json", debug=True))["code"]
        token = client.csrf("/accounts/otp/")
        status, _, _ = client.request("POST", "/accounts/otp/", {"csrfmiddlewaretoken": token, "code": code})
        if status == 302:
            break
        time.sleep(31)  # the code of this 30-second step was used by an earlier log-in: wait for the next
    else:
        raise SystemExit(f"TOTP step failed for {username}")
    if location_slug:
        location_uuid = psql(f"SELECT uuid FROM clinics_location WHERE slug = '{location_slug}'", DB)
        client.request("POST", "/clinic/switch-location/", {"location": location_uuid, "next": "/staff/"})
    return client.cookies


@dataclass(frozen=True)
class Endpoint:
    label: str
    who: str  # a cookie jar name, "api" or "public"
    method: str
    paths: tuple[str, ...]
    write: bool = False
    htmx: bool = False
    weight: int = 1


def endpoints() -> list[Endpoint]:
    day = time.strftime("%Y-%m-%d")
    patients = psql(
        "SELECT uuid FROM patients_patient WHERE preferred_location_id = "
        "(SELECT id FROM clinics_location WHERE slug = 'west-des-moines') ORDER BY random() LIMIT 200",
        DB,
    ).split()
    live = psql(
        "SELECT s.uuid FROM treatment_infusionsession s JOIN clinics_location l ON l.id = s.location_id "
        "WHERE s.status IN ('infusing', 'recovering', 'checklist_done', 'arrived') AND l.slug = 'west-des-moines' "
        "ORDER BY s.starts_at DESC LIMIT 1",
        DB,
    )
    weeks = [time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400 * d)) for d in (1, 8, 15, 22)]
    out = [
        Endpoint("day board (htmx)", "nina", "GET", ("/treatment/board/",), htmx=True, weight=6),
        Endpoint("patient chart", "nina", "GET", tuple(f"/patients/{p}/" for p in patients), weight=4),
        Endpoint(
            "booking search",
            "public",
            "GET",
            tuple(f"/book/?location=west-des-moines&from={w}" for w in weeks)
            + tuple(f"/book/?location=des-moines&from={w}" for w in weeks),
            weight=4,
        ),
        Endpoint("schedule day", "frank", "GET", (f"/staff/schedule/?day={day}",), weight=2),
        Endpoint(
            "patient search", "frank", "GET", ("/patients/?q=Mi", "/patients/?q=Ro", "/patients/"), weight=2
        ),
        Endpoint("API patients", "api", "GET", ("/api/v1/patients?limit=50",), weight=1),
        Endpoint("API appointments", "api", "GET", ("/api/v1/appointments?limit=50",), weight=1),
        Endpoint("public home", "public", "GET", ("/", "/locations/", "/faq/"), weight=2),
    ]
    if live:
        out.append(Endpoint("session page", "nina", "GET", (f"/treatment/sessions/{live}/",), weight=2))
        out.append(
            Endpoint(
                "vitals entry (POST)", "nina", "POST", (f"/treatment/sessions/{live}/vitals/",), write=True
            )
        )
    return out


VITALS = {"sbp_mmhg": "126", "dbp_mmhg": "78", "hr_per_min": "74", "spo2_pct": "98", "rr_per_min": "14"}


def run(
    targets: list[Endpoint],
    jars: dict[str, dict[str, str]],
    api_token: str,
    threads: int,
    seconds: float,
    think: float = 0.0,
) -> tuple[dict[str, list[float]], list[str]]:
    """``threads`` closed-loop clients pick endpoints by weight for ``seconds``; returns latencies by label."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    weighted = [e for e in targets for _ in range(e.weight)]
    stop_at = time.monotonic() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        clients: dict[str, Client] = {}
        if think:
            time.sleep(rng.random() * think)  # people do not all arrive in the same millisecond
        while time.monotonic() < stop_at:
            endpoint = rng.choice(weighted)
            client = clients.get(endpoint.who)
            if client is None:
                headers = {"Authorization": f"Bearer {api_token}"} if endpoint.who == "api" else {}
                client = clients[endpoint.who] = Client(jars.get(endpoint.who), headers)
            path = rng.choice(endpoint.paths)
            extra = {"HX-Request": "true"} if endpoint.htmx else {}
            started = time.perf_counter()
            status, _, _ = client.request(
                endpoint.method, path, VITALS if endpoint.method == "POST" else None, extra
            )
            elapsed = time.perf_counter() - started
            with lock:
                if status >= 400 or (endpoint.method == "GET" and status != 200):
                    errors.append(f"{endpoint.label} {status}")
                latencies[endpoint.label].append(elapsed)
            if think:
                time.sleep(rng.expovariate(1 / think))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, errors


def _retire_bench_vitals(after_id: int) -> None:
    """Mark the readings this run posted as entered in error, as a nurse would a wrong entry: the live session's
    flowsheet (which the session page renders) would otherwise grow by a few hundred rows with every run."""
    psql(
        "UPDATE treatment_vitalsreading SET entered_in_error = true, "
        f"entered_in_error_reason = 'load benchmark' WHERE id > {after_id} AND NOT entered_in_error",
        DB,
    )


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def row(label: str, values: list[float], seconds: float, floor_rps: float | None = None) -> str:
    rps = len(values) / seconds
    ratio = f"{rps / floor_rps:>8.2f}" if floor_rps else f"{'':>8}"
    return (
        f"{label:<24}{len(values):>8}{rps:>9.1f}{ratio}"
        f"{pct(values, 50):>8.1f}{pct(values, 95):>8.1f}{pct(values, 99):>8.1f}"
    )


HEADER = f"{'endpoint':<24}{'requests':>8}{'req/s':>9}{'x floor':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"


def main() -> int:
    started = time.monotonic()
    server = start_topology()
    vitals_before = int(psql("SELECT coalesce(max(id), 0) FROM treatment_vitalsreading", DB))
    failures: list[str] = []
    try:
        patients = int(psql("SELECT count(*) FROM patients_patient", DB))
        sessions = int(psql("SELECT count(*) FROM treatment_infusionsession", DB))
        jars = {
            "nina": staff_login("nina", "west-des-moines"),
            "frank": staff_login("frank", "west-des-moines"),
            "public": {},
        }
        api_token = json.loads(
            ketaflow(
                "api_token",
                "create",
                "--user",
                "mia",
                "--scopes",
                "read:clinical,read:schedule",
                "--days",
                "1",
                "--json",
            )
        )["token"]
        targets = endpoints()
        reads = [e for e in targets if not e.write]
        run(targets, jars, api_token, CLIENTS, 2)  # warm every worker's caches and connections

        floor, errors = run(
            [Endpoint("floor /healthz", "public", "GET", ("/healthz",))], jars, api_token, CLIENTS, SECONDS
        )
        floor_rps = len(floor["floor /healthz"]) / SECONDS
        print(
            f"\nLoad on {os.cpu_count()} cores, shared with whatever else runs: gunicorn {WORKERS} sync workers, "
            f"PostgreSQL ({patients:,} patients, {sessions:,} sessions), tasks on {TASKS}, {SECONDS:.0f} s per phase"
        )
        print(f"\n1-2. Each endpoint alone at saturation ({CLIENTS} clients, no think time)\n{HEADER}")
        print(row("floor /healthz", floor["floor /healthz"], SECONDS))
        failures += errors
        for endpoint in reads:
            alone, errors = run([endpoint], jars, api_token, CLIENTS, SECONDS)
            failures += errors
            values = alone[endpoint.label]
            print(row(endpoint.label, values, SECONDS, floor_rps))
            if len(values) / SECONDS < GOAL_RATIO * floor_rps:
                failures.append(f"{endpoint.label}: below {GOAL_RATIO}x the floor")

        peak, errors = run(targets, jars, api_token, USERS, PEAK_SECONDS, think=THINK)
        failures += errors
        print(f"\n3. The clinic's mix at its peak ({USERS} people, {THINK:.1f} s mean think time)\n{HEADER}")
        for endpoint in targets:
            values = peak.get(endpoint.label, [])
            if not values:
                continue
            print(row(endpoint.label, values, PEAK_SECONDS))
            goal = GOAL_WRITE_MS if endpoint.write else GOAL_READ_MS
            if pct(values, 95) >= goal:
                failures.append(
                    f"{endpoint.label}: p95 {pct(values, 95):.0f} ms at the peak (goal < {goal:.0f})"
                )
        total = sum(len(v) for v in peak.values()) / PEAK_SECONDS
        print(f"{'all':<24}{'':>8}{total:>9.1f}")

        saturated, errors = run(targets, jars, api_token, CLIENTS, SECONDS)
        failures += errors
        rps = sum(len(v) for v in saturated.values()) / SECONDS
        every = [x for v in saturated.values() for x in v]
        print(
            f"\n4. The mix at saturation ({CLIENTS} clients, no think time): {rps:.1f} req/s "
            f"({rps / floor_rps:.2f}x the floor), p50 {pct(every, 50):.1f} ms, p95 {pct(every, 95):.1f} ms"
        )
        print(
            f"   One person in this mix sends a request every {THINK:.1f} s of thinking plus the wait: "
            f"about {rps * THINK:.0f} such people keep the machine busy."
        )
    finally:
        stop(server)
        _retire_bench_vitals(vitals_before)
    goals = f"goals: p95 < {GOAL_READ_MS:.0f} ms reads, < {GOAL_WRITE_MS:.0f} ms writes at the peak; reads >= {GOAL_RATIO}x the floor"
    print(f"\n{goals}")
    errors_only = [f for f in failures if not f.endswith(")") and "floor" not in f]
    misses = [f for f in failures if f not in errors_only]
    print("not met: " + "; ".join(misses) if misses else "all goals met")
    if errors_only:
        print(f"{len(errors_only)} error responses, e.g. {errors_only[:3]}")
    print(f"(bench took {time.monotonic() - started:.0f} s)")
    return 1 if errors_only else 0


if __name__ == "__main__":
    sys.exit(main())
