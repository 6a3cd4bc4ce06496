"""Real OAuth2 client libraries, used as their documentation says, complete every flow against fluxer-auth.

Only the browser part (login and consent pages) is driven by hand, through the HTML forms, the way a user agent
would. Everything on the client side (authorization URL, state, PKCE, token request, client authentication,
refresh, revocation, introspection) is done by the library itself.
"""

import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import MismatchingStateException as AuthlibMismatchingState
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from authlib.integrations.requests_client import OAuthError as AuthlibOAuthError
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError as OauthlibMismatchingState
from requests_oauthlib import OAuth2Session as RequestsOAuthlibSession

from conftest import random_state

# oauthlib refuses plain http unless told otherwise; the test server listens on loopback http.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

SCOPE = "identify email guilds"


def query(location):
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def assert_te07(resp):
    """TE-07 (RFC 6749 §5.1, §5.2): token responses are JSON and never cached."""
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    assert resp.headers.get("Pragma") == "no-cache", resp.headers
    assert resp.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", resp.headers


def record_token_responses(client):
    """Keeps every raw token endpoint response authlib sees (compliance hooks are authlib's public API)."""
    seen = []

    def hook(resp):
        seen.append(resp)
        return resp

    client.register_compliance_hook("access_token_response", hook)
    client.register_compliance_hook("refresh_token_response", hook)
    return seen


def authlib_client(server, app, **kw):
    return AuthlibSession(client_id=app.client_id, client_secret=app.client_secret, scope=SCOPE,
                          redirect_uri=app.redirect_uri, code_challenge_method="S256", **kw)


def authlib_code_flow(server, browser, client, endpoints=None):
    endpoints = endpoints or {"authorize": server.url("/oauth2/authorize"), "token": server.url("/oauth2/token")}
    verifier = generate_token(64)
    uri, state = client.create_authorization_url(endpoints["authorize"], code_verifier=verifier)
    assert "code_challenge=" in uri and "code_challenge_method=S256" in uri
    location = browser.authorize(uri)
    params = query(location)
    assert location.startswith(client.redirect_uri + "?"), location
    assert params["state"] == state and "code" in params, location
    token = client.fetch_token(endpoints["token"], authorization_response=location, code_verifier=verifier)
    return token


# --- (a) authlib, confidential client, client_secret_basic + PKCE S256 ------------------------------------------


def test_authlib_basic_pkce_code_flow_me_userinfo_refresh_introspect_revoke(server, browser):
    app = server.apps["authlib"]
    client = authlib_client(server, app, token_endpoint_auth_method="client_secret_basic")
    seen = record_token_responses(client)
    token = authlib_code_flow(server, browser, client)

    assert token["token_type"] == "Bearer"
    assert token["scope"] == SCOPE
    assert token["expires_in"] > 0 and token["expires_at"] > 0
    assert token["access_token"] and token["refresh_token"]
    assert_te07(seen[-1])
    assert seen[-1].request.headers["Authorization"].startswith("Basic ")  # client_secret_basic, really
    assert "client_secret" not in (seen[-1].request.body or "")

    me = client.get(server.url("/users/@me"))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == server.user_id and me.json()["username"] == server.username

    info = client.get(server.url("/oauth2/userinfo"))
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == server.user_id
    assert info.json()["email"] == server.email and info.json()["verified"] is True

    guilds = client.get(server.url("/users/@me/guilds"))
    assert guilds.status_code == 200 and [g["id"] for g in guilds.json()] == [server.guild_id]

    # Refresh with rotation: a new pair, and the old access token stops working.
    old = dict(token)
    new = client.refresh_token(server.url("/oauth2/token"))
    assert_te07(seen[-1])
    assert new["access_token"] != old["access_token"] and new["refresh_token"] != old["refresh_token"]
    assert new["scope"] == SCOPE
    assert client.get(server.url("/users/@me")).status_code == 200
    stale = requests.get(server.url("/users/@me"), headers={"Authorization": "Bearer " + old["access_token"]}, timeout=10)
    assert stale.status_code == 401

    # Introspection (RFC 7662) with the same client authentication.
    resp = client.introspect_token(server.url("/oauth2/introspect"), token=new["access_token"], token_type_hint="access_token")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["active"] is True and body["client_id"] == app.client_id and body["sub"] == server.user_id
    assert body["scope"] == SCOPE and body["token_type"] == "Bearer" and body["exp"] > body["iat"]

    # Revocation (RFC 7009) of the refresh token takes the whole grant with it.
    resp = client.revoke_token(server.url("/oauth2/token/revoke"), token=new["refresh_token"], token_type_hint="refresh_token")
    assert resp.status_code == 204, resp.text  # Fluxer's document: 204; authlib takes any 2xx
    resp = client.introspect_token(server.url("/oauth2/introspect"), token=new["access_token"])
    assert resp.json() == {"active": False}
    assert client.get(server.url("/users/@me")).status_code == 401
    with pytest.raises(AuthlibOAuthError) as err:
        client.refresh_token(server.url("/oauth2/token"), refresh_token=new["refresh_token"])
    assert err.value.error == "invalid_grant"


def test_authlib_rotated_refresh_token_is_refused_with_invalid_grant(server, browser):
    app = server.apps["authlib"]
    client = authlib_client(server, app, token_endpoint_auth_method="client_secret_basic")
    seen = record_token_responses(client)
    first = dict(authlib_code_flow(server, browser, client))
    second = dict(client.refresh_token(server.url("/oauth2/token")))
    assert second["refresh_token"] != first["refresh_token"]

    with pytest.raises(AuthlibOAuthError) as err:
        client.refresh_token(server.url("/oauth2/token"), refresh_token=first["refresh_token"])
    assert err.value.error == "invalid_grant"
    assert seen[-1].status_code == 400
    assert_te07(seen[-1])  # error responses of the token endpoint are not cached either (RFC 6749 §5.2)

    # Reuse of a rotated token revokes the grant: the second pair is dead too (RFC 9700 §4.14.2).
    resp = client.introspect_token(server.url("/oauth2/introspect"), token=second["access_token"])
    assert resp.json() == {"active": False}
    with pytest.raises(AuthlibOAuthError) as err:
        client.refresh_token(server.url("/oauth2/token"), refresh_token=second["refresh_token"])
    assert err.value.error == "invalid_grant"


def test_authlib_code_is_single_use(server, browser):
    app = server.apps["authlib"]
    client = authlib_client(server, app)
    verifier = generate_token(64)
    uri, _ = client.create_authorization_url(server.url("/oauth2/authorize"), code_verifier=verifier)
    location = browser.authorize(uri)
    client.fetch_token(server.url("/oauth2/token"), authorization_response=location, code_verifier=verifier)
    with pytest.raises(AuthlibOAuthError) as err:
        client.fetch_token(server.url("/oauth2/token"), authorization_response=location, code_verifier=verifier)
    assert err.value.error == "invalid_grant"


def test_authlib_denied_consent_reaches_the_client_as_access_denied(server, browser):
    app = server.apps["authlib"]
    client = authlib_client(server, app)
    uri, state = client.create_authorization_url(server.url("/oauth2/authorize"), code_verifier=generate_token(64))
    location = browser.authorize(uri, action="cancel")
    params = query(location)
    assert params["error"] == "access_denied" and params["state"] == state and "code" not in params


# --- (b) requests-oauthlib, client_secret_post, no PKCE ---------------------------------------------------------


def test_requests_oauthlib_client_secret_post_code_flow_and_refresh(server, browser):
    app = server.apps["oauthlib"]
    token_url = server.url("/oauth2/token")
    oauth = RequestsOAuthlibSession(app.client_id, redirect_uri=app.redirect_uri, scope=SCOPE.split())
    seen = []
    oauth.register_compliance_hook("access_token_response", lambda r: seen.append(r) or r)
    oauth.register_compliance_hook("refresh_token_response", lambda r: seen.append(r) or r)

    url, state = oauth.authorization_url(server.url("/oauth2/authorize"))
    assert "code_challenge" not in url
    location = browser.authorize(url)
    assert query(location)["state"] == state

    token = oauth.fetch_token(token_url, authorization_response=location, client_secret=app.client_secret,
                              include_client_id=True)
    assert "Authorization" not in seen[-1].request.headers  # client_secret_post, really
    assert "client_secret=" in seen[-1].request.body
    assert_te07(seen[-1])
    assert token["token_type"] == "Bearer" and token["scope"] == SCOPE.split()

    me = oauth.get(server.url("/users/@me"))
    assert me.status_code == 200 and me.json()["id"] == server.user_id
    info = oauth.get(server.url("/oauth2/userinfo"))
    assert info.status_code == 200 and info.json()["email"] == server.email

    new = oauth.refresh_token(token_url, client_id=app.client_id, client_secret=app.client_secret)
    assert_te07(seen[-1])
    assert new["access_token"] != token["access_token"] and new["refresh_token"] != token["refresh_token"]
    assert oauth.get(server.url("/users/@me")).status_code == 200


# --- (c) public client: authlib, token_endpoint_auth_method=none, PKCE --------------------------------------------


def test_authlib_public_client_pkce_without_secret(server, browser):
    app = server.apps["public"]
    assert app.client_secret is None
    client = AuthlibSession(client_id=app.client_id, token_endpoint_auth_method="none", scope="identify",
                            redirect_uri=app.redirect_uri, code_challenge_method="S256")
    seen = record_token_responses(client)
    token = authlib_code_flow(server, browser, client)
    assert "Authorization" not in seen[-1].request.headers
    assert f"client_id={app.client_id}" in seen[-1].request.body and "code_verifier=" in seen[-1].request.body
    assert_te07(seen[-1])
    assert token["scope"] == "identify"

    info = client.get(server.url("/oauth2/userinfo"))
    assert info.status_code == 200 and info.json()["sub"] == server.user_id
    assert info.json()["email"] is None  # no email scope

    new = client.refresh_token(server.url("/oauth2/token"))
    assert new["refresh_token"] != token["refresh_token"]
    resp = client.revoke_token(server.url("/oauth2/token/revoke"), token=new["refresh_token"], token_type_hint="refresh_token")
    assert resp.status_code == 204
    assert client.get(server.url("/users/@me")).status_code == 401


def test_public_client_without_pkce_gets_an_error_redirect(server, browser):
    app = server.apps["public"]
    client = AuthlibSession(client_id=app.client_id, token_endpoint_auth_method="none", scope="identify",
                            redirect_uri=app.redirect_uri)  # no code_challenge_method
    uri, state = client.create_authorization_url(server.url("/oauth2/authorize"))
    # Signed out: an error page, never a redirect (RFC 9700 §4.11.2, AZ-06).
    page = browser.session.get(uri, allow_redirects=False, timeout=30)
    assert page.status_code == 400 and "Location" not in page.headers, (page.status_code, page.headers)
    assert page.headers["Content-Type"].startswith("text/html")
    # Signed in (through a PKCE flow on the pages first): the error goes back to the client (RFC 6749 §4.1.2.1).
    pkce = AuthlibSession(client_id=app.client_id, token_endpoint_auth_method="none", scope="identify",
                          redirect_uri=app.redirect_uri, code_challenge_method="S256")
    signed_in, _ = pkce.create_authorization_url(server.url("/oauth2/authorize"), code_verifier=generate_token(64))
    assert "code" in query(browser.authorize(signed_in))
    location = browser.authorize(uri)
    params = query(location)
    assert params["error"] == "invalid_request" and params["state"] == state and "code" not in params


# --- (d) discovery (RFC 8414) ---------------------------------------------------------------------------------


def test_discovery_metadata_drives_a_full_flow(server, browser):
    resp = requests.get(server.url("/.well-known/oauth-authorization-server"), timeout=10)
    assert resp.status_code == 200
    meta = resp.json()
    assert meta["issuer"] == server.base_url
    for key in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "introspection_endpoint",
                "userinfo_endpoint"):
        assert meta[key].startswith(meta["issuer"] + "/"), (key, meta[key])
    assert "code" in meta["response_types_supported"]
    assert {"authorization_code", "refresh_token"} <= set(meta["grant_types_supported"])
    assert "S256" in meta["code_challenge_methods_supported"]
    assert {"client_secret_basic", "client_secret_post", "none"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert set(SCOPE.split()) <= set(meta["scopes_supported"])

    app = server.apps["discovery"]
    client = AuthlibSession(client_id=app.client_id, client_secret=app.client_secret, scope=SCOPE,
                            redirect_uri=app.redirect_uri, code_challenge_method="S256",
                            token_endpoint_auth_method="client_secret_post", token_endpoint=meta["token_endpoint"])
    verifier = generate_token(64)
    uri, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    location = browser.authorize(uri)
    params = query(location)
    assert params["state"] == state
    if meta.get("authorization_response_iss_parameter_supported"):
        assert params["iss"] == meta["issuer"]  # RFC 9207 mix-up defence
    token = client.fetch_token(meta["token_endpoint"], authorization_response=location, code_verifier=verifier)

    info = client.get(meta["userinfo_endpoint"])
    assert info.status_code == 200 and info.json()["sub"] == server.user_id
    body = client.introspect_token(meta["introspection_endpoint"], token=token["access_token"]).json()
    assert body["active"] is True and body["client_id"] == app.client_id
    # Refresh through the endpoint the metadata named (token_endpoint given to the session).
    new = client.refresh_token()
    assert new["access_token"] != token["access_token"]
    assert client.revoke_token(meta["revocation_endpoint"], token=new["refresh_token"]).status_code == 204
    assert client.introspect_token(meta["introspection_endpoint"], token=new["access_token"]).json() == {"active": False}


# --- (e) state: echoed byte for byte, so the libraries' CSRF check works -------------------------------------------


def test_state_is_echoed_exactly_and_a_mismatch_is_caught_by_authlib(server, browser):
    app = server.apps["authlib"]
    client = authlib_client(server, app)
    verifier = generate_token(64)
    odd_state = random_state() + "-._~ +/=&?%é"
    uri, state = client.create_authorization_url(server.url("/oauth2/authorize"), state=odd_state, code_verifier=verifier)
    assert state == odd_state
    location = browser.authorize(uri)
    assert query(location)["state"] == odd_state

    with pytest.raises(AuthlibMismatchingState):
        client.fetch_token(server.url("/oauth2/token"), authorization_response=location, state=random_state(),
                           code_verifier=verifier)
    # The library stopped before the token request: the code is still good with the right state.
    token = client.fetch_token(server.url("/oauth2/token"), authorization_response=location, state=odd_state,
                               code_verifier=verifier)
    assert token["access_token"]


def test_state_mismatch_is_caught_by_requests_oauthlib(server, browser):
    app = server.apps["oauthlib"]
    oauth = RequestsOAuthlibSession(app.client_id, redirect_uri=app.redirect_uri, scope=SCOPE.split())
    url, state = oauth.authorization_url(server.url("/oauth2/authorize"))
    location = browser.authorize(url)
    assert query(location)["state"] == state

    other = RequestsOAuthlibSession(app.client_id, redirect_uri=app.redirect_uri, scope=SCOPE.split(), state=random_state())
    with pytest.raises(OauthlibMismatchingState):
        other.fetch_token(server.url("/oauth2/token"), authorization_response=location,
                          client_secret=app.client_secret, include_client_id=True)
    token = oauth.fetch_token(server.url("/oauth2/token"), authorization_response=location,
                              client_secret=app.client_secret, include_client_id=True)
    assert token["access_token"]


# --- TE-07 and error shape at the token endpoint, straight from the wire ---------------------------------------


def test_token_endpoint_errors_are_rfc6749_json_and_not_cached(server):
    app = server.apps["oauthlib"]
    resp = requests.post(server.url("/oauth2/token"), auth=(app.client_id, "wrong-secret"),
                         data={"grant_type": "authorization_code", "code": "x" * 43, "redirect_uri": app.redirect_uri},
                         timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    assert_te07(resp)
    resp = requests.post(server.url("/oauth2/token"), auth=(app.client_id, app.client_secret),
                         data={"grant_type": "password", "username": "u", "password": "p"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    assert_te07(resp)
