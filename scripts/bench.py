#!/usr/bin/env python3
"""`make bench`: the project beside the FastAPI peer, in one run, against issue 5's targets.

Runs, one after the other on this machine's PostgreSQL (BENCH_DATABASE_URL, default the local
server as `postgres`), each side on a fresh database:

1. `../shared/peer/bench.sh` itself: throughput of the project and the peer, and pgbench
   select-only as the ceiling of a one-query endpoint (its output is kept verbatim);
2. the same load with `wrk --latency`, for each side's p99 and the project's memory;
3. the project alone on 1,000,000 users: the first and the last pages of the user listing,
   then 1,000,000 expired token records cleaned while platform-status traffic runs, with
   what stops that cleanup's target measured beside it: the backends' waits, the CPU time
   of the cleanup and of the cheapest delete PostgreSQL has, and the same traffic quiet and
   beside a PostgreSQL backend that only computes, paced to each of those CPU times.

Results replace the part of docs/performance.md between the `bench:start` and `bench:end`
markers; the prose around them is kept. Only the standard library is used.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = (ROOT / ".." / "shared" / "peer").resolve()
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
USERS = int(os.environ.get("BENCH_USERS", "100000"))
DEEP_USERS = int(os.environ.get("BENCH_DEEP_USERS", "1000000"))
EXPIRED = int(os.environ.get("BENCH_EXPIRED_TOKENS", "1000000"))
CONNECTIONS = 32
# The cleanup target's rate, in rows/s.
CLEANUP_RATE = 200_000
# Part 3's windows of traffic without cleanup: as long as the target gives a cleanup.
WINDOW = max(2, round(EXPIRED / CLEANUP_RATE))
ENDPOINTS = ["platform-status", "platform/users?limit=50", "platform/organizations?limit=50"]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(*args: str, env: dict | None = None, input: str | None = None) -> str:
    done = subprocess.run(args, env=env, input=input, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench: {shlex.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout.strip()


def psql(sql: str) -> None:
    run("psql", "-q", ADMIN_URL, "-c", sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- one side: a fresh database, a platform admin, seeded data, a serving process -------------


class Side:
    """A binary with the contract's CLI, on its own fresh database."""

    def __init__(self, name: str, binary: str, workers: int | None = None):
        self.name, self.binary = name, binary
        self.database = f"bench_{name}_{random.randrange(10**9)}"
        self.port = free_port()
        psql(f"CREATE DATABASE {self.database}")
        self.env = dict(
            os.environ,
            DATABASE_URL=f"{ADMIN_URL.rsplit('/', 1)[0]}/{self.database}",
            ADMIN_API_BIND=f"127.0.0.1:{self.port}",
            RUST_LOG="warn",
        )
        if workers:
            self.env["ADMIN_API_WORKERS"] = str(workers)
        self.env["ADMIN_API_ROOT_KEY"] = self.cli("keygen")
        self.cli("migrate")
        org = self.cli("org", "create", "--name", "Platform", "--platform")
        user = self.cli("user", "create", "--email", "admin@example.com")
        self.cli("member", "add", "--org", org, "--user", user, "--role", "admin")
        self.token = self.cli("token", "issue", "--user", user, "--org", org, "--ttl", "2h")
        self.server: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        return run(self.binary, *args, env=self.env)

    def settle(self) -> None:
        """VACUUM ANALYZE, as autovacuum would get to in time on a live database, then a
        CHECKPOINT: otherwise the catch-up after a bulk seed, and the write-back of the pages it
        dirtied (a checkpoint under load held queries up to 0.4 s here), land inside one
        measurement and not the next."""
        run("psql", "-q", self.env["DATABASE_URL"], "-c", "VACUUM ANALYZE", "-c", "CHECKPOINT")

    def seed(self, users: int, expired: int, orgs: int = 1000, workspaces: int = 5000) -> float:
        started = time.monotonic()
        self.cli("seed", "--users", str(users), "--orgs", str(orgs),
                 "--workspaces", str(workspaces), "--expired-tokens", str(expired))
        return time.monotonic() - started

    def serve(self) -> None:
        self.server = subprocess.Popen([self.binary, "serve"], env=self.env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(150):
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"bench: {self.name} did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/v1/admin/{path}"

    def get(self, path: str, method: str = "GET") -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(method, path, headers={"Authorization": f"Bearer {self.token}"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, (json.loads(body) if body else {})

    def resident_mib(self) -> tuple[float, float]:
        """Resident memory now and at its peak, over the serving process and its children."""
        assert self.server is not None
        now = peak = 0
        for pid in process_tree(self.server.pid):
            status = Path(f"/proc/{pid}/status").read_text()
            now += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            peak += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        return now / 1024, peak / 1024

    def close(self) -> None:
        if self.server:
            self.server.terminate()
            self.server.wait(timeout=30)
        psql(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


@contextmanager
def side(name: str, binary: str, workers: int | None = None):
    s = Side(name, binary, workers)
    try:
        yield s
    finally:
        s.close()


# --- load ---------------------------------------------------------------------------------------


def millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise SystemExit(f"bench: wrk printed a latency of {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> dict:
    found = lambda pattern: re.search(pattern, output, re.MULTILINE)  # noqa: E731
    errors = found(r"Non-2xx or 3xx responses: (\d+)")
    sockets = found(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return {
        "rps": float(found(r"Requests/sec:\s+([\d.]+)").group(1)),
        "p50": millis(found(r"^\s+50%\s+(\S+)").group(1)),
        "p99": millis(found(r"^\s+99%\s+(\S+)").group(1)),
        "errors": (int(errors.group(1)) if errors else 0)
        + (sum(map(int, sockets.groups())) if sockets else 0),
    }


def wrk_command(s: Side, path: str, seconds: int) -> list[str]:
    return ["wrk", "--latency", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s",
            "-H", f"Authorization: Bearer {s.token}", s.url(path)]


def load(s: Side, path: str, seconds: int = SECONDS) -> dict:
    run(*wrk_command(s, path, 1))  # warm-up: connections, caches
    return parse_wrk(run(*wrk_command(s, path, seconds)))


@contextmanager
def pgbench_database():
    """A fresh database with pgbench's tables (scale 1): its URL."""
    database = f"bench_pgb_{random.randrange(10**9)}"
    psql(f"CREATE DATABASE {database}")
    url = f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    try:
        run("pgbench", "-q", "-i", "-s", "1", url)
        yield url
    finally:
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def pgbench_ceiling() -> int:
    with pgbench_database() as url:
        out = run("pgbench", "-S", "-c", str(CONNECTIONS), "-j", "2", "-T", str(SECONDS), url)
        return int(float(re.search(r"tps = ([\d.]+)", out).group(1)))


# --- the three parts ----------------------------------------------------------------------------


def shared_bench(binary: str) -> str:
    log("part 1: ../shared/peer/bench.sh")
    for port in (18181, 18182):  # where bench.sh serves: a stray server would be measured
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(f"bench: port {port}, which bench.sh serves on, is taken")
    # Start from a server with nothing left to write back from whatever ran before.
    psql("CHECKPOINT")
    return run(str(PEER_DIR / "bench.sh"), binary, str(SECONDS), str(USERS))


def side_by_side(binary: str) -> dict:
    results: dict = {}
    for name, command, workers in [("project", binary, None),
                                   ("peer", str(PEER_DIR / "admin-api-peer"), 2)]:
        log(f"part 2: {name}, {USERS} users")
        with side(name, command, workers) as s:
            s.seed(USERS, 1000)
            s.settle()
            s.serve()
            results[name] = {path: load(s, path) for path in ENDPOINTS}
            results[name]["rss"] = s.resident_mib()
    results["ceiling"] = pgbench_ceiling()
    return results


def walk_users(s: Side) -> tuple[int, str, float]:
    """Every page of users, 200 at a time: rows seen, the cursor of the last full page, time."""
    started, seen, ids = time.monotonic(), 0, set()
    cursor, previous = None, None
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
    while True:
        path = "/v1/admin/platform/users?limit=200" + (f"&cursor={cursor}" if cursor else "")
        conn.request("GET", path, headers={"Authorization": f"Bearer {s.token}"})
        page = json.loads(conn.getresponse().read())
        seen += len(page["items"])
        ids.update(item["id"] for item in page["items"])
        if page["next_cursor"] is None:
            break
        previous, cursor = cursor, page["next_cursor"]
    conn.close()
    if len(ids) != seen:
        raise SystemExit(f"bench: the walk repeated rows: {seen} rows, {len(ids)} distinct")
    return seen, previous or "", time.monotonic() - started


def alternating(s: Side, paths: list[str], rounds: int = 2) -> list[dict]:
    """Each path loaded `rounds` times in turn, SECONDS in all: drift in the machine's speed
    then weighs on every path alike. Figures are the rounds' means."""
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    for _ in range(rounds):
        for path in paths:
            runs[path].append(load(s, path, max(1, SECONDS // rounds)))
    return [{key: sum(r[key] for r in runs[path]) / rounds for key in runs[path][0]}
            for path in paths]


# The cheapest way PostgreSQL deletes the expired records: one statement, no batches, no row
# locks, nothing returned. The least CPU that deleting them row by row takes.
DELETE_ALL = "DELETE FROM tokens WHERE expires_at < now()"
# A statement that only computes (about 0.5 ms here) and touches no table.
SPIN = "SELECT count(*) FROM generate_series(1, 3500);"


def through_service(s: Side) -> int:
    status, body = s.get("/v1/admin/cleanup-tokens", "POST")
    if status != 200:
        raise SystemExit(f"bench: cleanup answered {status}: {body}")
    return body["deleted_count"]


def cleanup_cpu(s: Side, delete) -> tuple[int, float, float]:
    """Records deleted by `delete` with no traffic, seconds taken, and the machine's CPU time
    meanwhile, after the records are seeded again."""
    s.seed(1, EXPIRED, orgs=0, workspaces=0)
    s.settle()
    cpu_before, started = cpu_seconds()[0], time.monotonic()
    deleted = delete(s)
    return deleted, time.monotonic() - started, cpu_seconds()[0] - cpu_before


def delete_all(s: Side) -> int:
    out = run("psql", "-q", "-At", s.env["DATABASE_URL"], "-c", DELETE_ALL,
              "-c", "SELECT count(*) FROM tokens WHERE expires_at < now()")
    if int(out.splitlines()[-1]):
        raise SystemExit("bench: DELETE left expired records")
    return EXPIRED


def cleanup(s: Side) -> tuple[int, float, dict, Counter]:
    """Records deleted by the service's cleanup, seconds taken, the platform-status traffic run
    meanwhile (wrk started 0.2 s before the cleanup and stopped when it was done), and what
    the database's backends were doing (`waits`)."""
    load_run = subprocess.Popen(wrk_command(s, "platform-status", 600), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(0.2)
    with waits(s) as seen:
        started = time.monotonic()
        deleted = through_service(s)
        seconds = time.monotonic() - started
    load_run.send_signal(signal.SIGINT)
    return deleted, seconds, parse_wrk(load_run.communicate(timeout=30)[0]), seen


# What the database's active backends wait on, sampled every 20 ms: the cleanup's DELETE or a
# request's query, and the wait event, or CPU when there is none.
WAITS = ("SELECT coalesce(string_agg(CASE WHEN query LIKE 'DELETE FROM tokens%' THEN 'cleanup' "
         "ELSE 'request' END || ' ' || coalesce(wait_event_type || ':' || wait_event, 'CPU'), "
         "',') , '') FROM pg_stat_activity WHERE state = 'active' AND datname = current_database() "
         "AND pid <> pg_backend_pid();")


class Session:
    """One `psql` session kept open: a statement in, its one-line answer out."""

    def __init__(self, url: str):
        self.psql = subprocess.Popen(["psql", "-q", "-At", url], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, sql: str) -> str:
        self.psql.stdin.write(sql + "\n")
        self.psql.stdin.flush()
        return self.psql.stdout.readline().strip()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_) -> None:
        self.psql.stdin.close()
        self.psql.wait(timeout=30)


@contextmanager
def waits(s: Side):
    seen: Counter = Counter()
    done = threading.Event()

    def sample() -> None:
        with Session(s.env["DATABASE_URL"]) as sampler:
            while not done.is_set():
                seen.update(filter(None, sampler.ask(WAITS).split(",")))
                seen["samples"] += 1
                time.sleep(0.02)

    thread = threading.Thread(target=sample)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


def cpu_seconds() -> tuple[float, float]:
    """The machine's CPU time so far, busy and idle (with I/O wait), summed over its cores."""
    fields = list(map(int, Path("/proc/stat").read_text().splitlines()[0].split()[1:8]))
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, idle / tick


def machine_idle(seconds: float) -> float:
    """The share of the machine's CPU time spent idle over the next `seconds`."""
    busy, idle = cpu_seconds()
    time.sleep(seconds)
    busy_after, idle_after = cpu_seconds()
    return (idle_after - idle) / (busy_after - busy + idle_after - idle)


def process_cpu(pid: int) -> float:
    """CPU time of a process so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spin(url: str, seconds: float, cores: float) -> float:
    """One PostgreSQL backend computing and nothing else (SPIN, over and over), for `seconds`,
    paced to `cores` by its own CPU time: the cores it got."""
    with Session(url) as session:
        backend = int(session.ask("SELECT pg_backend_pid();"))
        if not Path(f"/proc/{backend}").exists():
            raise SystemExit("bench: PostgreSQL's backends are not on this machine: the "
                             "cleanup's controls pace one by its CPU time, read from /proc")
        spent, started = process_cpu(backend), time.monotonic()
        while (now := time.monotonic()) < started + seconds:
            if process_cpu(backend) - spent < cores * (now - started):
                session.ask(SPIN)
            else:
                time.sleep(0.001)
        return (process_cpu(backend) - spent) / (time.monotonic() - started)


def beside(url: str, cores: float | None) -> dict:
    """For WINDOW seconds less the traffic's start and stop: with `cores`, a PostgreSQL backend
    computing beside the traffic, paced to them (`spin`: the `cores` it got), else the
    machine's `idle` share."""
    return ({"cores": spin(url, WINDOW - 0.4, cores)} if cores
            else {"idle": machine_idle(WINDOW - 0.4)})


def windows(s: Side, count: int, cores: float | None = None) -> list[dict]:
    """`count` windows of platform-status traffic, WINDOW seconds each, each `beside`."""
    results = []
    for _ in range(count):
        load_run = subprocess.Popen(wrk_command(s, "platform-status", WINDOW), text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.2)
        extra = beside(s.env["DATABASE_URL"], cores)
        results.append(parse_wrk(load_run.communicate(timeout=30)[0]) | extra)
    return results


def pgbench_windows(url: str, count: int, cores: float | None = None) -> list[dict]:
    """`count` windows of pgbench select-only (one backend per client, as many clients as wrk
    has connections), WINDOW seconds each, each `beside`; latencies from pgbench's log."""
    results = []
    for _ in range(count):
        with tempfile.TemporaryDirectory() as logs:
            load_run = subprocess.Popen(
                ["pgbench", "-S", "-c", str(CONNECTIONS), "-j", "2", "-T", str(WINDOW), "-l",
                 f"--log-prefix={logs}/tx", url],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.2)
            extra = beside(url, cores)
            if load_run.wait(timeout=30) != 0:
                raise SystemExit("bench: pgbench failed")
            took = sorted(int(line.split()[2]) / 1000 for log in Path(logs).iterdir()
                          for line in log.read_text().splitlines())
        results.append({"rps": len(took) / WINDOW, "p50": took[len(took) // 2],
                        "p99": took[int(len(took) * 0.99)]} | extra)
    return results


def median(runs: list[dict]) -> dict:
    """Each figure's median over the runs."""
    return {key: sorted(r[key] for r in runs)[len(runs) // 2] for key in runs[0]}


def deep(binary: str) -> dict:
    log(f"part 3: project, {DEEP_USERS} users and {EXPIRED} expired tokens")
    with side("deep", binary) as s:
        seeded = s.seed(DEEP_USERS, EXPIRED)
        s.settle()
        s.serve()
        rows, last_cursor, walked = walk_users(s)
        first, last = alternating(
            s, ["platform/users?limit=50", f"platform/users?limit=50&cursor={last_cursor}"])
        load(s, "platform-status", 1)
        quiet = windows(s, 5)
        deleted, seconds, during, seen = cleanup(s)
        alone_deleted, alone_seconds, alone_cpu = cleanup_cpu(s, through_service)
        _, floor_seconds, floor_cpu = cleanup_cpu(s, delete_all)
        # Cores each takes at the target rate, and the same CPU spent in PostgreSQL on nothing.
        need, floor_need = (cpu * CLEANUP_RATE / EXPIRED for cpu in (alone_cpu, floor_cpu))
        return {
            "seed_seconds": seeded, "rows": rows, "walk_seconds": walked,
            "first": first, "last": last, "quiet": quiet, "during": during,
            "deleted": deleted, "cleanup_seconds": seconds, "waits": seen,
            "alone_rate": alone_deleted / alone_seconds, "alone_cpu": alone_cpu, "need": need,
            "floor_seconds": floor_seconds, "floor_cpu": floor_cpu, "floor_need": floor_need,
            "spin": windows(s, 3, cores=need), "floor_spin": windows(s, 3, cores=floor_need),
            "rss": s.resident_mib(), **pgbench_beside(floor_need),
        }


def pgbench_beside(cores: float) -> dict:
    """PostgreSQL's own traffic quiet and beside the same computing, for comparison."""
    with pgbench_database() as url:
        return {"pgbench_quiet": pgbench_windows(url, 3),
                "pgbench_spin": pgbench_windows(url, 3, cores)}


# --- the report ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(shared: str, pair: dict, big: dict) -> str:
    project, peer, ceiling = pair["project"], pair["peer"], pair["ceiling"]
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    postgres = run("psql", "-Atc", "SHOW server_version", ADMIN_URL)
    lines = [
        START,
        f"## Latest results ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {memory // 1024 // 1024} GiB, "
        f"PostgreSQL {postgres} on the same machine; `{platform.platform()}`.",
        f"Load: wrk, 2 threads, {CONNECTIONS} connections, {SECONDS} s per endpoint after a 1 s "
        f"warm-up; {USERS:,} users, 1,000 organizations, 5,000 workspaces. The project ran "
        "with its defaults (a worker per core, 4 connections per worker); the peer with 2 "
        "uvicorn workers, as `bench.sh` runs it.",
        "",
        "### Throughput and latency, side by side",
        "",
        "| endpoint | project req/s | project p99 | peer req/s | peer p99 | throughput | p99 | target |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    all_errors = 0
    for path in ENDPOINTS:
        a, b = project[path], peer[path]
        all_errors += a["errors"]
        ratio = a["rps"] / b["rps"]
        lines.append(
            f"| `{path}` | {a['rps']:,.0f} | {a['p99']:.2f} ms | {b['rps']:,.0f} | "
            f"{b['p99']:.2f} ms | {ratio:.1f}x | {a['p99'] / b['p99']:.2f} | "
            f"{verdict(ratio >= 10 and a['p99'] <= b['p99'])} (10x, p99 no worse) |")
    status = project["platform-status"]["rps"]
    lines += [
        "",
        f"Non-2xx answers and socket errors on the project's side: {all_errors}.",
        "",
        f"platform-status against pgbench select-only ({CONNECTIONS} clients, 2 threads): "
        f"{status:,.0f} / {ceiling:,} = **{status / ceiling:.2f}** of the ceiling; "
        f"target at least 0.5: {verdict(status >= ceiling / 2)}.",
        "",
        f"### Listing depth, {DEEP_USERS:,} users",
        "",
    ]
    first, last = big["first"], big["last"]
    cost = first["rps"] / last["rps"]
    lines += [
        f"Walking every page (`limit=200`) returned {big['rows']:,} users, none repeated, in "
        f"{big['walk_seconds']:.1f} s. Then `limit=50` pages under the same load, in turns "
        "(first, last, first, last; the means):",
        "",
        "| page | req/s | p50 | p99 |",
        "| --- | ---: | ---: | ---: |",
        f"| first | {first['rps']:,.0f} | {first['p50']:.2f} ms | {first['p99']:.2f} ms |",
        f"| last (from the cursor of the last full 200-row page) | {last['rps']:,.0f} | "
        f"{last['p50']:.2f} ms | {last['p99']:.2f} ms |",
        "",
        f"Cost of the last page relative to the first (inverse throughput): **{cost:.2f}x**; "
        f"target at most 1.2x: {verdict(cost <= 1.2)}.",
        "",
        "### Cleanup of expired token records",
        "",
    ]
    rate = big["deleted"] / big["cleanup_seconds"]
    during, quiet = big["during"], median(big["quiet"])
    spun, floor_spun = median(big["spin"]), median(big["floor_spin"])
    row = lambda name, r: (  # noqa: E731
        f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} ms | {r['p99']:.2f} ms |")
    lines += [
        f"`POST /v1/admin/cleanup-tokens` deleted {big['deleted']:,} records in "
        f"{big['cleanup_seconds']:.2f} s while platform-status traffic ran: **{rate:,.0f} "
        f"rows/s**; target at least 200,000: {verdict(rate >= CLEANUP_RATE)}. The same number of "
        f"records seeded again and cleaned with no traffic: {big['alone_rate']:,.0f} rows/s.",
        "",
        f"platform-status traffic (same wrk settings): without cleanup, the medians of "
        f"{len(big['quiet'])} windows of {WINDOW} s one after the other; during the cleanup (wrk "
        "started 0.2 s before it and stopped when it was done); and the medians of "
        f"{len(big['spin'])} windows of {WINDOW} s in which one PostgreSQL backend computed "
        "beside the traffic, touching no table, paced to the CPU time the cleanup needs at "
        "200,000 rows/s, then to the CPU time the cheapest delete needs (below):",
        "",
        "| | req/s | p50 | p99 |",
        "| --- | ---: | ---: | ---: |",
        row("without cleanup", quiet),
        row("during cleanup", during),
        row(f"beside PostgreSQL computing, {big['need']:.2f} cores", spun),
        row(f"beside PostgreSQL computing, {big['floor_need']:.2f} cores", floor_spun),
        "",
        f"p99 during / without: **{during['p99'] / quiet['p99']:.2f}**; target under 2: "
        f"{verdict(during['p99'] < 2 * quiet['p99'])}.",
        "",
        *limit(big, quiet, spun, floor_spun),
        "",
        "### Memory and seeding",
        "",
    ]
    peak = max(project["rss"][1], big["rss"][1])
    lines += [
        f"Resident memory of the project's process, at its peak (VmHWM): {project['rss'][1]:.1f} "
        f"MiB after the side-by-side load, {big['rss'][1]:.1f} MiB after the 1M-user run; "
        f"target under 64 MiB: {verdict(peak < 64)}. (The peer's processes together: "
        f"{peer['rss'][0]:.0f} MiB resident after its load.)",
        "",
        f"`admin-api seed --users {DEEP_USERS:,} --orgs 1000 --workspaces 5000 "
        f"--expired-tokens {EXPIRED:,}` took {big['seed_seconds']:.1f} s.",
        "",
        "### `../shared/peer/bench.sh` in the same run",
        "",
        "```",
        shared,
        "```",
        END,
    ]
    return "\n".join(lines)


def limit(big: dict, quiet: dict, spun: dict, floor_spun: dict) -> list[str]:
    """What stops the cleanup target, from this run's measurements."""
    seen = big["waits"]

    def shares(role: str) -> dict[str, float]:
        counts = {key.split(" ", 1)[1]: n for key, n in seen.items() if key.startswith(role)}
        total = sum(counts.values()) or 1
        return {key: n / total for key, n in sorted(counts.items(), key=lambda kv: -kv[1])}

    request, deleter = shares("request "), shares("cleanup ")
    client = sum(v for k, v in request.items() if k.startswith("Client:"))
    other = max(0.0, 1 - request.get("CPU", 0) - client)  # no -0% from rounding
    top = ", ".join(f"{key} {share:.0%}" for key, share in list(deleter.items())[:5])
    quiet_runs = sorted(big["quiet"], key=lambda r: r["p99"])
    listed = lambda runs: ", ".join(f"{r['p99']:.1f}" for r in runs)  # noqa: E731
    floor_ratio = floor_spun["p99"] / quiet["p99"]
    pgbench_spun = median(big["pgbench_spin"])
    pgbench_ratio = pgbench_spun["p99"] / median(big["pgbench_quiet"])["p99"]
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    grouped = autogroup.exists() and autogroup.read_text().strip() == "1"
    return [
        "What stops it, measured in the same run:",
        "",
        f"- The database's active backends, sampled every 20 ms during the service's cleanup "
        f"({seen['samples']:,} samples): the requests' queries were on CPU "
        f"{request.get('CPU', 0):.0%} of the time, between two messages of the service "
        f"(`Client:ClientRead`) {client:.0%}, and waiting on anything else, a lock, I/O or "
        f"the WAL, **{other:.0%}**. The cleanup's DELETE: {top}.",
        f"- The cleanup of {EXPIRED:,} records with no traffic kept the machine busy for "
        f"{big['alone_cpu']:.2f} CPU-seconds (PostgreSQL, the service and the kernel "
        f"together): at 200,000 rows/s that is **{big['need']:.2f} cores** for as long as it "
        f"runs. The cheapest delete PostgreSQL has, `{DELETE_ALL}` from `psql` on the records "
        f"seeded again (one statement: no batches, no row locks), took "
        f"{big['floor_cpu']:.2f} CPU-seconds in {big['floor_seconds']:.2f} s: "
        f"**{big['floor_need']:.2f} cores** at 200,000 rows/s. The platform-status traffic "
        f"alone leaves the machine {quiet['idle']:.0%} idle.",
        f"- A PostgreSQL backend that only computes (`{SPIN}` over and over, about 0.5 ms "
        f"each), paced to the cleanup's {big['need']:.2f} cores, got {spun['cores']:.2f}; the "
        f"traffic's p99 in its windows: {listed(big['spin'])} ms, a median "
        f"**{spun['p99'] / quiet['p99']:.2f}x** the windows without it. Paced to the cheapest "
        f"delete's {big['floor_need']:.2f} cores, it got {floor_spun['cores']:.2f}, and the "
        f"p99: {listed(big['floor_spin'])} ms, a median **{floor_ratio:.2f}x**.",
        f"- pgbench select-only, {CONNECTIONS} clients each with a backend of its own, on a "
        f"database of its own: p99 {listed(big['pgbench_quiet'])} ms in {WINDOW} s windows "
        f"alone, {listed(big['pgbench_spin'])} ms beside the same computing at "
        f"{pgbench_spun['cores']:.2f} cores, a median **{pgbench_ratio:.2f}x**. The service "
        "sends its statements pipelined on a few backends (`database/shared.rs`), so each "
        "backend that waits for a core holds up several requests.",
        f"- `kernel.sched_autogroup_enabled` is {int(grouped)}: "
        + ("the kernel shares the CPU between sessions first, then among each session's "
           "processes. PostgreSQL's backends are one session, so the CPU any backend spends "
           "is taken from the traffic's backends." if grouped else
           "every process competes for the CPU on its own."),
        f"- The windows without cleanup, one after the other with nothing else running: p99 "
        f"{listed(quiet_runs)} ms; the highest is {quiet_runs[-1]['p99'] / quiet['p99']:.2f}x "
        "the median.",
        "",
        ("So the limit is PostgreSQL's CPU as this traffic uses it: computing there for as "
         "long as even the cheapest delete would take put the traffic's p99 at "
         f"{floor_ratio:.2f}x (pgbench's own: {pgbench_ratio:.2f}x)."
         if floor_ratio >= 2 else
         "Computing in PostgreSQL for as long as the cheapest delete takes kept the traffic's "
         f"p99 at {floor_ratio:.2f}x in this run: the cleanup's own CPU per record, "
         f"{big['alone_cpu'] / big['floor_cpu']:.1f}x the cheapest delete's, is what stands "
         "between it and the target here."),
    ]


def write(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: bench.py ADMIN_API_BINARY")
    binary = str(Path(sys.argv[1]).resolve())
    shared = shared_bench(binary)
    pair = side_by_side(binary)
    big = deep(binary)
    section = report(shared, pair, big)
    write(section)
    print(section)


if __name__ == "__main__":
    main()
