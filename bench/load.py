"""Load benchmark against the production topology on loopback (bounded in time and requests).

Starts gunicorn (N workers) on PostgreSQL with the demo clinic, logs staff in (password + TOTP), then drives a
realistic mix from a few client threads for a fixed time: booking searches, day-board/schedule refreshes,
patient lists and charts, plus the framework floor (`/healthz`, a trivial Django view) in the same run.
Prints throughput and p50/p95/p99 per endpoint and the read pages' throughput as a ratio of the floor.

Environment: LOAD_SECONDS (default 20 per phase), LOAD_CLIENTS (default 8), WORKERS (default 4).
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("LOAD_PORT", "8765"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "8"))
WORKERS = int(os.environ.get("WORKERS", "4"))
DB = "ketaflow_load"
HOST = "127.0.0.1"


def sh(*args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout


def prepare() -> dict[str, str]:
    subprocess.run(
        ["psql", "-q", "-h", HOST, "-U", "postgres", "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}"],
        check=True,
    )
    subprocess.run(
        ["psql", "-q", "-h", HOST, "-U", "postgres", "-d", "postgres", "-c", f"CREATE DATABASE {DB}"],
        check=True,
    )
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{DB}",
        "SECRET_KEY": "load-bench-only",
        "SECURE_HTTPS": "0",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KETAFLOW_VAR_DIR": str(ROOT / "var" / "load"),
        "LOG_LEVEL": "WARNING",
    }
    sh(str(BIN / "ketaflow"), "migrate", "--no-input", "-v", "0", env=env)
    sh(str(BIN / "ketaflow"), "collectstatic", "--no-input", "-v", "0", env=env)
    sh(str(BIN / "ketaflow"), "demo", "--patients", "2000", env=env)
    return env


class Client:
    """A keep-alive HTTP client with a cookie jar (one per thread)."""

    def __init__(self) -> None:
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Host": f"{HOST}:{PORT}"}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{PORT}{path}"
        self.conn.request(method, path, body=data, headers=headers)
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

    def login(self, username: str, env: dict[str, str]) -> None:
        token = self.csrf("/accounts/login/")
        self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": "ketaflow-demo-2026"},
        )
        code = json.loads(
            sh(str(BIN / "ketaflow"), "totp_code", username, "--json", env={**env, "DEBUG": "1"})
        )["code"]
        token = self.csrf("/accounts/otp/")
        status, _, _ = self.request("POST", "/accounts/otp/", {"csrfmiddlewaretoken": token, "code": code})
        assert status == 302, f"TOTP step failed for {username}"


def run_phase(
    name: str, paths: list[tuple[str, str]], login_as: str | None, env: dict[str, str]
) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    cookies: dict[str, str] = {}
    if login_as:
        # One log-in (a TOTP code is accepted once), then every client thread shares the session cookie.
        first = Client()
        first.login(login_as, env)
        cookies = dict(first.cookies)
    stop = time.monotonic() + SECONDS

    def worker(index: int) -> None:
        client = Client()
        client.cookies.update(cookies)
        i = index
        while time.monotonic() < stop:
            label, path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            status, _, _ = client.request("GET", path)
            elapsed = time.perf_counter() - started
            with lock:
                if status >= 400:
                    errors.append(f"{label} {status}")
                latencies[label].append(elapsed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  {name}: {len(errors)} errors, e.g. {errors[:3]}")
    return latencies


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000
        if len(values) > 1
        else values[0] * 1000
    )


def main() -> None:
    env = prepare()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "ketaflow.config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"{HOST}:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(60):
            try:
                Client().request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.5)
        day = time.strftime("%Y-%m-%d")
        floor = run_phase("floor", [("floor /healthz", "/healthz")], None, env)
        public = run_phase(
            "public",
            [("booking search", "/book/?location=west-des-moines"), ("home", "/")],
            None,
            env,
        )
        staff = run_phase(
            "staff",
            [
                ("schedule day", f"/staff/schedule/?day={day}"),
                ("patient list", "/patients/"),
                ("patient search", "/patients/?q=Ab"),
                ("dashboard", "/staff/"),
            ],
            "mia",
            env,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(
        f"\nLoad on {os.cpu_count()} cores: gunicorn {WORKERS} workers, PostgreSQL, {CLIENTS} client threads, {SECONDS:.0f} s per phase"
    )
    print(f"{'endpoint':<22}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for phase in (floor, public, staff):
        for label, values in phase.items():
            print(
                f"{label:<22}{len(values):>10}{pct(values, 50):>9.1f}{pct(values, 95):>9.1f}{pct(values, 99):>9.1f}"
            )
    floor_rps = sum(len(v) for v in floor.values()) / SECONDS
    print(f"\n{'phase':<22}{'req/s':>10}{'x floor':>9}")
    for name, phase in (("floor (/healthz)", floor), ("public reads", public), ("staff reads", staff)):
        rps = sum(len(v) for v in phase.values()) / SECONDS
        print(f"{name:<22}{rps:>10.1f}{rps / floor_rps:>9.2f}")
    print("goals: p95 < 50 ms on reads; read throughput >= 0.3x the floor")


if __name__ == "__main__":
    sys.exit(main())
