"""OAuth2: consent → code → token → refresh → introspect / userinfo / @me → revoke, the user's authorizations,
and the main refusals of each step."""

import base64
import secrets

from conftest import REDIRECT_URI, assert_error, assert_json, assert_oauth_error, bearer, bot
from flows import authorization_code, client_form, consent, exchange_code, oauth_tokens, query


def assert_token_response(resp, scope):
    body = assert_json(resp)
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    assert body["token_type"] == "Bearer" and body["expires_in"] == 604800 and body["scope"] == scope, body
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    return body


def introspect(api, app, token, expect=200):
    return api.post("/oauth2/introspect", data={"token": token, **client_form(app)}, expect=expect)


# --- the whole flow -----------------------------------------------------------------------------------------


def test_code_flow_refresh_introspect_userinfo_revoke(api, server):
    user = server.new_user()
    app = server.new_app(user)
    code = authorization_code(api, user, app, scope="identify email")
    tokens = assert_token_response(exchange_code(api, app, code, expect=200), "identify email")

    info = assert_json(api.get("/oauth2/userinfo", auth=bearer(tokens["access_token"]), expect=200))
    assert info["sub"] == user.id and info["id"] == user.id and info["email"] == user.email and info["verified"] is True
    me = assert_json(api.get("/oauth2/@me", auth=bearer(tokens["access_token"]), expect=200))
    assert me["application"]["id"] == app["id"] and sorted(me["scopes"]) == ["email", "identify"]
    assert me["user"]["id"] == user.id
    active = assert_json(introspect(api, app, tokens["access_token"]))
    assert active["active"] is True and active["client_id"] == app["client_id"] and active["sub"] == user.id, active
    assert active["scope"] == "identify email" and active["exp"] > active["iat"], active

    refreshed = assert_token_response(api.post("/oauth2/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **client_form(app)}, expect=200),
        "identify email")
    assert refreshed["access_token"] != tokens["access_token"] and refreshed["refresh_token"] != tokens["refresh_token"]
    api.get("/oauth2/userinfo", auth=bearer(refreshed["access_token"]), expect=200)

    api.post("/oauth2/token/revoke", data={"token": refreshed["refresh_token"], "token_type_hint": "refresh_token",
                                           **client_form(app)}, expect=204)
    assert introspect(api, app, refreshed["access_token"]).json() == {"active": False}
    assert_error(api.get("/oauth2/userinfo", auth=bearer(refreshed["access_token"])), 401, "INVALID_TOKEN")


def test_code_flow_with_basic_auth_and_multipart(api, server):
    user = server.new_user()
    app = server.new_app(user)
    code = authorization_code(api, user, app, scope="identify")
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    resp = api.post("/oauth2/token", headers={"Authorization": f"Basic {basic}"},
                    files={"grant_type": (None, "authorization_code"), "code": (None, code),
                           "redirect_uri": (None, REDIRECT_URI)}, expect=200)
    assert_token_response(resp, "identify")


def test_public_client_with_pkce(api, server):
    user = server.new_user()
    app = server.new_app(user, "--public-client")
    verifier = secrets.token_urlsafe(48)
    code = authorization_code(api, user, app, scope="identify", pkce=verifier)
    resp = api.post("/oauth2/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                                           "client_id": app["client_id"], "code_verifier": verifier}, expect=200)
    assert_token_response(resp, "identify")


# --- consent ------------------------------------------------------------------------------------------------


def test_consent_refusals(api, server):
    user = server.new_user()
    app = server.new_app(user)
    body = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": REDIRECT_URI, "scope": "identify"}
    assert_error(api.post("/oauth2/authorize/consent", json=body), 401, "UNAUTHORIZED")
    assert_error(api.post("/oauth2/authorize/consent", auth=bot(app["bot_token"]), json=body), 403, "ACCESS_DENIED")
    assert_oauth_error(api.post("/oauth2/authorize/consent", auth=user.token,
                                json={**body, "redirect_uri": "https://evil.example/cb"}), 400, "invalid_request")
    assert_oauth_error(api.post("/oauth2/authorize/consent", auth=user.token, json={**body, "scope": "identify nope"}),
                       400, "invalid_scope")
    assert_oauth_error(api.post("/oauth2/authorize/consent", auth=user.token, json={**body, "client_id": "1"}),
                       400, "invalid_request")
    assert_error(api.post("/oauth2/authorize/consent", auth=user.token, json={"client_id": 5}), 400, "INVALID_FORM_BODY")


def test_consent_for_a_public_client_needs_pkce(api, server):
    user = server.new_user()
    app = server.new_app(user, "--public-client")
    resp = consent(api, user, app, scope="identify", expect=400)
    assert_oauth_error(resp, 400, "invalid_request")


# --- token endpoint -----------------------------------------------------------------------------------------


def test_code_is_single_use_and_bound_to_redirect_uri(api, server):
    user = server.new_user()
    app = server.new_app(user)
    code = authorization_code(api, user, app, scope="identify")
    assert_oauth_error(exchange_code(api, app, code, redirect_uri="http://localhost:8765/other"), 400, "invalid_grant")
    code = authorization_code(api, user, app, scope="identify")
    exchange_code(api, app, code, expect=200)
    assert_oauth_error(exchange_code(api, app, code), 400, "invalid_grant")


def test_token_client_authentication(api, server):
    user = server.new_user()
    app = server.new_app(user)
    code = authorization_code(api, user, app, scope="identify")
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": app["client_id"]}
    assert_oauth_error(api.post("/oauth2/token", data={**data, "client_secret": "wrong"}), 401, "invalid_client")
    assert_oauth_error(api.post("/oauth2/token", data={**data, "client_id": "1", "client_secret": "x"}), 401, "invalid_client")
    assert_oauth_error(api.post("/oauth2/token", data=data), 401, "invalid_client")
    wrong = base64.b64encode(f"{app['client_id']}:wrong".encode()).decode()
    resp = api.post("/oauth2/token", headers={"Authorization": f"Basic {wrong}"},
                    data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI})
    assert_oauth_error(resp, 401, "invalid_client")
    assert resp.headers.get("WWW-Authenticate", "").startswith("Basic"), resp.headers  # RFC 6749 §5.2
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers


def test_token_request_errors(api, server):
    user = server.new_user()
    app = server.new_app(user)
    assert_oauth_error(api.post("/oauth2/token", data={"grant_type": "password", **client_form(app)}), 400,
                       "unsupported_grant_type")
    assert_oauth_error(api.post("/oauth2/token", data=client_form(app)), 400, "invalid_request")
    assert_oauth_error(api.post("/oauth2/token", json={"grant_type": "authorization_code"}), 400, "invalid_request")
    assert_oauth_error(api.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": "nope",
                                                       **client_form(app)}), 400, "invalid_grant")


def test_refresh_token_reuse_revokes_the_grant(api, server):
    user = server.new_user()
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="identify")
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], **client_form(app)}
    new = api.post("/oauth2/token", data=refresh, expect=200).json()
    assert_oauth_error(api.post("/oauth2/token", data=refresh), 400, "invalid_grant")
    assert_error(api.get("/oauth2/userinfo", auth=bearer(new["access_token"])), 401, "INVALID_TOKEN")


def test_refresh_with_another_clients_token(api, server):
    user = server.new_user()
    app, other = server.new_app(user), server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="identify")
    assert_oauth_error(api.post("/oauth2/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                                       **client_form(other)}), 400, "invalid_grant")


# --- introspect and revoke ----------------------------------------------------------------------------------


def test_introspect_inactive_and_bad_client(api, server):
    user = server.new_user()
    app = server.new_app(user)
    assert introspect(api, app, "unknown-token", expect=200).json() == {"active": False}
    tokens = oauth_tokens(api, user, app, scope="identify")
    assert introspect(api, app, tokens["refresh_token"]).json()["active"] in (False, True)
    assert_oauth_error(api.post("/oauth2/introspect", data={"token": tokens["access_token"], "client_id": app["client_id"],
                                                            "client_secret": "wrong"}), 401, "invalid_client")
    assert_oauth_error(api.post("/oauth2/introspect", data={"client_id": app["client_id"],
                                                            "client_secret": app["client_secret"]}), 400, "invalid_request")


def test_revoke(api, server):
    user = server.new_user()
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="identify")
    api.post("/oauth2/token/revoke", data={"token": tokens["access_token"], **client_form(app)}, expect=204)
    assert_error(api.get("/users/@me", auth=bearer(tokens["access_token"])), 401, "UNAUTHORIZED")
    api.post("/oauth2/token/revoke", data={"token": "unknown", **client_form(app)}, expect=204)
    assert_oauth_error(api.post("/oauth2/token/revoke", data={"token": "x", "client_id": app["client_id"],
                                                              "client_secret": "wrong"}), 401, "invalid_client")
    assert_oauth_error(api.post("/oauth2/token/revoke", data=client_form(app)), 400, "invalid_request")


# --- userinfo and @me ---------------------------------------------------------------------------------------


def test_userinfo_refusals(api, server):
    user = server.new_user()
    app = server.new_app(user)
    resp = api.get("/oauth2/userinfo")
    assert_error(resp, 401, "INVALID_TOKEN")
    assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), resp.headers  # RFC 6750 §3
    assert_error(api.get("/oauth2/userinfo", auth=user.token), 401, "INVALID_TOKEN")
    assert_error(api.get("/oauth2/userinfo", auth=bearer(user.token)), 401, "INVALID_TOKEN")
    assert_error(api.get("/oauth2/userinfo", auth=bot(app["bot_token"])), 401, "INVALID_TOKEN")
    guilds = oauth_tokens(api, user, app, scope="guilds")
    body = assert_error(api.get("/oauth2/userinfo", auth=bearer(guilds["access_token"])), 403, "MISSING_OAUTH_SCOPE")
    assert body["required_scope"] == "identify"


def test_userinfo_without_email_scope(api, server):
    user = server.new_user()
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="identify")
    info = api.get("/oauth2/userinfo", auth=bearer(tokens["access_token"]), expect=200).json()
    assert info["email"] is None and "verified" not in info


def test_oauth2_me(api, server):
    user = server.new_user()
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="guilds")
    me = api.get("/oauth2/@me", auth=bearer(tokens["access_token"]), expect=200).json()
    assert me["scopes"] == ["guilds"] and "user" not in me
    assert_error(api.get("/oauth2/@me"), 401, "INVALID_TOKEN")
    assert_error(api.get("/oauth2/@me", auth=user.token), 401, "INVALID_TOKEN")


# --- the user's authorizations ------------------------------------------------------------------------------


def test_authorizations_list_and_revoke(api, server):
    user = server.new_user()
    app = server.new_app(user)
    tokens = oauth_tokens(api, user, app, scope="identify guilds")
    listed = assert_json(api.get("/oauth2/@me/authorizations", auth=user.token, expect=200))
    assert [a["application"]["id"] for a in listed] == [app["id"]]
    assert sorted(listed[0]["scopes"]) == ["guilds", "identify"] and listed[0]["authorized_at"]
    api.delete(f"/oauth2/@me/authorizations/{app['id']}", auth=user.token, expect=204)
    assert api.get("/oauth2/@me/authorizations", auth=user.token, expect=200).json() == []
    assert_error(api.get("/oauth2/userinfo", auth=bearer(tokens["access_token"])), 401, "INVALID_TOKEN")


def test_authorizations_refusals(api, server):
    user = server.new_user()
    app = server.new_app(user)
    assert_error(api.get("/oauth2/@me/authorizations"), 401, "UNAUTHORIZED")
    assert_error(api.get("/oauth2/@me/authorizations", auth=bot(app["bot_token"])), 403, "ACCESS_DENIED")
    assert_error(api.delete(f"/oauth2/@me/authorizations/{app['id']}"), 401, "UNAUTHORIZED")
    assert_error(api.delete("/oauth2/@me/authorizations/not-a-snowflake", auth=user.token), 400, "INVALID_FORM_BODY",
                 item_code="INVALID_SNOWFLAKE_FORMAT")
    tokens = oauth_tokens(api, user, app, scope="identify")
    assert_error(api.get("/oauth2/@me/authorizations", auth=bearer(tokens["access_token"])), 403, "ACCESS_DENIED")


def test_redirect_carries_state_and_issuer(api, server):
    user = server.new_user()
    app = server.new_app(user)
    resp = consent(api, user, app, scope="identify")
    params = query(resp.json()["redirect_to"])
    assert resp.json()["redirect_to"].startswith(REDIRECT_URI + "?")
    assert set(params) >= {"code", "state"}
