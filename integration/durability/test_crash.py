"""DB-01: kill -9 under a login and refresh-rotation load, restart on the same file, check that nothing a
client received was lost.

The client side is honest about what it knows. It records only responses it received in full (a 200 with a
parsed JSON body). A refresh whose response never arrived is *uncertain*: the server may or may not have
committed the rotation before it died, so for that chain the test accepts either outcome after the restart,
but they must agree with each other (rotation deletes the old access token in the same transaction):
    last access token 200  <=>  last refresh token still refreshes.
Every other chain is *certain*: its last access token must answer 200 and its last refresh token must
rotate, and every recorded session token must answer 200. A miss means the server answered before its
commit was durable.

After every restart: `PRAGMA integrity_check` = ok, `foreign_key_check` empty, no refresh family with two
unused refresh tokens, and a code redeemed before the crash is still refused after it.

Environment: DURABILITY_ITERATIONS (default 3), DURABILITY_SEED (default random, always printed and part of
every failure message), DURABILITY_THREADS (default 4).
"""

import os
import random
import tempfile
import threading
import time

import pytest
import requests

from harness import (PASSWORD, ServerProcess, authorize_code, binary, cli, exchange_code, integrity, login, me,
                     readonly, refresh)

ITERATIONS = int(os.environ.get("DURABILITY_ITERATIONS", "3"))
THREADS = int(os.environ.get("DURABILITY_THREADS", "4"))
SEED = int(os.environ.get("DURABILITY_SEED", str(random.SystemRandom().randrange(1 << 32))))
OLD_SESSION_SAMPLE = 50


class Chain:
    """One client's refresh chain: the latest tokens it received, and whether a refresh was in flight."""

    def __init__(self, access, refresh_token):
        self.access = access
        self.refresh = refresh_token
        self.uncertain = False
        self.rotations = 0


class Worker(threading.Thread):
    def __init__(self, index, server, app, email, chain, stop, rng_seed):
        super().__init__(name=f"durability-{index}", daemon=True)
        self.index, self.server, self.app, self.email = index, server, app, email
        self.chain = chain
        self.stop = stop
        self.rng = random.Random(rng_seed)
        self.sessions = []          # session tokens received this iteration
        self.redeemed_codes = []    # codes whose exchange answered 200 this iteration
        self.errors = []
        self.refreshes = 0

    def _unexpected(self, what, resp):
        self.errors.append(f"{what} answered {resp.status_code} while the server was up: {resp.text[:200]}")

    def _died(self, what, exc):
        # The kill comes first and the stop flag right after; a failure with no kill behind it is a real error.
        if not self.stop.wait(5):
            self.errors.append(f"{what} failed with the server still supposed to be up: {exc!r}")

    def _session(self, http):
        resp = login(http, self.server, self.email)
        assert resp.status_code == 200, f"login answered {resp.status_code}"
        self.sessions.append(resp.json()["token"])
        return self.sessions[-1]

    def run(self):
        http = requests.Session()
        try:
            self._run(http)
        finally:
            http.close()

    def _run(self, http):
        s = self.server
        try:
            if self.chain is None:
                resp = login(http, s, self.email)
                if resp.status_code != 200:
                    return self._unexpected("login", resp)
                session = resp.json()["token"]
                self.sessions.append(session)
                code = authorize_code(http, s, session, self.app["client_id"])
                resp = exchange_code(http, s, self.app, code)
                if resp.status_code != 200:
                    return self._unexpected("code exchange", resp)
                body = resp.json()
                self.chain = Chain(body["access_token"], body["refresh_token"])
            if self.index == 0:
                # A throwaway grant whose code is presented again after the restart. (Not the chain's own code:
                # a replayed code revokes everything issued from it, RFC 6749 §4.1.2.)
                code = authorize_code(http, s, self.sessions[-1] if self.sessions else self._session(http),
                                      self.app["client_id"])
                resp = exchange_code(http, s, self.app, code)
                if resp.status_code != 200:
                    return self._unexpected("code exchange", resp)
                resp.json()["access_token"]
                self.redeemed_codes.append(code)
        except (requests.RequestException, ValueError, AssertionError, KeyError) as exc:
            return self._died("chain start", exc)
        while not self.stop.is_set():
            if self.rng.random() < 0.5:
                try:
                    resp = login(http, s, self.email)
                    if resp.status_code != 200:
                        return self._unexpected("login", resp)
                    self.sessions.append(resp.json()["token"])
                except (requests.RequestException, ValueError) as exc:
                    return self._died("login", exc)
            else:
                self.chain.uncertain = True
                try:
                    resp = refresh(http, s, self.app, self.chain.refresh)
                    if resp.status_code != 200:
                        return self._unexpected("refresh", resp)
                    body = resp.json()
                    access, refresh_token = body["access_token"], body["refresh_token"]
                except (requests.RequestException, ValueError, KeyError) as exc:
                    return self._died("refresh", exc)   # chain stays uncertain
                self.chain.access, self.chain.refresh = access, refresh_token
                self.chain.uncertain = False
                self.chain.rotations += 1
                self.refreshes += 1


def test_kill9_under_login_and_refresh_load_loses_nothing_received(tmp_path_factory):
    bin_path = binary()
    if bin_path is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth`", pytrace=False)
    rng = random.Random(SEED)
    print(f"\nDB-01 seed={SEED} iterations={ITERATIONS} threads={THREADS}")
    workdir = str(tmp_path_factory.mktemp("durability-crash"))
    database = os.path.join(workdir, "auth.sqlite")
    owner = cli(bin_path, database, "user", "create", "--email", "owner@example.com", "--username", "owner",
                "--password", PASSWORD, "--verified")
    app = cli(bin_path, database, "app", "create", "--owner", owner["id"], "--name", "Durability",
              "--redirect-uri", "http://127.0.0.1:8765/callback")
    emails = []
    for i in range(THREADS):
        email = f"load{i}@example.com"
        cli(bin_path, database, "user", "create", "--email", email, "--username", f"load{i}", "--password", PASSWORD,
            "--verified")
        emails.append(email)

    server = ServerProcess(bin_path, database, workdir)
    chains = [None] * THREADS
    all_sessions = []        # (iteration, token)
    pending_sessions = []    # received during the last iteration, not yet checked
    pending_codes = []
    stats = {"sessions_checked": 0, "access_checked": 0, "refresh_checked": 0, "codes_checked": 0,
             "uncertain_chains": 0, "uncertain_committed": 0, "refreshes": 0, "logins": 0, "kills": 0}
    http = requests.Session()

    def where(it):
        return f"[seed={SEED} iteration={it}; server log {server.log_path}]"

    def verify(it):
        # (1) the file itself
        check, fks = integrity(database)
        assert check == ["ok"], f"integrity_check: {check} {where(it)}"
        assert fks == [], f"foreign_key_check: {fks} {where(it)}"
        con = readonly(database)
        try:
            doubles = con.execute("SELECT family_id, count(*) FROM oauth2_tokens WHERE kind='refresh' AND used_at IS NULL "
                                  "GROUP BY family_id HAVING count(*) > 1").fetchall()
        finally:
            con.close()
        assert doubles == [], f"refresh families with two live refresh tokens: {doubles} {where(it)}"
        # (2) every session received in the last run, and a sample of older ones
        older = [t for _, t in all_sessions[:len(all_sessions) - len(pending_sessions)]]
        sample = rng.sample(older, min(OLD_SESSION_SAMPLE, len(older)))
        for token in pending_sessions + sample:
            resp = me(http, server, token)
            assert resp.status_code == 200, f"received session token answers {resp.status_code}: {resp.text[:200]} {where(it)}"
            stats["sessions_checked"] += 1
        pending_sessions.clear()
        # (4) a code redeemed before the crash stays redeemed
        for code in pending_codes:
            resp = exchange_code(http, server, app, code)
            assert resp.status_code == 400 and resp.json().get("error") == "invalid_grant", \
                f"a code redeemed before the crash answers {resp.status_code}: {resp.text[:200]} {where(it)}"
            stats["codes_checked"] += 1
        pending_codes.clear()
        # (2) the chains; the access token first, since presenting a rotated refresh token revokes the grant
        for i, chain in enumerate(chains):
            if chain is None:
                continue
            at = me(http, server, "Bearer " + chain.access)
            assert at.status_code in (200, 401), f"chain {i} access token answers {at.status_code}: {at.text[:200]} {where(it)}"
            rt = refresh(http, server, app, chain.refresh)
            assert rt.status_code in (200, 400), f"chain {i} refresh answers {rt.status_code}: {rt.text[:200]} {where(it)}"
            stats["access_checked"] += 1
            stats["refresh_checked"] += 1
            if not chain.uncertain:
                assert at.status_code == 200, \
                    f"chain {i}: the last access token received was lost ({at.status_code}) {where(it)}"
                assert rt.status_code == 200, \
                    f"chain {i}: the last refresh token received no longer refreshes: {rt.text[:200]} {where(it)}"
            else:
                stats["uncertain_chains"] += 1
                # Either the in-flight rotation never committed (both still work) or it did (both are gone).
                assert (at.status_code == 200) == (rt.status_code == 200), \
                    (f"chain {i}: half a rotation survived the crash: access {at.status_code}, refresh {rt.status_code}: "
                     f"{rt.text[:200]} {where(it)}")
            if rt.status_code == 200:
                body = rt.json()
                chain.access, chain.refresh, chain.uncertain = body["access_token"], body["refresh_token"], False
                again = me(http, server, "Bearer " + chain.access)
                assert again.status_code == 200, f"chain {i}: the fresh access token answers {again.status_code} {where(it)}"
            else:
                assert rt.json().get("error") == "invalid_grant", f"chain {i}: {rt.text[:200]} {where(it)}"
                stats["uncertain_committed"] += 1
                chains[i] = None   # the grant is gone (the reused token revoked it); start a new one
        # (3) again, after our own rotations and reuse
        con = readonly(database)
        try:
            doubles = con.execute("SELECT family_id, count(*) FROM oauth2_tokens WHERE kind='refresh' AND used_at IS NULL "
                                  "GROUP BY family_id HAVING count(*) > 1").fetchall()
        finally:
            con.close()
        assert doubles == [], f"refresh families with two live refresh tokens after the checks: {doubles} {where(it)}"

    try:
        for it in range(ITERATIONS):
            server.start()
            if it > 0:
                verify(it)
            stop = threading.Event()
            workers = [Worker(i, server, app, emails[i], chains[i], stop, rng.randrange(1 << 32)) for i in range(THREADS)]
            for w in workers:
                w.start()
            time.sleep(rng.uniform(0.3, 2.0))
            server.kill9()
            stats["kills"] += 1
            stop.set()
            for w in workers:
                w.join(timeout=30)
                assert not w.is_alive(), f"worker {w.name} hung {where(it)}"
            errors = [e for w in workers for e in w.errors]
            assert not errors, f"{errors} {where(it)}"
            for i, w in enumerate(workers):
                chains[i] = w.chain
                all_sessions.extend((it, t) for t in w.sessions)
                pending_sessions.extend(w.sessions)
                pending_codes.extend(w.redeemed_codes)
                stats["logins"] += len(w.sessions)
                stats["refreshes"] += w.refreshes
        server.start()
        verify(ITERATIONS)
        server.stop()
        check, fks = integrity(database)
        assert check == ["ok"] and fks == [], f"after a clean stop: {check} {fks} {where(ITERATIONS)}"
    finally:
        http.close()
        server.kill9()
    print(f"DB-01 seed={SEED}: " + ", ".join(f"{k}={v}" for k, v in stats.items()))
    assert stats["logins"] > 0 and stats["refreshes"] > 0, f"no load reached the server: {stats}"
