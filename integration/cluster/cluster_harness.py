"""Three `fluxer-auth serve` nodes on one PostgreSQL database (the multi-node suite, make test-cluster).

The nodes run outside dev mode with one shared `FLUXER_AUTH_SECRET_KEY`, as a deployment would: every key they
derive (bot-token HMACs, sealed outbox bodies, sudo tokens) is then the same on each. Rate limits are off and
argon2id is cheap, as in the durability suite (its `base_env`): these tests are about sharing one database, not
throttling. The node processes and the HTTP flows come from integration/durability/harness.py.
"""

import base64
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "durability"))
from harness import (PASSWORD, REDIRECT_URI, ServerProcess, authorize_code, base_env, basic, binary, cli,  # noqa: E402,F401
                     exchange_code, login, me, refresh)

from fluxer_binary import database_args  # noqa: E402  (integration/, put on the path by harness)

import requests  # noqa: E402

NODE_NAMES = ("A", "B", "C")
# Every revoke must reach every node within this bound (issue 13: LISTEN/NOTIFY; the cache TTL is 30 s).
PROPAGATION_SECONDS = 1.0


class Cluster:
    """The database (on a PostgresCluster), the environment every process gets, and the three nodes."""

    def __init__(self, bin_path, postgres, database, workdir):
        self.bin = bin_path
        self.postgres = postgres
        self.database = database
        self.url = database_url = postgres.create_database(database)
        self.workdir = workdir
        key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        self.env = base_env(FLUXER_AUTH_SECRET_KEY=key)
        self.nodes = []
        for name in NODE_NAMES:
            nodedir = os.path.join(workdir, f"node-{name}")
            os.makedirs(nodedir, exist_ok=True)
            node = ServerProcess(bin_path, database_url, nodedir, env=self.env, dev=False)
            node.name = name
            self.nodes.append(node)
        self._users = 0

    def cli(self, *args):
        """`fluxer-auth ARGS --database-url URL` with the cluster's secret key; the JSON it prints."""
        return cli(self.bin, self.url, *args, env=self.env, dev=False)

    def cli_run(self, *args, stdin=None, timeout=60):
        """The same command as a finished process (exit status, stdout, stderr), for tests that judge failures."""
        return subprocess.run([self.bin, *args, *database_args(self.url, dev=False)], input=stdin, capture_output=True,
                              text=True, timeout=timeout, env=self.env)

    def sql(self, statement):
        """One statement on the cluster's database (psql as the superuser); its unaligned output."""
        return self.postgres.sql(statement, database=self.database)

    def migrate(self):
        return self.cli("migrate")

    def start(self):
        for node in self.nodes:
            node.start()

    def ensure_running(self):
        """Restarts a node a test left stopped (the kill -9 test restarts its own; this is the safety net)."""
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                node.start()

    def stop(self):
        for node in self.nodes:
            node.stop()

    def new_user(self, prefix="user"):
        """A verified user made through the CLI: (id, email)."""
        self._users += 1
        n = f"{prefix}{self._users}x{secrets.token_hex(3)}"
        email = f"{n}@example.com"
        user = self.cli("user", "create", "--email", email, "--username", n[:32], "--password", PASSWORD, "--verified")
        return user["id"], email

    def new_app(self, owner_id, name="Cluster"):
        """{id, client_id, client_secret, bot_id, bot_token} through `fluxer-auth app create`."""
        return self.cli("app", "create", "--owner", owner_id, "--name", name, "--redirect-uri", REDIRECT_URI)

    def log_tails(self):
        return "\n".join(f"--- node {n.name} ({n.log_path}) ---\n{n.log_tail(15)}" for n in self.nodes)


def warm(session, node):
    """Opens the keep-alive connection now, so that a later request leaves without a TCP handshake first."""
    resp = session.get(node.url("/healthz"), timeout=5)
    assert resp.status_code == 200, f"node {node.name} /healthz answered {resp.status_code}"


def at_once(calls):
    """Sends one request per (node, fn) at the same moment: each on its own warmed keep-alive connection, the
    threads released together by a barrier; fn(http, node) returns the response. The responses, in order."""
    sessions = [requests.Session() for _ in calls]
    for http, (node, _) in zip(sessions, calls):
        warm(http, node)
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def send(i):
        http, (node, fn) = sessions[i], calls[i]
        barrier.wait(timeout=10)
        try:
            results[i] = fn(http, node)
        except Exception as exc:  # noqa: BLE001 - handed to the caller's assertion
            results[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    for http in sessions:
        http.close()
    for node_fn, result in zip(calls, results):
        if not isinstance(result, requests.Response):
            raise AssertionError(f"request to node {node_fn[0].name} failed: {result!r}")
    return results


def until_refused(nodes, request, expected_status, expected_body, seconds=PROPAGATION_SECONDS, since=None):
    """Polls every node with `request(http, node)` until each answers `expected_status` with `expected_body`, for
    at most `seconds` after `since` (the time the revoking response arrived; now when None). Returns each node's
    delay in seconds; fails naming the nodes still accepting, with what they answered."""
    since = time.monotonic() if since is None else since
    http = requests.Session()
    pending = {node.name: node for node in nodes}
    delays, last = {}, {}
    try:
        while True:
            for name, node in list(pending.items()):
                resp = request(http, node)
                body = _json(resp)
                last[name] = f"{resp.status_code} {resp.text[:100]}"
                if resp.status_code == expected_status and body == expected_body:
                    delays[name] = round(time.monotonic() - since, 3)
                    del pending[name]
            if not pending:
                return delays
            if time.monotonic() - since > seconds:
                still = {name: last[name] for name in pending}
                raise AssertionError(f"not refused within {seconds} s by node(s) {sorted(pending)}: they still answer "
                                     f"{still} (refused elsewhere after {delays})")
            time.sleep(0.05)
    finally:
        http.close()


def _json(resp):
    try:
        return resp.json()
    except ValueError:
        return None
