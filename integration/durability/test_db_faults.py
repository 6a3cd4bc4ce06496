"""DB-04 (and a cheap DB-03): storage faults answer 503 with Retry-After, never a 500 or a hang, and the
server recovers on its own once the fault is gone.

* Another process's connection holds the write lock (`BEGIN IMMEDIATE` + an INSERT, never committed while the
  clients run): register, login and a refresh rotation each answer 503 + Retry-After within the busy timeout
  (FLUXER_AUTH_DATABASE_BUSY_TIMEOUT_MS=500) plus slack; reads with an existing session keep answering 200;
  after ROLLBACK (and again after a COMMIT) every write succeeds and the held refresh token still rotates.
* A reader holding `BEGIN; SELECT` does not block writers (WAL).
* Disk full, the RLIMIT_FSIZE way (`ulimit -f`, SIGXFSZ ignored): once the WAL cannot grow, writes answer 503;
  after the limit is lifted (prlimit on the running server) writes succeed and integrity_check is ok.
"""

import concurrent.futures
import os
import resource
import signal
import sqlite3
import subprocess
import time

import pytest
import requests

from harness import (PASSWORD, ServerProcess, authorize_code, base_env, binary, cli, exchange_code, integrity, login,
                     me, refresh)

BUSY_MS = 500
SLACK_S = 2.5


def register(http, server, n, timeout=15):
    return http.post(server.url("/auth/register"), timeout=timeout,
                     json={"email": f"new{n}@example.com", "username": f"newuser{n}", "password": PASSWORD,
                           "date_of_birth": "1990-01-01", "consent": True})


def assert_unavailable(resp, started, what):
    elapsed = time.monotonic() - started
    assert resp.status_code == 503, f"{what} under a held write lock answered {resp.status_code}: {resp.text[:300]}"
    assert resp.headers.get("Retry-After", "").isdigit(), f"{what}: 503 without a numeric Retry-After: {resp.headers}"
    assert resp.json().get("code") == "SERVICE_UNAVAILABLE", resp.text[:300]
    assert elapsed < BUSY_MS / 1000 + SLACK_S, f"{what} took {elapsed:.2f} s (busy timeout {BUSY_MS} ms)"


@pytest.fixture
def seeded(tmp_path):
    bin_path = binary()
    if bin_path is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth`", pytrace=False)
    database = str(tmp_path / "auth.sqlite")
    user = cli(bin_path, database, "user", "create", "--email", "held@example.com", "--username", "held",
               "--password", PASSWORD, "--verified")
    app = cli(bin_path, database, "app", "create", "--owner", user["id"], "--name", "Faults",
              "--redirect-uri", "http://127.0.0.1:8765/callback")
    return bin_path, database, app, tmp_path


def start(bin_path, database, workdir, **env_extra):
    server = ServerProcess(bin_path, database, str(workdir),
                           env=base_env(FLUXER_AUTH_DATABASE_BUSY_TIMEOUT_MS=str(BUSY_MS), **env_extra))
    return server


def grant(http, server, app):
    session = login(http, server, "held@example.com").json()["token"]
    code = authorize_code(http, server, session, app["client_id"])
    tokens = exchange_code(http, server, app, code).json()
    return session, tokens


def test_held_write_lock_gives_503_with_retry_after_then_recovers(seeded):
    bin_path, database, app, workdir = seeded
    server = start(bin_path, database, workdir)
    server.start()
    http = requests.Session()
    try:
        session, tokens = grant(http, server, app)
        assert me(http, server, session).status_code == 200

        holder = sqlite3.connect(database, isolation_level=None, timeout=5)
        for rollback in (True, False):
            holder.execute("BEGIN IMMEDIATE")
            # Any write takes the lock; this one touches no table the server reads.
            holder.execute("CREATE TABLE IF NOT EXISTS durability_probe (x)")
            holder.execute("INSERT INTO durability_probe VALUES (1)")
            try:
                for n, (what, call) in enumerate([
                    ("register", lambda: register(http, server, 100 + rollback)),
                    ("login", lambda: login(http, server, "held@example.com", timeout=15)),
                    ("refresh", lambda: refresh(http, server, app, tokens["refresh_token"], timeout=15)),
                ]):
                    t0 = time.monotonic()
                    assert_unavailable(call(), t0, what)
                    # Reads keep working while the writer is locked out, and do not wait for the lock: a read
                    # that touched the writer would take the whole busy timeout (best of three, for a busy box).
                    for authorization in (session, "Bearer " + tokens["access_token"]):
                        took = []
                        for _ in range(3):
                            t0 = time.monotonic()
                            resp = me(http, server, authorization)
                            took.append(time.monotonic() - t0)
                            assert resp.status_code == 200, \
                                f"read under a held write lock: {resp.status_code} {resp.text[:200]}"
                        assert min(took) < 0.8 * BUSY_MS / 1000, f"reads waited for the write lock: {took}"
                # Concurrent writers: every one answers, none hangs, none is a 500.
                with concurrent.futures.ThreadPoolExecutor(4) as pool:
                    t0 = time.monotonic()
                    futures = [pool.submit(lambda i=i: requests.post(
                        server.url("/auth/login"), json={"email": "held@example.com", "password": PASSWORD}, timeout=20))
                        for i in range(4)]
                    statuses = [f.result().status_code for f in futures]
                    assert statuses == [503] * 4, statuses
                    assert time.monotonic() - t0 < 4 * BUSY_MS / 1000 + SLACK_S + 2, "parallel writers queued too long"
            finally:
                holder.execute("ROLLBACK" if rollback else "COMMIT")
            # Recovery: every write succeeds again, and the token refused under the lock still rotates.
            resp = register(http, server, 200 + rollback)
            assert resp.status_code == 200, f"register after release: {resp.status_code} {resp.text[:300]}"
            resp = login(http, server, "held@example.com")
            assert resp.status_code == 200, f"login after release: {resp.status_code} {resp.text[:300]}"
            resp = refresh(http, server, app, tokens["refresh_token"])
            assert resp.status_code == 200, f"refresh after release: {resp.status_code} {resp.text[:300]}"
            tokens = resp.json()
            assert me(http, server, "Bearer " + tokens["access_token"]).status_code == 200
        holder.close()
        assert server.proc.poll() is None, "the server died"
    finally:
        http.close()
        server.stop()
    check, fks = integrity(database)
    assert check == ["ok"] and fks == []


def test_open_read_transaction_does_not_block_writers(seeded):
    bin_path, database, app, workdir = seeded
    server = start(bin_path, database, workdir)
    server.start()
    http = requests.Session()
    try:
        session, tokens = grant(http, server, app)
        reader = sqlite3.connect(database, isolation_level=None, timeout=5)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM users").fetchone()
        try:
            for n in range(5):
                resp = register(http, server, 300 + n)
                assert resp.status_code == 200, f"register beside a reader: {resp.status_code} {resp.text[:200]}"
                resp = refresh(http, server, app, tokens["refresh_token"])
                assert resp.status_code == 200, f"refresh beside a reader: {resp.status_code} {resp.text[:200]}"
                tokens = resp.json()   # (a writer blocked by the reader would have answered 503)
        finally:
            reader.execute("ROLLBACK")
            reader.close()
    finally:
        http.close()
        server.stop()


def test_disk_full_gives_503_then_recovers(seeded):
    """DB-03 via RLIMIT_FSIZE: a file may not grow past the limit, so the WAL fills up."""
    bin_path, database, app, workdir = seeded
    limit = os.path.getsize(database) + 256 * 1024

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # inherited across exec: EFBIG instead of death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))   # soft only: liftable later

    server = start(bin_path, database, workdir)
    env = dict(server.env, FLUXER_AUTH_PUBLIC_URL=server.base)
    with open(server.log_path, "ab") as log:
        server.proc = subprocess.Popen([bin_path, "serve", "--dev", "--port", str(server.port), "--database", database],
                                       cwd=str(workdir), env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=limited)
    deadline = time.monotonic() + 30
    while True:
        assert server.proc.poll() is None, f"server exited under RLIMIT_FSIZE:\n{server.log_tail()}"
        try:
            if requests.get(server.base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, server.log_tail()
        time.sleep(0.05)
    http = requests.Session()
    try:
        session = login(http, server, "held@example.com").json()["token"]
        statuses = []
        for n in range(400):
            resp = register(http, server, 1000 + n)
            statuses.append(resp.status_code)
            assert resp.status_code in (200, 503), f"register on a full disk: {resp.status_code} {resp.text[:300]}"
            if resp.status_code == 503:
                assert resp.headers.get("Retry-After", "").isdigit(), resp.headers
                assert "token" not in resp.json(), resp.text
                break
        else:
            pytest.skip(f"the WAL never reached the {limit}-byte limit in 400 registrations")
        assert me(http, server, session).status_code == 200, "reads stopped on a full disk"
        assert server.proc.poll() is None, "the server died on a full disk"
        resource.prlimit(server.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))  # "space freed"
        resp = register(http, server, 5000)
        assert resp.status_code == 200, f"register after space came back: {resp.status_code} {resp.text[:300]}"
        assert login(http, server, "new5000@example.com").status_code == 200
    finally:
        http.close()
        server.stop()
    check, fks = integrity(database)
    assert check == ["ok"] and fks == [], (check, fks)
