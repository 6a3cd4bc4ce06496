"""Snowflake worker ids are leased from the database per process (issue 13): real processes on one SQLite file.

Before the lease, every process minted under the configured `security.snowflake_worker_id` (0 by default), so a
`user create` beside a running server could fail with `UNIQUE constraint failed: users.id`.
"""

import os
import sqlite3
import subprocess
import threading
import time

import requests

from harness import PASSWORD, ServerProcess, base_env, binary, cli, readonly

import pytest

BIN = binary()
pytestmark = pytest.mark.skipif(BIN is None, reason="fluxer-auth binary not built")

CLI_RUNS = 200


def worker_of(snowflake):
    return (int(snowflake) >> 12) & 0x3FF


def held(database):
    with readonly(database) as db:
        return dict(db.execute("SELECT worker_id, pid FROM worker_leases WHERE holder IS NOT NULL").fetchall())


def user_create(database, n, env):
    return subprocess.Popen([BIN, "user", "create", "--dev", "--database", database, "--email", f"cli{n}@example.com",
                             "--username", f"cli{n}", "--password-stdin"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_200_concurrent_user_creates_beside_a_live_server_never_collide(tmp_path):
    database = str(tmp_path / "data" / "fluxer-auth.sqlite")
    server = ServerProcess(BIN, database, str(tmp_path))
    server.start()
    try:
        assert list(held(database).values()) == [server.proc.pid]
        server_worker = next(iter(held(database)))

        # The server mints too (sign-ups) while the CLI runs, so both sides are taking ids at once.
        stop = threading.Event()
        signed_up = []

        def sign_up():
            http = requests.Session()
            n = 0
            while not stop.is_set():
                r = http.post(server.url("/auth/register"), timeout=30, json={
                    "email": f"web{n}@example.com", "username": f"web{n}", "password": PASSWORD,
                    "date_of_birth": "1990-01-01", "consent": True})
                assert r.status_code == 200, r.text[:300]
                signed_up.append(r.json()["user_id"])
                n += 1

        web = threading.Thread(target=sign_up)
        web.start()
        started = time.monotonic()
        procs = [user_create(database, n, base_env()) for n in range(CLI_RUNS)]
        for proc in procs:
            proc.stdin.write(PASSWORD + "\n")
            proc.stdin.close()
        results = []
        for proc in procs:
            out = proc.stdout.read()
            err = proc.stderr.read()
            results.append((proc.wait(timeout=120), out, err))
        stop.set()
        web.join(timeout=60)
        elapsed = time.monotonic() - started

        failures = [(rc, err.strip()) for rc, _, err in results if rc != 0]
        assert failures == [], f"{len(failures)} of {CLI_RUNS} runs failed, e.g. {failures[:3]}"
        import json
        cli_ids = [json.loads(out)["id"] for _, out, _ in results]
        assert len(set(cli_ids)) == CLI_RUNS
        assert signed_up, "the server minted nothing during the run"
        assert not set(cli_ids) & set(signed_up)
        # No CLI run minted under the server's worker id while it held it.
        assert server_worker not in {worker_of(i) for i in cli_ids}
        with readonly(database) as db:
            assert db.execute("SELECT count(*) FROM users").fetchone()[0] == CLI_RUNS + len(signed_up)
        # Every CLI run released its worker id on exit: only the server still holds one.
        assert held(database) == {server_worker: server.proc.pid}
        print(f"{CLI_RUNS} CLI runs + {len(signed_up)} sign-ups in {elapsed:.1f} s")
    finally:
        server.stop()
    # A clean shutdown releases the server's id too, recording its high-water mark as the floor.
    assert held(database) == {}
    with readonly(database) as db:
        assert db.execute("SELECT floor_ms FROM worker_leases WHERE worker_id = ?", (server_worker,)).fetchone()[0] > 0


def test_a_killed_servers_live_lease_is_not_reclaimed_an_expired_one_is(tmp_path):
    database = str(tmp_path / "data" / "fluxer-auth.sqlite")
    server = ServerProcess(BIN, database, str(tmp_path))
    server.start()
    server.kill9()
    assert list(held(database).values()) == [server.proc.pid]  # kill -9: no release, the lease is still live
    dead = next(iter(held(database)))
    try:
        server.start()
        now_held = held(database)
        assert len(now_held) == 2 and now_held[dead] != server.proc.pid  # the restart took another id

        user = cli(BIN, database, "user", "create", "--email", "a@example.com", "--username", "a", "--password", PASSWORD)
        assert worker_of(user["id"]) not in now_held

        # The dead server's lease runs out (simulated: its end moved into the past): the next process takes it
        # and mints above that end.
        end = int(time.time() * 1000) - 1000
        with sqlite3.connect(database, timeout=10) as db:
            db.execute("UPDATE worker_leases SET expires_at = ? WHERE worker_id = ?", (end, dead))
            # Free ids are preferred; hold the others so the expired one is the only candidate.
            db.execute("UPDATE worker_leases SET holder = 'test', pid = 1, expires_at = ? "
                       "WHERE holder IS NULL", (end + 3_600_000,))
        user = cli(BIN, database, "user", "create", "--email", "b@example.com", "--username", "b", "--password", PASSWORD)
        assert worker_of(user["id"]) == dead
        assert (int(user["id"]) >> 22) + 1420070400000 > end
    finally:
        server.stop()


def test_all_1024_ids_taken_is_a_one_line_error_and_exit_1(tmp_path):
    database = str(tmp_path / "data" / "fluxer-auth.sqlite")
    cli(BIN, database, "migrate")
    with sqlite3.connect(database, timeout=10) as db:
        db.execute("UPDATE worker_leases SET holder = 'test', pid = 1, expires_at = ?", (int(time.time() * 1000) + 3_600_000,))
    proc = subprocess.run([BIN, "user", "create", "--dev", "--database", database, "--email", "c@example.com",
                           "--username", "c", "--password", PASSWORD], capture_output=True, text=True, env=base_env(), timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("fluxer-auth: worker id: all 1024 snowflake worker ids are leased"), proc.stderr
    server = subprocess.run([BIN, "serve", "--dev", "--port", "0", "--database", database], capture_output=True, text=True,
                            env=base_env(), timeout=60, cwd=str(tmp_path))
    assert server.returncode == 1
    assert "fluxer-auth: worker id: all 1024 snowflake worker ids are leased" in server.stderr

    with sqlite3.connect(database, timeout=10) as db:
        db.execute("UPDATE worker_leases SET holder = NULL, pid = NULL, expires_at = 0 WHERE worker_id = 700")
    user = cli(BIN, database, "user", "create", "--email", "c@example.com", "--username", "c", "--password", PASSWORD)
    assert worker_of(user["id"]) == 700
    assert 700 not in held(database)  # released on exit


def test_seed_mints_everything_under_one_lease_and_releases_it(tmp_path):
    database = str(tmp_path / "data" / "fluxer-auth.sqlite")
    seed = tmp_path / "seed.json"
    seed.write_text('{"users": [{"email": "s1@example.com", "username": "s1", "password": "%s"},'
                    ' {"email": "s2@example.com", "username": "s2", "password": "%s"}],'
                    ' "guilds": [{"owner": "s1@example.com", "name": "G"}]}' % (PASSWORD, PASSWORD))
    out = cli(BIN, database, "seed", str(seed))
    ids = [u["id"] for u in out["users"]] + [g["id"] for g in out["guilds"]]
    assert len({worker_of(i) for i in ids}) == 1
    assert held(database) == {}
