"""/oauth2/applications* and /applications/@me: create, read, update, delete, secret and bot-token rotation."""

import secrets

from conftest import assert_error, assert_json, bearer, bot
from flows import oauth_tokens

REDIRECT = "https://app.example/callback"


def create(api, user, **over):
    body = {"name": "Schema " + secrets.token_hex(3), "redirect_uris": [REDIRECT]}
    body.update(over)
    return api.post("/oauth2/applications", auth=user.token, json=body, expect=200).json()


def test_create_application(api, server):
    user = server.new_user()
    app = create(api, user, bot_public=False)
    assert app["name"].startswith("Schema ") and app["redirect_uris"] == [REDIRECT] and app["bot_public"] is False
    assert app["client_secret"] and app["bot"]["token"].startswith(app["id"] + ".")
    me = api.get("/applications/@me", auth=bot(app["bot"]["token"]), expect=200).json()
    assert me["id"] == app["id"]


def test_create_refusals(api, server):
    user = server.new_user()
    assert_error(api.post("/oauth2/applications", json={"name": "x"}), 401, "UNAUTHORIZED")
    assert_error(api.post("/oauth2/applications", auth=user.token, json={"name": ""}), 400, "INVALID_FORM_BODY", paths=["name"])
    assert_error(api.post("/oauth2/applications", auth=user.token, json={"name": "x", "redirect_uris": ["http://evil.example/cb"]}),
                 400, "INVALID_FORM_BODY", paths=["redirect_uris.0"])
    assert_error(api.post("/oauth2/applications", auth=user.token, json={}), 400, "INVALID_FORM_BODY", paths=["name"])
    app = server.new_app(user)
    assert_error(api.post("/oauth2/applications", auth=bot(app["bot_token"]), json={"name": "x"}), 403, "ACCESS_DENIED")
    tokens = oauth_tokens(api, user, app, scope="identify")
    assert_error(api.post("/oauth2/applications", auth=bearer(tokens["access_token"]), json={"name": "x"}), 403, "ACCESS_DENIED")


def test_list_applications_of_the_caller(api, server):
    user = server.new_user()
    first, second = create(api, user), create(api, user)
    listed = assert_json(api.get("/oauth2/applications/@me", auth=user.token, expect=200))
    assert {a["id"] for a in listed} == {first["id"], second["id"]}
    assert all("client_secret" not in a or a["client_secret"] is None for a in listed)
    as_bot = api.get("/oauth2/applications/@me", auth=bot(first["bot"]["token"]), expect=200).json()
    assert [a["id"] for a in as_bot] == [first["id"]]
    assert_error(api.get("/oauth2/applications/@me"), 401, "UNAUTHORIZED")


def test_get_application(api, server):
    user = server.new_user()
    app = create(api, user)
    got = assert_json(api.get(f"/oauth2/applications/{app['id']}", auth=user.token, expect=200))
    assert got["id"] == app["id"] and got["name"] == app["name"]
    stranger = server.new_user()
    assert_error(api.get(f"/oauth2/applications/{app['id']}", auth=stranger.token), 403, "ACCESS_DENIED")
    assert_error(api.get("/oauth2/applications/1", auth=user.token), 404, "UNKNOWN_APPLICATION")
    assert_error(api.get("/oauth2/applications/not-a-snowflake", auth=user.token), 404, "UNKNOWN_APPLICATION")
    assert_error(api.get(f"/oauth2/applications/{app['id']}"), 401, "UNAUTHORIZED")


def test_update_application(api, server):
    user = server.new_user()
    app = create(api, user)
    got = api.patch(f"/oauth2/applications/{app['id']}", auth=user.token, json={"name": "Renamed", "bot_public": False},
                    expect=200).json()
    assert got["name"] == "Renamed" and got["bot_public"] is False and got["redirect_uris"] == [REDIRECT]
    # New redirect URIs need sudo.
    other = "https://app.example/other"
    body = assert_error(api.patch(f"/oauth2/applications/{app['id']}", auth=user.token, json={"redirect_uris": [other]}),
                        403, "SUDO_MODE_REQUIRED")
    assert body["has_mfa"] is False
    got = api.patch(f"/oauth2/applications/{app['id']}", auth=user.token,
                    json={"redirect_uris": [other], "password": user.password}, expect=200).json()
    assert got["redirect_uris"] == [other]


def test_update_refusals(api, server):
    user = server.new_user()
    app = create(api, user)
    assert_error(api.patch(f"/oauth2/applications/{app['id']}", auth=user.token, json={"name": ""}), 400,
                 "INVALID_FORM_BODY", paths=["name"])
    assert_error(api.patch(f"/oauth2/applications/{app['id']}", auth=user.token,
                           json={"redirect_uris": ["ftp://x/y"], "password": user.password}),
                 400, "INVALID_FORM_BODY", paths=["redirect_uris.0"])
    stranger = server.new_user()
    assert_error(api.patch(f"/oauth2/applications/{app['id']}", auth=stranger.token, json={"name": "x"}), 403, "ACCESS_DENIED")
    assert_error(api.patch("/oauth2/applications/1", auth=user.token, json={"name": "x"}), 404, "UNKNOWN_APPLICATION")


def test_delete_application(api, server):
    user = server.new_user()
    app = create(api, user)
    assert_error(api.delete(f"/oauth2/applications/{app['id']}", auth=user.token), 403, "SUDO_MODE_REQUIRED")
    assert_error(api.delete(f"/oauth2/applications/{app['id']}", auth=user.token, json={"password": "wrong horse battery 1"}),
                 400, "INVALID_FORM_BODY", paths=["password"], item_code="INVALID_PASSWORD")
    api.delete(f"/oauth2/applications/{app['id']}", auth=user.token, json={"password": user.password}, expect=204)
    assert_error(api.get(f"/oauth2/applications/{app['id']}", auth=user.token), 404, "UNKNOWN_APPLICATION")
    assert_error(api.get("/applications/@me", auth=bot(app["bot"]["token"])), 401, "INVALID_TOKEN")
    assert_error(api.delete("/oauth2/applications/1", auth=user.token, json={"password": user.password}), 404,
                 "UNKNOWN_APPLICATION")


def test_reset_client_secret(api, server):
    user = server.new_user()
    app = create(api, user)
    assert_error(api.post(f"/oauth2/applications/{app['id']}/client-secret/reset", auth=user.token), 403, "SUDO_MODE_REQUIRED")
    got = assert_json(api.post(f"/oauth2/applications/{app['id']}/client-secret/reset", auth=user.token,
                               json={"password": user.password}, expect=200))
    assert got["id"] == app["id"] and got["client_secret"] and got["client_secret"] != app["client_secret"]
    stranger = server.new_user()
    assert_error(api.post(f"/oauth2/applications/{app['id']}/client-secret/reset", auth=stranger.token,
                          json={"password": stranger.password}), 403, "ACCESS_DENIED")


def test_reset_bot_token(api, server):
    user = server.new_user()
    app = create(api, user)
    old = app["bot"]["token"]
    assert_error(api.post(f"/oauth2/applications/{app['id']}/bot/reset-token", auth=user.token), 403, "SUDO_MODE_REQUIRED")
    got = assert_json(api.post(f"/oauth2/applications/{app['id']}/bot/reset-token", auth=user.token,
                               json={"password": user.password}, expect=200))
    assert got["token"].startswith(app["id"] + ".") and got["token"] != old and got["bot"]["id"] == app["id"]
    assert_error(api.get("/applications/@me", auth=bot(old)), 401, "INVALID_TOKEN")
    api.get("/applications/@me", auth=bot(got["token"]), expect=200)
    assert_error(api.post(f"/oauth2/applications/{app['id']}/bot/reset-token", auth=bot(got["token"]), json={}), 403,
                 "ACCESS_DENIED")
    assert_error(api.post("/oauth2/applications/1/bot/reset-token", auth=user.token, json={"password": user.password}),
                 404, "UNKNOWN_APPLICATION")


def test_public_application(api, server):
    user = server.new_user()
    app = create(api, user)
    got = assert_json(api.get(f"/oauth2/applications/{app['id']}/public", expect=200))
    assert got["id"] == app["id"] and got["name"] == app["name"] and "client_secret" not in got
    assert_error(api.get("/oauth2/applications/1/public"), 404, "UNKNOWN_APPLICATION")


def test_applications_me(api, server):
    user = server.new_user()
    app = server.new_app(user)
    got = assert_json(api.get("/applications/@me", auth=bot(app["bot_token"]), expect=200))
    assert got["id"] == app["id"] and got["bot"]["id"] == app["bot_id"]
    assert_error(api.get("/applications/@me"), 401, "INVALID_TOKEN")
    assert_error(api.get("/applications/@me", auth=user.token), 401, "INVALID_TOKEN")
    assert_error(api.get("/applications/@me", auth=bearer(app["bot_token"])), 401, "INVALID_TOKEN")
    assert_error(api.get("/applications/@me", auth=app["bot_token"]), 401, "INVALID_TOKEN")
