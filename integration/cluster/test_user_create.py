"""200 concurrent `fluxer-auth user create` runs against the live cluster's database (32 at a time), while the
three nodes sign users up themselves: every run succeeds, no id is minted twice, no unique-constraint error,
and the nodes keep serving (issue 13: snowflake worker ids are leased per process from the database)."""

import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from cluster_harness import PASSWORD, login

RUNS = 200
PARALLEL = 32


def test_200_concurrent_user_creates_against_the_live_cluster_never_collide(cluster, nodes):
    stop = threading.Event()
    web_ids, web_errors = [], []

    def sign_up():
        # The nodes mint ids too while the CLI runs: round-robin sign-ups on A, B, C.
        http = requests.Session()
        for n in itertools.count():
            if stop.is_set():
                return
            node = nodes[n % len(nodes)]
            try:
                resp = http.post(node.url("/auth/register"), timeout=30, json={
                    "email": f"web-{n}@example.com", "username": f"web{n}", "password": PASSWORD,
                    "date_of_birth": "1990-01-01", "consent": True})
            except requests.RequestException as exc:
                web_errors.append(f"node {node.name}: {exc!r}")
                continue
            if resp.status_code != 200:
                web_errors.append(f"node {node.name}: {resp.status_code} {resp.text[:200]}")
            else:
                web_ids.append(resp.json()["user_id"])

    def create(n):
        return cluster.cli_run("user", "create", "--email", f"cli-{n}@example.com", "--username", f"cli{n}",
                               "--password-stdin", stdin=PASSWORD + "\n", timeout=120)

    web = threading.Thread(target=sign_up, daemon=True)
    web.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        runs = list(pool.map(create, range(RUNS)))
    elapsed = time.monotonic() - started
    stop.set()
    web.join(timeout=60)

    failures = [(r.returncode, r.stderr.strip()[:300]) for r in runs if r.returncode != 0]
    assert failures == [], f"{len(failures)} of {RUNS} runs failed, e.g. {failures[:3]}"
    collisions = [r.stderr.strip() for r in runs
                  if "unique constraint" in r.stderr.lower() or "duplicate key" in r.stderr.lower()]
    assert collisions == [], collisions[:3]
    created = [json.loads(r.stdout) for r in runs]
    assert [u["username"] for u in created] == [f"cli{n}" for n in range(RUNS)]
    cli_ids = [u["id"] for u in created]
    assert len(set(cli_ids)) == RUNS, f"{RUNS - len(set(cli_ids))} ids minted twice"
    assert web_errors == [], f"the nodes refused sign-ups during the run: {web_errors[:3]}"
    assert web_ids, "no sign-up completed during the run"
    assert set(cli_ids).isdisjoint(web_ids), "an id minted by the CLI was also minted by a node"
    assert len(set(web_ids)) == len(web_ids)
    print(f"\n{RUNS} user creates ({PARALLEL} at a time) in {elapsed:.1f} s beside {len(web_ids)} sign-ups on the nodes")

    # In the database: every row, one each.
    count = cluster.sql("SELECT count(*) FROM users WHERE email LIKE 'cli-%@example.com'")
    assert count == str(RUNS)

    # The nodes keep serving, and know the new users.
    http = requests.Session()
    for i, node in enumerate(nodes):
        resp = http.get(node.url("/readyz"), timeout=10)
        assert resp.status_code == 200, f"node {node.name} /readyz: {resp.status_code} {resp.text[:200]}"
        n = (i * 67) % RUNS
        resp = login(http, node, f"cli-{n}@example.com")
        assert (resp.status_code, resp.json()) == (200, {"token": resp.json()["token"], "user_id": cli_ids[n]}), \
            f"node {node.name}: {resp.status_code} {resp.text[:200]}"
