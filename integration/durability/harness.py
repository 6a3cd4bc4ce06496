"""Shared pieces of the durability suite: the binary, a seeded database, a server process that can be
started, SIGKILLed and restarted on the same file, and thin HTTP helpers for the flows the tests drive.

Nothing is built here: the binary comes from FLUXER_AUTH_BIN, else .build/debug/fluxer-auth, else
.build/release/fluxer-auth (the Makefile targets build the debug one first).
"""

import base64
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import fluxer_binary  # noqa: E402
from fluxer_binary import binary, free_port  # noqa: E402,F401

import requests

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery 7"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def base_env(**extra):
    """Limits off and cheap argon2id: these tests are about storage, not throttling or hashing cost."""
    env = dict(os.environ,
               FLUXER_AUTH_RATELIMIT_ENABLED="false",
               FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL_IP="1000000/1s",
               FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL="1000000/1s",
               FLUXER_AUTH_RATELIMIT_LOGIN_IP="1000000/1s",
               FLUXER_AUTH_SECURITY_ARGON2_OPS_LIMIT="1",
               FLUXER_AUTH_SECURITY_ARGON2_MEMORY_KIB="8192")
    env.update(extra)
    return env


def cli(bin_path, database, *args, env=None, dev=True):
    return fluxer_binary.cli(bin_path, database, *args, env=env or base_env(), dev=dev)


class ServerProcess:
    """`fluxer-auth serve --dev` on a fixed database (a SQLite file, or a `postgresql://` URL); the port is kept
    across restarts. With dev=False the secret key must be in env (FLUXER_AUTH_SECRET_KEY)."""

    def __init__(self, bin_path, database, workdir, env=None, dev=True):
        self.bin = bin_path
        self.database = database
        self.workdir = workdir
        self.dev = dev
        self.env = env or base_env()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(workdir, "server.log")
        self.proc = None
        self.starts = 0

    def url(self, path):
        return self.base + path

    def start(self, timeout=30):
        env = dict(self.env, FLUXER_AUTH_PUBLIC_URL=self.base)
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start #{self.starts} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen([self.bin, "serve", "--port", str(self.port),
                                          *fluxer_binary.database_args(self.database, self.dev)],
                                         cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"fluxer-auth serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"fluxer-auth serve did not answer /healthz within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines=40):
        try:
            return "".join(Path(self.log_path).read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def login(http, server, email, timeout=10):
    return http.post(server.url("/auth/login"), json={"email": email, "password": PASSWORD}, timeout=timeout)


def authorize_code(http, server, session_token, client_id, scope="identify", timeout=10):
    resp = http.post(server.url("/oauth2/authorize/consent"), headers={"Authorization": session_token}, timeout=timeout,
                     json={"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, "scope": scope})
    assert resp.status_code == 200, f"consent answered {resp.status_code}: {resp.text[:300]}"
    return parse_qs(urlsplit(resp.json()["redirect_to"]).query)["code"][0]


def exchange_code(http, server, app, code, timeout=10):
    return http.post(server.url("/oauth2/token"), headers={"Authorization": basic(app["client_id"], app["client_secret"])},
                     data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}, timeout=timeout)


def refresh(http, server, app, refresh_token, timeout=10):
    return http.post(server.url("/oauth2/token"), headers={"Authorization": basic(app["client_id"], app["client_secret"])},
                     data={"grant_type": "refresh_token", "refresh_token": refresh_token}, timeout=timeout)


def me(http, server, authorization, timeout=10):
    return http.get(server.url("/users/@me"), headers={"Authorization": authorization}, timeout=timeout)


def readonly(database):
    """A read-only connection; in WAL mode it sees the last committed state while the server runs."""
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)


def integrity(database):
    """(integrity_check rows, foreign_key_check rows)."""
    con = readonly(database)
    try:
        return ([r[0] for r in con.execute("PRAGMA integrity_check")], con.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        con.close()
