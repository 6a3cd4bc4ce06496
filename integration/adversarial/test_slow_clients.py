"""Checklist §2.1 timeouts/limits and §2.2 H28 (slowloris), H29 (slow body), H31 (connection flood).

The session server runs with head and body timeouts of 2 s (conftest.py), so the attacks here last seconds.
While each attack runs, a normal client keeps probing GET /healthz on fresh connections; every probe must answer
200 in under a second. The flood tests start their own servers (a long head timeout so idle sockets stay, and a
connection cap) and clean every socket up at the end.
"""

import select
import socket
import tempfile
import threading
import time
import warnings

import pytest

from conftest import (BODY_TIMEOUT_MS, HEAD_TIMEOUT_MS, HOST, Closed, RawClient, healthz_ok, raise_nofile,
                      start_server, stop_server)

PROBE_BUDGET_S = 1.0


class Prober(threading.Thread):
    """GET /healthz on a fresh connection every `interval` s until stopped; records each latency (inf = failure)."""

    def __init__(self, port, interval=0.4):
        super().__init__(daemon=True)
        self.port, self.interval = port, interval
        self.latencies, self.errors = [], []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                with RawClient(self.port, timeout=PROBE_BUDGET_S * 3) as c:
                    c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    r = c.read_response(timeout=PROBE_BUDGET_S * 3)
                    ok = r.status == 200
            except (OSError, Closed, TimeoutError) as e:
                ok = False
                self.errors.append(repr(e))
            self.latencies.append(time.monotonic() - t0 if ok else float("inf"))
            self.stop.wait(self.interval)

    def check(self, minimum=5):
        assert len(self.latencies) >= minimum, f"only {len(self.latencies)} probes ran"
        worst = max(self.latencies)
        assert worst < PROBE_BUDGET_S, f"a normal client waited {worst:.3f} s (budget {PROBE_BUDGET_S} s); " \
                                       f"latencies={[round(x, 3) for x in self.latencies]} errors={self.errors[:3]}"


def _connect(port, source=None):
    """A non-blocking TCP connection to the server, from the loopback address `source` when given."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if source:
        s.bind((source, 0))
    s.settimeout(5)
    s.connect((HOST, port))
    s.setblocking(False)
    return s


def _closed_state(s):
    """None while open and silent; else ('408'|'data'|'FIN'|'RST', bytes read)."""
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except BlockingIOError:
            return ("408" if data.startswith(b"HTTP/1.1 408") else "data", data) if data else None
        except ConnectionResetError:
            return ("RST", data)
        if not chunk:
            return ("408" if data.startswith(b"HTTP/1.1 408") else "FIN", data)
        data += chunk


def test_H28_H29_slowloris_200_sockets_and_slow_body_while_normal_client_served(server):
    """H28: 200 sockets each send a never-ending head, 1 byte every 500 ms; H29: one client sends valid headers
    with Content-Length 60,000 and then stalls. Every slow socket is closed at the head timeout (2 s; 408 or a
    silent close) and reopened, for ~5 s of sustained attack; the slow body gets 408 at the body timeout (2 s);
    meanwhile ≥ 5 normal GET /healthz probes each answer in < 1 s."""
    n, tick, duration = 200, 0.5, 5.0
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000_000
    prober = Prober(server.port)
    sockets = {}  # slot → (socket, first byte time, bytes sent)
    lifetimes, outcomes = [], {}
    for i in range(n):
        sockets[i] = (_connect(server.port), None, 0)
    slow_body = RawClient(server.port, timeout=10)
    slow_body.send(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 60000\r\n\r\n{\"email\":")
    body_started = time.monotonic()
    prober.start()
    try:
        start = time.monotonic()
        while time.monotonic() - start < duration:
            now = time.monotonic()
            for i, (s, first, sent) in list(sockets.items()):
                state = _closed_state(s)
                if state is not None:
                    outcomes[state[0]] = outcomes.get(state[0], 0) + 1
                    if first is not None:
                        lifetimes.append(now - first)
                    s.close()
                    sockets[i] = (_connect(server.port), None, 0)
                    continue
                try:
                    s.send(head[sent:sent + 1])
                    sockets[i] = (s, first if first is not None else now, sent + 1)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # picked up as closed on the next tick
            time.sleep(tick)
        # The slow body stalled after 9 bytes: 408 after the 2 s body timeout, then close.
        try:
            r = slow_body.read_response(timeout=1)
            assert r.status == 408, r.status
            assert r.header("Connection") == "close"
        except Closed as c:
            pytest.fail(f"slow body closed without 408 ({c.how})")
        except TimeoutError:
            pytest.fail(f"slow body still open {time.monotonic() - body_started:.1f} s after its last byte "
                        f"(body timeout {BODY_TIMEOUT_MS} ms)")
        assert slow_body.wait_closed(3) in ("FIN", "RST")
    finally:
        prober.stop.set()
        prober.join(10)
        slow_body.close()
        for s, _, _ in sockets.values():
            s.close()
    prober.check(minimum=5)
    assert server.alive(), server.log_tail()
    # Every slot was closed by the server at least once, at about the head timeout after its first byte.
    assert len(lifetimes) >= n, f"only {len(lifetimes)} slowloris sockets were closed by the server ({outcomes})"
    timeout_s = HEAD_TIMEOUT_MS / 1000
    early = [t for t in lifetimes if t < timeout_s - 0.6]
    late = [t for t in lifetimes if t > timeout_s + 2.0]
    assert not early, f"{len(early)} sockets closed before the head timeout: {sorted(early)[:5]}"
    assert not late, f"{len(late)} sockets closed long after the head timeout: {sorted(late)[-5:]}"
    assert set(outcomes) <= {"408", "FIN", "RST"}, outcomes
    print(f"\nH28: {len(lifetimes)} slowloris closes {outcomes}, lifetime {min(lifetimes):.2f}–{max(lifetimes):.2f} s; "
          f"probes {len(prober.latencies)}, worst {max(prober.latencies) * 1000:.0f} ms")
    assert healthz_ok(server.port)


def test_H28_silent_socket_closed_at_head_timeout(server):
    """§2.1: a connection that never sends a byte is closed silently (no 408) at the head timeout."""
    with RawClient(server.port, timeout=10) as c:
        t0 = time.monotonic()
        how = c.wait_closed(HEAD_TIMEOUT_MS / 1000 + 3)
        elapsed = time.monotonic() - t0
        assert how == "FIN", how
        assert c.buf == b"", c.buf[:100]
        assert HEAD_TIMEOUT_MS / 1000 - 0.5 <= elapsed <= HEAD_TIMEOUT_MS / 1000 + 2.5, elapsed


def test_H28_partial_head_gets_408_and_close(server):
    """§2.1 / RFC 9110 §15.5.9: partial head bytes then silence → 408 + Connection: close at the head timeout."""
    with RawClient(server.port, timeout=10) as c:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        r = c.read_response(timeout=HEAD_TIMEOUT_MS / 1000 + 3)
        elapsed = time.monotonic() - t0
        assert r.status == 408 and r.header("Connection") == "close"
        assert r.json()["code"] == "REQUEST_TIMEOUT"
        assert HEAD_TIMEOUT_MS / 1000 - 0.5 <= elapsed <= HEAD_TIMEOUT_MS / 1000 + 2.5, elapsed
        assert c.wait_closed(3) in ("FIN", "RST")


def test_H29_slow_chunked_body_stalls_408(server):
    """H29 for chunked framing: a chunk promised and not delivered → 408 at the body timeout."""
    with RawClient(server.port, timeout=10) as c:
        c.send(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n100\r\n{\"a\":")
        r = c.read_response(timeout=BODY_TIMEOUT_MS / 1000 + 3)
        assert r.status == 408
        assert c.wait_closed(3) in ("FIN", "RST")


# ---------------------------------------------------------------------------------------------------------------
# H31: connection flood.


def _open_many(port, count):
    socks, failures = [], 0
    for _ in range(count):
        try:
            socks.append(_connect(port))
        except OSError:
            failures += 1
            if failures > 20:
                break
    return socks


@pytest.fixture(scope="module")
def flood_server():
    """A server that keeps idle sockets (head timeout 60 s) with a cap of 5,100 connections."""
    with tempfile.TemporaryDirectory(prefix="fluxer-adversarial-flood-") as tmp:
        srv = start_server(tmp, {"FLUXER_AUTH_SERVER_HEAD_TIMEOUT_MS": "60000",
                                 "FLUXER_AUTH_SERVER_MAX_CONNECTIONS": "5100",
                                 # One address floods here: the global cap is under test, not the per-IP one.
                                 "FLUXER_AUTH_SERVER_MAX_CONNECTIONS_PER_IP": "0"}, seed=False)
        try:
            yield srv
        finally:
            alive = srv.alive()
            stop_server(srv)
            assert alive, srv.log_tail()


def test_H31_5000_idle_connections_then_cap_503(flood_server):
    """H31: 5,000 idle connections are held without running out of descriptors; new connections are still
    served (< 1 s); beyond server.max_connections (5,100) new ones get 503 + Retry-After + close instead of
    hanging; after the flood is closed the server serves normally."""
    srv = flood_server
    wanted = 5000
    client_limit = raise_nofile(wanted + 1000)
    server_limit = srv.nofile_limit() or 0
    target = min(wanted, client_limit - 300, server_limit - 300)
    if target < wanted:
        warnings.warn(f"H31: descriptor limits (client {client_limit}, server {server_limit}) allow only "
                      f"{target} idle connections, not {wanted}")
    assert target >= 1000, f"descriptor limits too low to run a meaningful flood ({client_limit}, {server_limit})"
    socks = []
    extra = []
    try:
        t0 = time.monotonic()
        socks = _open_many(srv.port, target)
        opened = time.monotonic() - t0
        assert len(socks) == target, f"only {len(socks)} of {target} connections could be opened"
        # New connections are served while the flood sits idle.
        for _ in range(5):
            t1 = time.monotonic()
            assert healthz_ok(srv.port, timeout=3)
            assert time.monotonic() - t1 < PROBE_BUDGET_S
        assert srv.alive()
        fds = srv.open_fds()
        # The server really holds them (each accepted socket is one descriptor).
        deadline = time.monotonic() + 5
        while fds is not None and fds < target and time.monotonic() < deadline:
            time.sleep(0.1)
            fds = srv.open_fds()
        assert fds is None or fds >= target, f"server holds {fds} descriptors for {target} connections"
        # None of the idle ones was dropped.
        readable, _, _ = select.select(socks[:1000], [], [], 0)
        assert not readable, f"{len(readable)} idle connections were closed or answered"
        # Past the cap (5,100): open 300 more; the ones beyond the cap must be answered 503 and closed.
        cap = 5100
        extra = _open_many(srv.port, 300)
        time.sleep(1.0)
        refused, kept = 0, 0
        for s in extra:
            state = _closed_state(s)
            if state is None:
                kept += 1
                continue
            assert state[1].startswith(b"HTTP/1.1 503 "), state[1][:200]
            assert b"Retry-After:" in state[1] and b"Connection: close" in state[1], state[1][:400]
            refused += 1
        if target == wanted:
            assert kept <= cap - target, f"{kept} connections kept beyond the cap"
            assert refused >= len(extra) - (cap - target), f"only {refused} refused, {kept} kept"
        assert refused > 0 or target < wanted
        print(f"\nH31: {len(socks)} idle connections opened in {opened:.2f} s; server fds {fds}; "
              f"beyond the cap: {refused} refused with 503, {kept} kept")
    finally:
        for s in socks + extra:
            s.close()
    # After the flood: the server recovers and serves.
    deadline = time.monotonic() + 10
    while True:
        try:
            if healthz_ok(srv.port, timeout=2):
                break
        except (OSError, Closed, TimeoutError):
            pass
        assert time.monotonic() < deadline, "not serving after the flood was closed"
        time.sleep(0.2)
    assert srv.alive()
    # The descriptors were released.
    deadline = time.monotonic() + 10
    while (srv.open_fds() or 0) > 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (srv.open_fds() or 0) <= 200, f"server still holds {srv.open_fds()} descriptors"


def test_H31_per_ip_cap_one_address_cannot_take_every_slot():
    """H31 per IP (issue 12): with server.max_connections_per_ip = 40, one address holding 40 idle sockets gets
    503 + close on its 41st, while another address (127.0.0.2) is served at once; closing the flood frees it."""
    with tempfile.TemporaryDirectory(prefix="fluxer-adversarial-perip-") as tmp:
        srv = start_server(tmp, {"FLUXER_AUTH_SERVER_HEAD_TIMEOUT_MS": "60000",
                                 "FLUXER_AUTH_SERVER_MAX_CONNECTIONS_PER_IP": "40"}, seed=False)
        socks = []
        try:
            # From 127.0.0.3, an address nothing else uses. From 127.0.0.1 the test failed about 1 run in 3 to 7:
            # a connection from that address it did not open (most likely the dev server reaching its own
            # built-in providers, kept open by libcurl's cache and closed later) counted toward the cap, so the
            # 41st socket could land under it. 10 runs of 10 pass from 127.0.0.3.
            socks = [_connect(srv.port, "127.0.0.3") for _ in range(40)]
            time.sleep(0.5)
            extra = _connect(srv.port, "127.0.0.3")
            time.sleep(0.5)
            state = _closed_state(extra)
            extra.close()
            assert state is not None and state[1].startswith(b"HTTP/1.1 503 "), state
            assert b"Retry-After:" in state[1] and b"Connection: close" in state[1], state[1][:400]
            with RawClient(srv.port, timeout=3, source="127.0.0.2") as c:
                c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert c.read_response(3).status == 200
            readable, _, _ = select.select(socks, [], [], 0)
            assert not readable, "idle connections under the cap were dropped"
            for s in socks:
                s.close()
            socks = []
            deadline = time.monotonic() + 5
            while not _served_from(srv.port, "127.0.0.3"):
                assert time.monotonic() < deadline, "127.0.0.3 not served after its connections closed"
                time.sleep(0.1)
            assert srv.alive()
        finally:
            for s in socks:
                s.close()
            stop_server(srv)


def _served_from(port, source):
    try:
        with RawClient(port, timeout=2, source=source) as c:
            c.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return c.read_response(2).status == 200
    except (OSError, Closed, TimeoutError):
        return False


# ---------------------------------------------------------------------------------------------------------------
# Longer runs: the checklist's exact parameters against the default timeouts (make test-adversarial-long).


@pytest.fixture(scope="module")
def default_timeout_server():
    with tempfile.TemporaryDirectory(prefix="fluxer-adversarial-defaults-") as tmp:
        # The defaults for every timeout, the whole-request one included (the suite's other servers use 4 s).
        srv = start_server(tmp, {"FLUXER_AUTH_SERVER_HEAD_TIMEOUT_MS": "10000",
                                 "FLUXER_AUTH_SERVER_BODY_TIMEOUT_MS": "10000",
                                 "FLUXER_AUTH_SERVER_REQUEST_TIMEOUT_MS": "60000"}, seed=False)
        try:
            yield srv
        finally:
            alive = srv.alive()
            stop_server(srv)
            assert alive, srv.log_tail()


@pytest.mark.slow
def test_H28_slowloris_checklist_parameters_default_timeouts(default_timeout_server):
    """H28 exactly as the checklist words it: 200 sockets, 1 byte / 2 s, default 10 s head timeout; each socket
    is closed at ~10 s; a normal client gets 200 in < 1 s throughout (≥ 20 probes)."""
    srv = default_timeout_server
    socks = [_connect(srv.port) for _ in range(200)]
    first = {}
    closed_at = {}
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    prober = Prober(srv.port, interval=0.5)
    prober.start()
    try:
        start = time.monotonic()
        k = 0
        while len(closed_at) < len(socks) and time.monotonic() - start < 16:
            now = time.monotonic()
            for i, s in enumerate(socks):
                if i in closed_at:
                    continue
                if _closed_state(s) is not None:
                    closed_at[i] = now
                    continue
                try:
                    s.send(head[k:k + 1])
                    first.setdefault(i, now)
                except OSError:
                    closed_at[i] = now
            k += 1
            time.sleep(2)
    finally:
        prober.stop.set()
        prober.join(10)
        for s in socks:
            s.close()
    prober.check(minimum=20)
    assert len(closed_at) == len(socks), f"{len(socks) - len(closed_at)} sockets still open after 16 s"
    lifetimes = [closed_at[i] - first[i] for i in closed_at if i in first]
    assert min(lifetimes) >= 9.0 and max(lifetimes) <= 14.5, (min(lifetimes), max(lifetimes))


@pytest.mark.slow
def test_H29_slow_body_trickle_is_not_cut_by_idle_timeout_but_stall_is(default_timeout_server):
    """H29 (R.U.D.Y.): the body timeout is an *idle* timeout (README: "the body stalls for 10 s"). A trickle of
    1 byte / 2 s keeps progressing, so it is held (bounded only by max_connections); once it stalls for 10 s it
    gets 408. Documents the behaviour; the checklist allows "body idle / total timeout"."""
    srv = default_timeout_server
    with RawClient(srv.port, timeout=30) as c:
        c.send(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: 60000\r\n\r\n")
        for _ in range(7):  # 14 s of trickle: longer than the 10 s idle timeout
            assert c.send(b" ")
            time.sleep(2)
        assert c.is_open(0.1), "the trickling body was cut although it kept progressing"
        t0 = time.monotonic()
        r = c.read_response(timeout=14)
        assert r.status == 408
        assert 9.0 <= time.monotonic() - t0 + 2 <= 13.5
    assert healthz_ok(srv.port)


def test_H29_trickling_body_is_cut_at_the_request_timeout(server):
    """H29 (R.U.D.Y.): a body that keeps progressing (1 byte per 0.5 s, well inside the 2 s idle timeout even on a
    loaded host) is still cut when the whole request exceeds server.request_timeout_ms (4 s here): 408, then close."""
    from conftest import REQUEST_TIMEOUT_MS
    with RawClient(server.port, timeout=15) as c:
        t0 = time.monotonic()
        c.send(b"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: 60000\r\n\r\n")
        import select
        for _ in range(24):
            readable, _, _ = select.select([c.sock], [], [], 0.5)
            if readable or not c.send(b" "):
                break
        r = c.read_response(timeout=5)
        status = r.status
        elapsed = time.monotonic() - t0
    assert status == 408
    assert REQUEST_TIMEOUT_MS / 1000 - 0.5 <= elapsed <= REQUEST_TIMEOUT_MS / 1000 + 3, elapsed
    assert healthz_ok(server.port)


@pytest.mark.slow
def test_H30_slow_read_client_dropped_and_others_served(server):
    """H30: a client pipelines many requests and never reads. The server stops reading once its output backs up,
    keeps serving others (< 1 s) and does not grow without bound; the write timeout (30 s) eventually drops it."""
    s = _connect(server.port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    req = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    sent = 0
    prober = Prober(server.port, interval=0.5)
    prober.start()
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                sent += s.send(req * 64)
            except BlockingIOError:
                time.sleep(0.05)
            except OSError:
                break
        time.sleep(2)
    finally:
        prober.stop.set()
        prober.join(10)
    prober.check(minimum=5)
    # The write timeout is 30 s: by then the server must have dropped the connection. Unread requests remain in
    # its receive buffer, so its close() sends RST, and our next send() fails.
    t0 = time.monotonic()
    gone = False
    while time.monotonic() - t0 < 40 and not gone:
        time.sleep(1)
        try:
            s.send(req)
        except BlockingIOError:
            continue
        except OSError:
            gone = True
    s.close()
    assert server.alive()
    assert gone, "a client that never reads was not dropped within 40 s (write timeout 30 s)"
