"""Sign in on one node, use the session on the others, log out on a third: every node refuses the token within
1 s (issue 13: the principal caches are invalidated through PostgreSQL LISTEN/NOTIFY; each node cached the
session when it answered with it)."""

import requests

from cluster_harness import PASSWORD, PROPAGATION_SECONDS, login, me, until_refused

import time

UNAUTHORIZED = {"code": "UNAUTHORIZED", "message": "Unauthorized."}


def test_sign_in_on_a_use_on_b_and_c_log_out_on_c_refused_everywhere_within_1s(nodes):
    a, b, c = nodes
    http = requests.Session()
    email = "session-roamer@example.com"
    resp = http.post(a.url("/auth/register"), timeout=10, json={
        "email": email, "username": "roamer", "password": PASSWORD, "date_of_birth": "1990-01-01", "consent": True})
    assert resp.status_code == 200, resp.text
    registered = resp.json()
    assert sorted(registered) == ["token", "user_id"] and registered["token"].startswith("flx_"), registered
    user_id = registered["user_id"]

    resp = login(http, a, email)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body == {"token": body["token"], "user_id": user_id}
    token = body["token"]
    assert token.startswith("flx_") and token != registered["token"]

    # Every node answers with the session (and so caches it).
    for node in (a, b, c):
        resp = me(http, node, token)
        assert resp.status_code == 200, f"node {node.name}: {resp.status_code} {resp.text[:200]}"
        user = resp.json()
        assert (user["id"], user["username"], user["email"], user["verified"]) == (user_id, "roamer", email, False), user

    resp = http.post(c.url("/auth/logout"), headers={"Authorization": token}, timeout=10)
    logged_out = time.monotonic()
    assert (resp.status_code, resp.content) == (204, b"")

    # The node that logged out refuses at once; the others within the propagation bound.
    resp = me(http, c, token)
    assert (resp.status_code, resp.json()) == (401, UNAUTHORIZED)
    delays = until_refused([a, b], lambda h, node: me(h, node, token), 401, UNAUTHORIZED, since=logged_out)
    print(f"\nlogout on C refused on A and B after {delays} s (bound {PROPAGATION_SECONDS} s)")

    # Logout ends the calling session only: the one from registration still works everywhere.
    for node in (a, b, c):
        resp = me(http, node, registered["token"])
        assert resp.status_code == 200 and resp.json()["id"] == user_id, f"node {node.name}: {resp.status_code}"
