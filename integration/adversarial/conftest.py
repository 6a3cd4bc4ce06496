"""Fixtures for the adversarial suite: a real `fluxer-auth serve --dev` on a free loopback port (seeded through
the CLI, like integration/python/conftest.py), started with short head/body timeouts and rate limits off, plus a raw
socket client that sends exact bytes, reads one response with a deadline and tells FIN from RST from "still open".

Nothing is built here. The binary comes from FLUXER_AUTH_BIN, else .build/debug/fluxer-auth, else
.build/release/fluxer-auth (`make test-adversarial` builds the debug one first). Traffic goes to 127.0.0.1 only.
"""

import errno
import json
import os
import resource
import select
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fluxer_binary import binary as _binary, cli, free_port as _free_port  # noqa: E402

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery 7"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
HOST = "127.0.0.1"

# The timeouts the session server runs with (ms). Short, so slow-client tests finish in seconds.
HEAD_TIMEOUT_MS = 2000
BODY_TIMEOUT_MS = 2000
REQUEST_TIMEOUT_MS = 4000


def raise_nofile(wanted):
    """Raises this process's RLIMIT_NOFILE soft limit towards `wanted` (up to the hard limit); returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _server_preexec():
    # The server gets as many descriptors as the hard limit allows (5,000 idle connections need > 5,000).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        pass


@dataclass
class Server:
    binary: str
    database: str
    port: int
    base_url: str
    tmp: str
    env: dict
    process: subprocess.Popen | None = None
    log_path: str = ""
    seed: dict = field(default_factory=dict)

    def url(self, path):
        return self.base_url + path

    def log_tail(self, lines=40):
        try:
            return "".join(Path(self.log_path).read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def nofile_limit(self):
        """The server process's RLIMIT_NOFILE soft limit, read from /proc."""
        try:
            for line in Path(f"/proc/{self.process.pid}/limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        except (OSError, ValueError, IndexError):
            pass
        return None

    def open_fds(self):
        try:
            return len(os.listdir(f"/proc/{self.process.pid}/fd"))
        except OSError:
            return None


def start_server(tmp, extra_env=None, seed=True):
    """Seeds a database in `tmp` through the CLI and starts `serve --dev` on a free port. The caller stops it."""
    binary = _binary()
    if binary is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth` "
                    "(make test-adversarial does)", pytrace=False)
    database = os.path.join(tmp, "auth.sqlite")
    seed_data = {}
    if seed:
        email, username = "eve@example.com", "eve"
        user = cli(binary, database, "user", "create", "--email", email, "--username", username,
                   "--password", PASSWORD, "--verified")
        token = cli(binary, database, "user", "token", "--email", email)
        app = cli(binary, database, "app", "create", "--owner", user["id"], "--name", "Adversarial App",
                  "--redirect-uri", REDIRECT_URI)
        seed_data = {"user": user, "email": email, "password": PASSWORD, "token": token["token"], "app": app}
    port = _free_port()
    base = f"http://{HOST}:{port}"
    env = dict(os.environ,
               FLUXER_AUTH_PUBLIC_URL=base,
               FLUXER_AUTH_SERVER_HEAD_TIMEOUT_MS=str(HEAD_TIMEOUT_MS),
               FLUXER_AUTH_SERVER_BODY_TIMEOUT_MS=str(BODY_TIMEOUT_MS),
               FLUXER_AUTH_SERVER_REQUEST_TIMEOUT_MS=str(REQUEST_TIMEOUT_MS),
               FLUXER_AUTH_RATELIMIT_ENABLED="false",
               # Single sign-on with the built-in dev provider, so /auth/sso/* and the authorize page's SSO form
               # are swept too (not enforced: every other route behaves as without it).
               FLUXER_AUTH_SSO_ENABLED="true",
               FLUXER_AUTH_SSO_ISSUER="mock",
               FLUXER_AUTH_SSO_LINK_EXISTING_ACCOUNTS="true",  # so POST /users/@me/sso/link reads its body
               FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL_IP="100000/1m",
               FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL="100000/1m",
               FLUXER_AUTH_RATELIMIT_LOGIN_IP="100000/1m",
               FLUXER_AUTH_RATELIMIT_FORGOT_EMAIL_IP="100000/1m",
               FLUXER_AUTH_RATELIMIT_FORGOT_EMAIL="100000/1m",
               FLUXER_AUTH_RATELIMIT_SMS_SEND_IP="100000/1m",
               FLUXER_AUTH_RATELIMIT_FORGOT_IP="100000/1m",
               FLUXER_AUTH_LOG_ACCESS="false")
    env.update(extra_env or {})
    srv = Server(binary, database, port, base, tmp, env, log_path=os.path.join(tmp, "server.log"), seed=seed_data)
    with open(srv.log_path, "wb") as log:
        srv.process = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--database", database],
                                       cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       preexec_fn=_server_preexec)
    deadline = time.monotonic() + 30
    while True:
        if srv.process.poll() is not None:
            pytest.fail(f"fluxer-auth serve exited with {srv.process.returncode}:\n{srv.log_tail()}", pytrace=False)
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return srv
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop_server(srv)
            pytest.fail(f"fluxer-auth serve did not answer /healthz within 30 s:\n{srv.log_tail()}", pytrace=False)
        time.sleep(0.1)


def stop_server(srv):
    if srv.process is None or srv.process.poll() is not None:
        return srv.process.returncode if srv.process else None
    srv.process.send_signal(signal.SIGTERM)
    try:
        return srv.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        srv.process.kill()
        return srv.process.wait()


@pytest.fixture(scope="session")
def server():
    with tempfile.TemporaryDirectory(prefix="fluxer-adversarial-") as tmp:
        srv = start_server(tmp)
        try:
            yield srv
        finally:
            # The server must have survived everything the suite threw at it.
            crashed = srv.process.poll() is not None
            stop_server(srv)
            if crashed:
                pytest.fail(f"fluxer-auth died during the suite ({srv.process.returncode}):\n{srv.log_tail()}",
                            pytrace=False)


# ---------------------------------------------------------------------------------------------------------------
# Raw socket client.


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list  # [(name, value)] in wire order, names as sent
    body: bytes
    raw_head: bytes

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def json(self):
        return json.loads(self.body)


class Closed(Exception):
    """The peer closed (FIN or RST) before a complete response arrived."""

    def __init__(self, how, partial=b""):
        super().__init__(f"connection {how} after {len(partial)} bytes: {partial[:200]!r}")
        self.how = how
        self.partial = partial


class RawClient:
    """One TCP connection to the server; exact bytes out, parsed responses in."""

    def __init__(self, port, host=HOST, timeout=5.0, source=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.eof = None  # None, "FIN" or "RST"

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        """Sends every byte; returns False when the server already closed (EPIPE/ECONNRESET)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def _fill(self, deadline):
        """Reads more bytes into the buffer; raises Closed on FIN/RST, TimeoutError past the deadline."""
        if self.eof:
            raise Closed(self.eof, self.buf)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete response before the deadline; have {self.buf[:200]!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError(f"no complete response before the deadline; have {self.buf[:200]!r}") from None
        except ConnectionResetError:
            self.eof = "RST"
            raise Closed("RST", self.buf) from None
        if not chunk:
            self.eof = "FIN"
            raise Closed("FIN", self.buf)
        self.buf += chunk

    def read_response(self, timeout=5.0, head=False):
        """Reads one response (interim 1xx included). `head=True` when it answers a HEAD (no body follows)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        end = self.buf.index(b"\r\n\r\n") + 4
        raw_head, self.buf = self.buf[:end], self.buf[end:]
        lines = raw_head[:-4].split(b"\r\n")
        version, _, rest = lines[0].decode("latin-1").partition(" ")
        code, _, reason = rest.partition(" ")
        headers = []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name, value.strip()))
        resp = Response(int(code), reason, version, headers, b"", raw_head)
        status = resp.status
        if 100 <= status < 200 or status in (204, 304) or head:
            return resp
        te = resp.header("Transfer-Encoding")
        cl = resp.header("Content-Length")
        if te is not None:
            body = b""
            while True:
                while b"\r\n" not in self.buf:
                    self._fill(deadline)
                i = self.buf.index(b"\r\n")
                size = int(self.buf[:i].split(b";")[0], 16)
                self.buf = self.buf[i + 2:]
                if size == 0:
                    while b"\r\n\r\n" not in b"\r\n" + self.buf:
                        self._fill(deadline)
                    j = (b"\r\n" + self.buf).index(b"\r\n\r\n")
                    self.buf = self.buf[j + 2:]
                    break
                while len(self.buf) < size + 2:
                    self._fill(deadline)
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
            resp.body = body
        elif cl is not None:
            n = int(cl)
            while len(self.buf) < n:
                self._fill(deadline)
            resp.body, self.buf = self.buf[:n], self.buf[n:]
        else:
            while True:  # close-delimited
                try:
                    self._fill(deadline)
                except Closed:
                    break
            resp.body, self.buf = self.buf, b""
        return resp

    def read_final(self, timeout=5.0, head=False):
        """Reads responses until a non-1xx one; returns (interims, final)."""
        interims = []
        deadline = time.monotonic() + timeout
        while True:
            r = self.read_response(max(0.01, deadline - time.monotonic()), head=head)
            if r.status >= 200:
                return interims, r
            interims.append(r)

    def wait_closed(self, timeout=3.0):
        """'FIN' or 'RST' when the server closes within `timeout` (any unread bytes are discarded), else 'OPEN'."""
        if self.eof:
            return self.eof
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._fill(deadline)
            except Closed as c:
                return c.how
            except TimeoutError:
                return "OPEN"

    def is_open(self, timeout=0.3):
        return self.wait_closed(timeout) == "OPEN"


def exchange(port, payload, timeout=5.0, head=False):
    """Sends `payload` on a fresh connection; returns (response or None, client). The caller closes the client."""
    c = RawClient(port, timeout=timeout)
    c.send(payload)
    try:
        return c.read_final(timeout, head=head)[1], c
    except Closed:
        return None, c


def healthz_ok(port, timeout=3.0):
    """A fresh connection is served: GET /healthz → 200."""
    with RawClient(port, timeout=timeout) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        r = c.read_response(timeout)
        return r.status == 200


@pytest.fixture
def raw(server):
    clients = []

    def factory(timeout=5.0):
        c = RawClient(server.port, timeout=timeout)
        clients.append(c)
        return c

    yield factory
    for c in clients:
        c.close()
