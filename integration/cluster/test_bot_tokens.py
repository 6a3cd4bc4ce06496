"""A bot token reset on one node is seen by every node within 1 s, although each node had just answered with
the old token and cached it (issue 13: LISTEN/NOTIFY invalidation by bot user id)."""

import time

import requests

from cluster_harness import PASSWORD, login, until_refused

INVALID_TOKEN = {"code": "INVALID_TOKEN", "message": "Invalid token."}
UNAUTHORIZED = {"code": "UNAUTHORIZED", "message": "Unauthorized."}


def application_me(http, node, bot_token):
    return http.get(node.url("/applications/@me"), headers={"Authorization": "Bot " + bot_token}, timeout=10)


def users_me(http, node, bot_token):
    return http.get(node.url("/users/@me"), headers={"Authorization": "Bot " + bot_token}, timeout=10)


def test_bot_token_reset_on_b_refused_by_every_node_within_1s(cluster, nodes):
    a, b, c = nodes
    owner_id, email = cluster.new_user("botowner")
    app = cluster.new_app(owner_id, name="Resetter")
    old = app["bot_token"]
    assert old.startswith(app["id"] + ".")
    http = requests.Session()

    for node in nodes:
        resp = application_me(http, node, old)
        assert resp.status_code == 200, f"node {node.name}: {resp.status_code} {resp.text[:200]}"
        body = resp.json()
        assert (body["id"], body["name"], body["bot"]["id"]) == (app["id"], "Resetter", app["id"]), body
        resp = users_me(http, node, old)
        assert resp.status_code == 200, f"node {node.name}: {resp.status_code} {resp.text[:200]}"
        assert (resp.json()["id"], resp.json()["bot"]) == (app["id"], True)

    resp = login(http, a, email)
    assert resp.status_code == 200, resp.text
    session = resp.json()["token"]
    resp = http.post(b.url(f"/oauth2/applications/{app['id']}/bot/reset-token"), headers={"Authorization": session},
                     json={"password": PASSWORD}, timeout=10)
    reset = time.monotonic()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert sorted(body) == ["bot", "token"] and body["bot"]["id"] == app["id"], body
    new = body["token"]
    assert new != old and new.startswith(app["id"] + ".")

    delays = until_refused(nodes, lambda h, node: application_me(h, node, old), 401, INVALID_TOKEN, since=reset)
    until_refused(nodes, lambda h, node: users_me(h, node, old), 401, UNAUTHORIZED, since=reset)
    print(f"\nold bot token refused after {delays} s")
    for node in nodes:
        resp = application_me(http, node, new)
        assert resp.status_code == 200 and resp.json()["id"] == app["id"], f"node {node.name}: {resp.status_code}"
