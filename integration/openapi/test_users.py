"""/users/@me, /users/@me/guilds and the sudo helpers' read side, with each kind of credential."""

import pytest

from conftest import assert_error, assert_json, bearer, bot
from flows import oauth_tokens


def test_me_with_a_session(api, server):
    user = server.new_user()
    me = assert_json(api.get("/users/@me", auth=user.token, expect=200))
    assert me["id"] == user.id and me["email"] == user.email and me["username"] == user.username
    assert me["verified"] is True and me["mfa_enabled"] is False and me["authenticator_types"] == []


def test_me_with_bearer_session_prefix(api, server):
    user = server.new_user()
    assert api.get("/users/@me", auth=bearer(user.token), expect=200).json()["id"] == user.id


def test_me_with_a_bot_token(api, server):
    owner = server.new_user()
    app = server.new_app(owner)
    me = api.get("/users/@me", auth=bot(app["bot_token"]), expect=200).json()
    assert me["id"] == app["bot_id"] and me["bot"] is True


def test_me_with_oauth_scopes(api, server):
    user = server.new_user()
    app = server.new_app(user)
    identify = oauth_tokens(api, user, app, scope="identify")
    me = api.get("/users/@me", auth=bearer(identify["access_token"]), expect=200).json()
    assert me["id"] == user.id and me["email"] is None  # no email scope
    with_email = oauth_tokens(api, user, app, scope="identify email")
    assert api.get("/users/@me", auth=bearer(with_email["access_token"]), expect=200).json()["email"] == user.email
    guilds_only = oauth_tokens(api, user, app, scope="guilds")
    body = assert_error(api.get("/users/@me", auth=bearer(guilds_only["access_token"])), 403, "MISSING_OAUTH_SCOPE")
    assert body.get("required_scope") == "identify"


def test_me_refusals(api):
    assert_error(api.get("/users/@me"), 401, "UNAUTHORIZED")
    assert_error(api.get("/users/@me", auth="flx_" + "b" * 36), 401, "UNAUTHORIZED")
    assert_error(api.get("/users/@me", auth=bot("1.AAAA")), 401, "UNAUTHORIZED")
    assert_error(api.get("/users/@me", auth=bearer("not-a-token")), 401, "UNAUTHORIZED")


def test_guilds(api, server):
    user = server.new_user()
    guild = server.cli("guild", "create", "--owner", user.id, "--name", "Schema Guild")
    other = server.cli("guild", "create", "--owner", user.id, "--name", "Second Guild")
    guilds = assert_json(api.get("/users/@me/guilds", auth=user.token, expect=200))
    assert {g["id"] for g in guilds} == {guild["id"], other["id"]}
    assert all(g["owner_id"] == user.id for g in guilds)
    limited = api.get("/users/@me/guilds", auth=user.token, params={"limit": "1"}, expect=200).json()
    assert len(limited) == 1
    after = api.get("/users/@me/guilds", auth=user.token, params={"after": guild["id"]}, expect=200).json()
    assert [g["id"] for g in after] == [other["id"]]


def test_guilds_with_bearer_and_bot(api, server):
    user = server.new_user()
    server.cli("guild", "create", "--owner", user.id, "--name", "Bearer Guild")
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="guilds")
    assert len(api.get("/users/@me/guilds", auth=bearer(tokens["access_token"]), expect=200).json()) == 1
    identify = oauth_tokens(api, user, app, scope="identify")
    body = assert_error(api.get("/users/@me/guilds", auth=bearer(identify["access_token"])), 403, "MISSING_OAUTH_SCOPE")
    assert body.get("required_scope") == "guilds"
    assert api.get("/users/@me/guilds", auth=bot(app["bot_token"]), expect=200).json() == []


def test_guilds_refusals(api, server):
    user = server.new_user()
    assert_error(api.get("/users/@me/guilds"), 401, "UNAUTHORIZED")
    for bad in ("0", "201", "x"):
        assert_error(api.get("/users/@me/guilds", auth=user.token, params={"limit": bad}), 400, "INVALID_FORM_BODY",
                     paths=["limit"])


def test_sudo_mfa_methods(api, server):
    user = server.new_user()
    got = assert_json(api.get("/users/@me/sudo/mfa-methods", auth=user.token, expect=200))
    assert got == {"totp": False, "sms": False, "webauthn": False, "has_mfa": False}
    assert_error(api.get("/users/@me/sudo/mfa-methods"), 401, "UNAUTHORIZED")
    app = server.new_app(user)
    assert_error(api.get("/users/@me/sudo/mfa-methods", auth=bot(app["bot_token"])), 403, "ACCESS_DENIED")


def test_guilds_malformed_cursor_is_refused(api, server):
    user = server.new_user()
    assert_error(api.get("/users/@me/guilds", auth=user.token, params={"before": "null"}), 400, "INVALID_FORM_BODY",
                 paths=["before"])
