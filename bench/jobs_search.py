#!/usr/bin/env python3
"""Bulk import and user search at scale, through the HTTP API.

Starts a release `vestibule serve` on SQLite or on a fresh PostgreSQL
database, imports users through `POST /api/v2/jobs/users-imports` in files
of 100,000 (timing each job from upload to `completed`), until the store
holds SEARCH_USERS users; then spreads `logins_count` over 0..99 with one
SQL UPDATE (an import cannot set it) and times `GET /api/v2/users` for
several queries, and prints the query plans (EXPLAIN) of the statements
those queries run.

Usage: bench/jobs_search.py sqlite|postgres
Env:   VESTIBULE_BIN (target/release/vestibule), IMPORT_USERS (100000),
       SEARCH_USERS (1000000), RUNS (30), PG_URL (postgres://postgres@127.0.0.1:5432)
Only the Python standard library, sqlite3 and psql are needed.
"""

import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BACKEND = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get(
    "VESTIBULE_BIN",
    os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "vestibule"),
)
IMPORT_USERS = int(os.environ.get("IMPORT_USERS", "100000"))
SEARCH_USERS = int(os.environ.get("SEARCH_USERS", "1000000"))
RUNS = int(os.environ.get("RUNS", "30"))
PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
CLIENT_ID = "bench-jobs-client"
CLIENT_SECRET = "bench-jobs-secret-0123456789abcdef"
MASTER_KEY = "00" * 32
BOUNDARY = "vestibule-bench-boundary"


def log(message):
    print(f"[jobs-bench {BACKEND}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, token=None, body=None, content_type=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as response:
        return json.loads(response.read() or b"null")


def multipart(fields, file_bytes):
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="users"; filename="users.json"\r\n'
        "Content-Type: application/json\r\n\r\n".encode()
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def users_file(start, count):
    rng = random.Random(start)
    given = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
    family = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
    users = []
    for i in range(start, start + count):
        g, f = rng.choice(given), rng.choice(family)
        users.append(
            {
                "email": f"user{i}@bench.example",
                "email_verified": i % 3 == 0,
                "given_name": g,
                "family_name": f,
                "name": f"{g} {f} {i}",
                "user_metadata": {"plan": rng.choice(["free", "pro", "team"])},
            }
        )
    return json.dumps(users).encode()


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    work = tempfile.mkdtemp(prefix="vestibule-jobs-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "VESTIBULE_LISTEN": f"127.0.0.1:{port}",
            "VESTIBULE_DATA_DIR": work,
            "VESTIBULE_MASTER_KEY": MASTER_KEY,
            "VESTIBULE_BOOTSTRAP_CLIENT_ID": CLIENT_ID,
            "VESTIBULE_BOOTSTRAP_CLIENT_SECRET": CLIENT_SECRET,
            "VESTIBULE_IMPORT_MAX_BYTES": str(64 * 1024 * 1024),
            "VESTIBULE_LOG": "warn",
        }
    )
    database = None
    if BACKEND == "postgres":
        database = f"bench_jobs_{os.getpid()}"
        subprocess.run(["psql", f"{PG_URL}/postgres", "-qc", f"CREATE DATABASE {database}"], check=True)
        env["VESTIBULE_DATABASE_URL"] = f"{PG_URL}/{database}"
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        token = request(
            "POST",
            f"{base}/oauth/token",
            body=json.dumps(
                {
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "audience": f"{base}/api/v2/",
                }
            ).encode(),
            content_type="application/json",
        )["access_token"]
        connection = request(
            "POST",
            f"{base}/api/v2/connections",
            token,
            json.dumps({"name": "bench-db", "strategy": "auth0"}).encode(),
            "application/json",
        )

        import_seconds = []
        for start in range(0, SEARCH_USERS, IMPORT_USERS):
            count = min(IMPORT_USERS, SEARCH_USERS - start)
            body = multipart({"connection_id": connection["id"], "upsert": "false"}, users_file(start, count))
            began = time.monotonic()
            job = request(
                "POST",
                f"{base}/api/v2/jobs/users-imports",
                token,
                body,
                f"multipart/form-data; boundary={BOUNDARY}",
            )
            while job["status"] not in ("completed", "failed"):
                time.sleep(0.1)
                job = request("GET", f"{base}/api/v2/jobs/{job['id']}", token)
            elapsed = time.monotonic() - began
            if job["status"] != "completed" or job["summary"]["inserted"] != count:
                raise SystemExit(f"import failed: {job}")
            import_seconds.append(elapsed)
            log(f"imported {start + count} users ({count} in {elapsed:.1f} s, file {len(body) // 1024} KiB)")

        log("spreading logins_count over 0..99 and analysing")
        if BACKEND == "sqlite":
            db = sqlite3.connect(os.path.join(work, "vestibule.db"), timeout=60)
            db.execute("UPDATE users SET logins_count = abs(random()) % 100")
            db.commit()
            db.execute("ANALYZE")
            db.commit()
        else:
            subprocess.run(
                # Two -c: VACUUM cannot run inside the one transaction a
                # single multi-statement -c would be.
                ["psql", env["VESTIBULE_DATABASE_URL"], "-q",
                 "-c", "UPDATE users SET logins_count = floor(random() * 100)::int",
                 "-c", "VACUUM ANALYZE users"],
                check=True,
            )

        probe = SEARCH_USERS // 2 + 1234
        queries = [
            ("email exact", {"q": f'email:"user{probe}@bench.example"'}),
            ("email prefix", {"q": f"email:user{probe // 100}*"}),
            ("connection", {"connection": "bench-db", "per_page": "50"}),
            ("logins_count range", {"q": "logins_count:[10 TO 12]", "per_page": "50"}),
            ("sort created_at, page 10", {"sort": "created_at:-1", "per_page": "50", "page": "10"}),
        ]
        rows = []
        for label, params in queries:
            url = f"{base}/api/v2/users?{urllib.parse.urlencode(params)}&include_totals=true"
            samples = []
            total = None
            for run in range(RUNS + 3):
                began = time.monotonic()
                body = request("GET", url, token)
                if run >= 3:
                    samples.append((time.monotonic() - began) * 1000)
                total = body["total"]
            rows.append((label, params, total, statistics.median(samples), percentile(samples, 0.95)))
            log(f"{label}: total {total}, p50 {statistics.median(samples):.1f} ms")

        print(f"\n### {BACKEND}: import and search\n")
        print(f"Import of {IMPORT_USERS:,} users per job through the jobs API (upload to `completed`): "
              f"first job {import_seconds[0]:.1f} s ({IMPORT_USERS / import_seconds[0]:,.0f} users/s); "
              f"job {len(import_seconds)} (store already at {SEARCH_USERS - IMPORT_USERS:,}) {import_seconds[-1]:.1f} s; "
              f"mean {statistics.mean(import_seconds):.1f} s over {len(import_seconds)} jobs.\n")
        print(f"`GET /api/v2/users` with {SEARCH_USERS:,} users, {RUNS} runs each (include_totals=true):\n")
        print("| query | parameters | total | p50 ms | p95 ms |")
        print("| --- | --- | ---: | ---: | ---: |")
        for label, params, total, p50, p95 in rows:
            shown = "&".join(f"{k}={v}" for k, v in params.items())
            print(f"| {label} | `{shown}` | {total:,} | {p50:.1f} | {p95:.1f} |")
        explain(work, env.get("VESTIBULE_DATABASE_URL"), probe)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if database:
            subprocess.run(["psql", f"{PG_URL}/postgres", "-qc", f"DROP DATABASE IF EXISTS {database}"])
        shutil.rmtree(work, ignore_errors=True)


def connection_id(work, pg_url):
    """The id of the bench connection, as the engine resolves it."""
    sql = "SELECT id FROM connections WHERE tenant_id = 'default' AND name = 'bench-db'"
    if pg_url is None:
        db = sqlite3.connect(os.path.join(work, "vestibule.db"))
        (found,) = db.execute(sql).fetchone()
        db.close()
        return found
    out = subprocess.run(["psql", pg_url, "-XAtc", sql], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def explain(work, pg_url, probe):
    """The plans of the count and page statements the searches above run."""
    email = f"user{probe}@bench.example"
    prefix = f"user{probe // 100}"
    statements = [
        ("email exact", f"email_search IS NOT NULL AND email_search = '{email}'", "user_id ASC"),
        ("email prefix", f"email_search >= '{prefix}' AND email_search < '{prefix}\U0010ffff'", "user_id ASC"),
        ("connection", f"connection_id = '{connection_id(work, pg_url)}'", "user_id ASC"),
        ("logins_count range", "logins_count >= 10 AND logins_count <= 12", "user_id ASC"),
        ("sort created_at", "1 = 1", "created_at DESC, user_id DESC"),
    ]
    print("\nQuery plans (count, then page):\n")
    print("```")
    for label, condition, order in statements:
        # As storage-sql/src/user_search.rs writes them: linked users are
        # skipped, totals are counted up to 1000, the connection is an id
        # (the engine resolves the name before the statement), and a page
        # picks its ids before reading rows (a deferred join).
        where = f"tenant_id = 'default' AND linked_to IS NULL AND ({condition})"
        for sql in (
            f"SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE {where} LIMIT 1000) AS capped",
            f"SELECT data FROM users WHERE tenant_id = 'default' AND user_id IN "
            f"(SELECT user_id FROM users WHERE {where} ORDER BY {order} LIMIT 50 OFFSET 500) ORDER BY {order}",
        ):
            if pg_url is None:
                db = sqlite3.connect(os.path.join(work, "vestibule.db"))
                plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
                db.close()
            else:
                out = subprocess.run(["psql", pg_url, "-XAtc", f"EXPLAIN {sql}"], capture_output=True, text=True, check=True)
                plan = [line.strip() for line in out.stdout.splitlines() if line.strip()]
            # The prefix's upper bound ends in U+10FFFF, which prints as nothing.
            line = " | ".join(plan).replace("\U0010ffff", "\\u{10FFFF}")
            print(f"{label}: {line}")
    print("```")


if __name__ == "__main__":
    main()
