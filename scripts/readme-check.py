#!/usr/bin/env python3
"""The README's "Run it on PostgreSQL" examples, run as written: every command in one bash
session (on a fresh database, a free port, the debug binary), then every answer checked
against the one the README shows: the same fields in the same order, the same JSON types,
the same values, except ids, timestamps, cursors and tokens, which must only have the same
form (a UUID for a UUID, a users cursor for a users cursor, ...).

`make test` runs it (scripts/test.sh). `--print` shows the actual answers instead, to paste
into the README after a change. Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = ("## Run it on PostgreSQL", "## The `admin-api` command")
README_DATABASE = "postgres://postgres@127.0.0.1:5432/admin"
README_BIND = "127.0.0.1:8080"

FORMS = {
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "timestamp": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}",
    "cursor": r"[0-9a-f]{2}[0-9a-f]{48}",
}


def examples() -> list[tuple[str, list[str]]]:
    """Each `$ command` of the section's console blocks, with the lines it printed."""
    text = README.read_text()
    section = text[text.index(SECTION[0]):text.index(SECTION[1])]
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip() and found:
                found[-1][1].append(line)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(work: Path) -> tuple[str, str | None]:
    """A fresh PostgreSQL database when TEST_DATABASE_URL's server answers, else a SQLite
    file; and the database to drop afterwards."""
    admin = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"readme_{random.randrange(10**9)}"
    made = subprocess.run(["psql", "-q", admin, "-c", f"CREATE DATABASE {name}"],
                          capture_output=True, text=True, check=False) if has("psql") else None
    if made is not None and made.returncode == 0:
        return f"{admin.rsplit('/', 1)[0]}/{name}", name
    return f"sqlite://{work}/readme.db", None


def has(tool: str) -> bool:
    return any((Path(p) / tool).exists() for p in os.environ.get("PATH", "").split(":"))


def script(commands: list[str], database: str, port: int) -> str:
    """The commands as one bash script, each one's output between markers."""
    lines = ["set -euo pipefail",
             f"export ADMIN_API_MANAGEMENT_BIND=127.0.0.1:{free_port()} RUST_LOG=warn",
             f"base=http://127.0.0.1:{port}/v1/admin"]
    for i, command in enumerate(commands):
        command = command.replace(README_DATABASE, database).replace(README_BIND, f"127.0.0.1:{port}")
        if command.startswith("cargo build"):
            command = "true"  # the debug binary is on PATH already
        lines.append(f"echo '<<<{i}'")
        if command.endswith("serve &"):
            lines += [f"ADMIN_API_BIND=127.0.0.1:{port} {command[:-1]} 2>serve.log & server=$!",
                      "trap 'kill $server 2>/dev/null' EXIT",
                      f"for _ in $(seq 100); do curl -sf http://127.0.0.1:{port}/readyz >/dev/null"
                      " && break; sleep 0.1; done"]
        else:
            lines.append(command)
        lines.append(f"echo; echo '>>>{i}'")
    return "\n".join(lines)


def outputs(text: str, count: int) -> list[str]:
    return [re.search(rf"<<<{i}\n(.*?)\n?>>>{i}", text, re.S).group(1).strip() for i in range(count)]


def form(value: str) -> str | None:
    for name, pattern in FORMS.items():
        if re.fullmatch(pattern, value):
            return name + (value[:2] if name == "cursor" else "")
    if re.fullmatch(r"[A-Za-z0-9_=-]{100,}", value):
        return "token"
    return None


def differences(shown, actual, at: str = "") -> list[str]:
    if type(shown) is not type(actual):
        return [f"{at}: the README shows {shown!r}, the service answered {actual!r}"]
    if isinstance(shown, dict):
        if list(shown) != list(actual):
            return [f"{at}: fields {list(shown)} in the README, {list(actual)} answered"]
        return [d for key in shown for d in differences(shown[key], actual[key], f"{at}.{key}")]
    if isinstance(shown, list):
        if len(shown) != len(actual):
            return [f"{at}: {len(shown)} items in the README, {len(actual)} answered"]
        return [d for i, (a, b) in enumerate(zip(shown, actual)) for d in differences(a, b, f"{at}[{i}]")]
    if isinstance(shown, str) and form(shown):
        return [] if form(shown) == form(actual) else [
            f"{at}: the README shows a {form(shown)} ({shown}), the service answered {actual!r}"]
    return [] if shown == actual else [f"{at}: the README shows {shown!r}, the service answered {actual!r}"]


def main() -> None:
    printing = "--print" in sys.argv
    binary_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "debug"
    pairs = examples()
    with tempfile.TemporaryDirectory() as work:
        database, drop = fresh_database(Path(work))
        port = free_port()
        env = dict(os.environ, PATH=f"{binary_dir}:{os.environ['PATH']}")
        env.pop("DATABASE_URL", None)
        try:
            done = subprocess.run(["bash", "-c", script([c for c, _ in pairs], database, port)],
                                  cwd=work, env=env, capture_output=True, text=True, timeout=120)
        finally:
            if drop:
                subprocess.run(["psql", "-q", os.environ.get(
                    "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                    "-c", f"DROP DATABASE IF EXISTS {drop} WITH (FORCE)"], capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"readme-check: the README's commands failed:\n{done.stderr}")
    problems = []
    for (command, shown), actual in zip(pairs, outputs(done.stdout, len(pairs))):
        if printing:
            print(f"$ {command}\n{actual}\n")
            continue
        if not shown:
            continue
        shown = "\n".join(shown)
        if shown.startswith("{"):
            found = differences(json.loads(shown), json.loads(actual))
        else:
            found = differences(shown, actual)
        problems += [f"`{command}`{d}" for d in found]
    if problems:
        raise SystemExit("readme-check: the README's examples no longer hold:\n  "
                         + "\n  ".join(problems))
    if not printing:
        print(f"readme-check: {sum(1 for _, s in pairs if s)} answers in the README hold "
              f"({'PostgreSQL' if database.startswith('postgres') else 'SQLite'})")


if __name__ == "__main__":
    main()
