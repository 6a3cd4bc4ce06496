"""An authorization code issued through one node is redeemed exactly once, whichever nodes it is sent to: the
same code sent to B and C at the same moment gets exactly one 200 and one 400 invalid_grant (issue 13: single-use
codes are race-free across nodes)."""

import requests

from cluster_harness import at_once, authorize_code, exchange_code, login, me, until_refused

ROUNDS = 5
UNAUTHORIZED = {"code": "UNAUTHORIZED", "message": "Unauthorized."}
DEFAULT_INVALID = "The provided authorization grant is invalid, expired, or revoked."
ALREADY_USED = "The authorization code has already been used."


def assert_tokens(body):
    assert sorted(body) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"], body
    assert (body["token_type"], body["scope"]) == ("Bearer", "identify"), body
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, body


def test_code_issued_on_a_redeemed_once_when_sent_to_b_and_c_at_once(cluster, nodes):
    a, b, c = nodes
    owner_id, email = cluster.new_user("codes")
    app = cluster.new_app(owner_id, name="Codes")
    http = requests.Session()
    resp = login(http, a, email)
    assert resp.status_code == 200, resp.text
    session = resp.json()["token"]

    outcomes = {"lost the claim": 0, "replay revoked the grant": 0}
    for round_ in range(ROUNDS):
        code = authorize_code(http, a, session, app["client_id"])
        at_b, at_c = at_once([(b, lambda h, n: exchange_code(h, n, app, code)),
                              (c, lambda h, n: exchange_code(h, n, app, code))])
        statuses = sorted([at_b.status_code, at_c.status_code])
        assert statuses == [200, 400], \
            f"round {round_}: B answered {at_b.status_code} {at_b.text[:200]}, C {at_c.status_code} {at_c.text[:200]}"
        winner, loser = (at_b, at_c) if at_b.status_code == 200 else (at_c, at_b)
        tokens = winner.json()
        assert_tokens(tokens)
        refused = loser.json()
        assert refused in ({"error": "invalid_grant", "error_description": DEFAULT_INVALID},
                           {"error": "invalid_grant", "error_description": ALREADY_USED}), refused
        if refused["error_description"] == ALREADY_USED:
            # The loser came after the winner's commit: a replay, which revokes what the code issued (RFC 6749
            # §4.1.2). The token was never used, so no node has it cached.
            outcomes["replay revoked the grant"] += 1
            for node in nodes:
                resp = me(http, node, "Bearer " + tokens["access_token"])
                assert (resp.status_code, resp.json()) == (401, UNAUTHORIZED), f"node {node.name}"
        else:
            # The loser lost the claim on the code while the winner held it: refused, nothing revoked.
            outcomes["lost the claim"] += 1
            for node in nodes:
                resp = me(http, node, "Bearer " + tokens["access_token"])
                assert resp.status_code == 200 and resp.json()["id"] == owner_id, \
                    f"node {node.name}: {resp.status_code} {resp.text[:200]}"
    print(f"\n{ROUNDS} races: {outcomes}")


def test_code_issued_on_a_redeemed_on_b_replayed_on_c_revokes_on_every_node(cluster, nodes):
    a, b, c = nodes
    owner_id, email = cluster.new_user("replay")
    app = cluster.new_app(owner_id, name="Replay")
    http = requests.Session()
    resp = login(http, a, email)
    assert resp.status_code == 200, resp.text
    code = authorize_code(http, a, resp.json()["token"], app["client_id"])

    resp = exchange_code(http, b, app, code)
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert_tokens(tokens)
    for node in nodes:
        resp = me(http, node, "Bearer " + tokens["access_token"])
        assert resp.status_code == 200 and resp.json()["id"] == owner_id, f"node {node.name}: {resp.status_code}"

    resp = exchange_code(http, c, app, code)
    assert (resp.status_code, resp.json()) == (400, {"error": "invalid_grant", "error_description": ALREADY_USED})
    until_refused(nodes, lambda h, node: me(h, node, "Bearer " + tokens["access_token"]), 401, UNAUTHORIZED)
