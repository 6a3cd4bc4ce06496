"""Refresh-token rotation across nodes (issue 13): the same refresh token sent to two nodes at once gets exactly
one 200, and reuse of a rotated token revokes the grant on every node within 1 s.

With rotation and reuse detection (RFC 9700 §4.14.2) the losing request of a race is itself a reuse: it revokes
the grant, so the winner's new tokens are refused too. The second test presents the rotated token again after
the new access token has been used on every node."""

import time

import requests

from cluster_harness import at_once, authorize_code, exchange_code, login, me, refresh, until_refused

UNAUTHORIZED = {"code": "UNAUTHORIZED", "message": "Unauthorized."}
REVOKED = {"error": "invalid_grant", "error_description": "The refresh token has already been used; the grant is revoked."}
INVALID = {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid, expired, or revoked."}


def grant(cluster, nodes, prefix):
    """(owner id, app, tokens of a fresh code exchange); the code from node A, redeemed on node B."""
    a, b, _ = nodes
    owner_id, email = cluster.new_user(prefix)
    app = cluster.new_app(owner_id, name=prefix)
    http = requests.Session()
    resp = login(http, a, email)
    assert resp.status_code == 200, resp.text
    code = authorize_code(http, a, resp.json()["token"], app["client_id"])
    resp = exchange_code(http, b, app, code)
    assert resp.status_code == 200, resp.text
    return owner_id, app, resp.json()


def assert_works_everywhere(http, nodes, access, owner_id):
    for node in nodes:
        resp = me(http, node, "Bearer " + access)
        assert resp.status_code == 200 and resp.json()["id"] == owner_id, \
            f"node {node.name}: {resp.status_code} {resp.text[:200]}"


def test_same_refresh_token_at_two_nodes_at_once_exactly_one_200(cluster, nodes):
    a, b, c = nodes
    owner_id, app, first = grant(cluster, nodes, "race")
    http = requests.Session()
    assert_works_everywhere(http, nodes, first["access_token"], owner_id)

    at_b, at_c = at_once([(b, lambda h, n: refresh(h, n, app, first["refresh_token"])),
                          (c, lambda h, n: refresh(h, n, app, first["refresh_token"]))])
    raced = time.monotonic()
    assert sorted([at_b.status_code, at_c.status_code]) == [200, 400], \
        f"B answered {at_b.status_code} {at_b.text[:200]}, C {at_c.status_code} {at_c.text[:200]}"
    winner, loser = (at_b, at_c) if at_b.status_code == 200 else (at_c, at_b)
    rotated = winner.json()
    assert sorted(rotated) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"], rotated
    assert rotated["refresh_token"] != first["refresh_token"] and rotated["access_token"] != first["access_token"]
    assert loser.json() == REVOKED

    # The grant is gone on every node: the superseded access token (which every node had answered), the new
    # one, and the new refresh token.
    until_refused(nodes, lambda h, node: me(h, node, "Bearer " + first["access_token"]), 401, UNAUTHORIZED, since=raced)
    until_refused(nodes, lambda h, node: me(h, node, "Bearer " + rotated["access_token"]), 401, UNAUTHORIZED, since=raced)
    resp = refresh(http, a, app, rotated["refresh_token"])
    assert (resp.status_code, resp.json()) == (400, INVALID)


def test_reuse_of_a_rotated_refresh_token_revokes_the_grant_on_every_node_within_1s(cluster, nodes):
    a, b, c = nodes
    owner_id, app, first = grant(cluster, nodes, "reuse")
    http = requests.Session()

    resp = refresh(http, c, app, first["refresh_token"])
    assert resp.status_code == 200, resp.text
    rotated = resp.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # The rotation supersedes the first access token, on every node.
    for node in nodes:
        resp = me(http, node, "Bearer " + first["access_token"])
        assert (resp.status_code, resp.json()) == (401, UNAUTHORIZED), f"node {node.name}"
    assert_works_everywhere(http, nodes, rotated["access_token"], owner_id)

    resp = refresh(http, a, app, first["refresh_token"])
    reused = time.monotonic()
    assert (resp.status_code, resp.json()) == (400, REVOKED)
    until_refused(nodes, lambda h, node: me(h, node, "Bearer " + rotated["access_token"]), 401, UNAUTHORIZED,
                  since=reused)
    resp = refresh(http, b, app, rotated["refresh_token"])
    assert (resp.status_code, resp.json()) == (400, INVALID)
