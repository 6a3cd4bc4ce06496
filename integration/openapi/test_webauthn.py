"""WebAuthn with a software authenticator (soft_authenticator.py): registration options and registration, list,
rename, the MFA login step, passwordless passkey sign-in, sudo by security key, delete."""

import pytest

from conftest import assert_error, assert_json, bot
from soft_authenticator import SoftAuthenticator

SUDO_HEADER = "X-Fluxer-Sudo-Mode-JWT"


@pytest.fixture
def key_user(api, server):
    """A user with one registered security key: (user, authenticator)."""
    user = server.new_user()
    key = SoftAuthenticator(server.base_url)
    register(api, user, key, name="Test key")
    return user, key


def register(api, user, key, name, sudo=None):
    proof = sudo if sudo is not None else {"password": user.password}
    options = assert_json(api.post("/users/@me/mfa/webauthn/credentials/registration-options", auth=user.token,
                                   json=proof, expect=200))
    api.post("/users/@me/mfa/webauthn/credentials", auth=user.token, expect=204,
             json={"response": key.create(options), "challenge": options["challenge"], "name": name, **proof})
    return options


def test_registration_options_shape(api, server):
    user = server.new_user()
    resp = api.post("/users/@me/mfa/webauthn/credentials/registration-options", auth=user.token,
                    json={"password": user.password}, expect=200)
    options = assert_json(resp)
    assert resp.headers.get("Cache-Control") == "no-store"
    assert options["challenge"] and options["rp"]["id"] == "127.0.0.1" and options["user"]["id"]
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]


def test_register_list_rename_delete(api, server, key_user):
    user, key = key_user
    listed = assert_json(api.get("/users/@me/mfa/webauthn/credentials", auth=user.token, expect=200))
    assert [(c["id"], c["name"]) for c in listed] == [(key.id, "Test key")]
    me = api.get("/users/@me", auth=user.token, expect=200).json()
    assert me["mfa_enabled"] is True and me["authenticator_types"] == [2]
    # With a key, sudo needs the key: options for it, then an assertion as the proof.
    options = assert_json(api.post("/users/@me/sudo/webauthn/authentication-options", auth=user.token, expect=200))
    assert [c["id"] for c in options["allowCredentials"]] == [key.id]
    proof = {"mfa_method": "webauthn", "webauthn_response": key.get(options), "webauthn_challenge": options["challenge"]}
    resp = api.patch(f"/users/@me/mfa/webauthn/credentials/{key.id}", auth=user.token, json={"name": "Renamed", **proof},
                     expect=204)
    sudo = {SUDO_HEADER: resp.headers[SUDO_HEADER]}
    assert api.get("/users/@me/mfa/webauthn/credentials", auth=user.token, expect=200).json()[0]["name"] == "Renamed"
    api.delete(f"/users/@me/mfa/webauthn/credentials/{key.id}", auth=user.token, headers=sudo, expect=204)
    assert api.get("/users/@me/mfa/webauthn/credentials", auth=user.token, expect=200).json() == []


def test_mfa_login_with_the_key(api, server, key_user):
    user, key = key_user
    ticket = api.post("/auth/login", json={"email": user.email, "password": user.password}, expect=200).json()
    assert ticket["mfa"] is True and ticket["allowed_methods"] == ["webauthn"] and ticket["webauthn"] is True
    options = assert_json(api.post("/auth/login/mfa/webauthn/authentication-options", json={"ticket": ticket["ticket"]},
                                   expect=200))
    assert [c["id"] for c in options["allowCredentials"]] == [key.id] and options["userVerification"] == "required"
    got = assert_json(api.post("/auth/login/mfa/webauthn", expect=200, json={
        "response": key.get(options), "challenge": options["challenge"], "ticket": ticket["ticket"]}))
    assert got["user_id"] == user.id and got["token"].startswith("flx_")


def test_mfa_login_with_the_key_refusals(api, server, key_user):
    user, key = key_user
    ticket = api.post("/auth/login", json={"email": user.email, "password": user.password}, expect=200).json()["ticket"]
    options = api.post("/auth/login/mfa/webauthn/authentication-options", json={"ticket": ticket}, expect=200).json()
    forged = key.get(options)
    forged["response"]["signature"] = forged["response"]["signature"][:-4] + "AAAA"
    assert_error(api.post("/auth/login/mfa/webauthn", json={"response": forged, "challenge": options["challenge"],
                                                            "ticket": ticket}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/login/mfa/webauthn/authentication-options", json={"ticket": "nope"}), 400,
                 "INVALID_FORM_BODY", paths=["ticket"])
    assert_error(api.post("/auth/login/mfa/webauthn", json={"response": key.get(options), "challenge": options["challenge"],
                                                            "ticket": "nope"}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/login/mfa/webauthn", json={"ticket": ticket}), 400, "INVALID_FORM_BODY")


def test_passwordless_passkey_sign_in(api, server, key_user):
    user, key = key_user
    options = assert_json(api.post("/auth/webauthn/authentication-options", expect=200))
    assert options["allowCredentials"] == [] and options["challenge"]
    got = assert_json(api.post("/auth/webauthn/authenticate", expect=200,
                               json={"response": key.get(options), "challenge": options["challenge"]}))
    assert got["user_id"] == user.id and got["token"].startswith("flx_")
    # The challenge is spent.
    assert_error(api.post("/auth/webauthn/authenticate", json={"response": key.get(options), "challenge": options["challenge"]}),
                 400, "INVALID_FORM_BODY")


def test_passkey_sign_in_refusals(api, server):
    stranger = SoftAuthenticator(server.base_url)
    stranger.user_handle = b"\x00" * 8
    options = api.post("/auth/webauthn/authentication-options", expect=200).json()
    assert_error(api.post("/auth/webauthn/authenticate", json={"response": stranger.get(options, challenge=options["challenge"]),
                                                               "challenge": options["challenge"]}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/webauthn/authenticate", json={"challenge": "x"}), 400, "INVALID_FORM_BODY")


def test_webauthn_management_refusals(api, server, key_user):
    user, key = key_user
    assert_error(api.get("/users/@me/mfa/webauthn/credentials"), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/mfa/webauthn/credentials/registration-options", json={}), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/mfa/webauthn/credentials/registration-options", auth=user.token,
                          json={"password": user.password}), 403, "SUDO_MODE_REQUIRED")  # has MFA now
    plain = server.new_user()
    assert_error(api.post("/users/@me/mfa/webauthn/credentials/registration-options", auth=plain.token, json={}), 403,
                 "SUDO_MODE_REQUIRED")
    options = api.post("/users/@me/mfa/webauthn/credentials/registration-options", auth=plain.token,
                       json={"password": plain.password}, expect=200).json()
    other = SoftAuthenticator(server.base_url)
    assert_error(api.post("/users/@me/mfa/webauthn/credentials", auth=plain.token, json={
        "response": other.create(options), "challenge": "A" * 43, "name": "x", "password": plain.password}),
        400, "INVALID_FORM_BODY", paths=["challenge"])
    assert_error(api.post("/users/@me/mfa/webauthn/credentials", auth=plain.token, json={
        "response": other.create(options), "challenge": options["challenge"], "name": "", "password": plain.password}),
        400, "INVALID_FORM_BODY", paths=["name"])
    assert_error(api.post("/users/@me/sudo/webauthn/authentication-options", auth=plain.token), 400, "NO_PASSKEYS_REGISTERED")
    assert_error(api.patch("/users/@me/mfa/webauthn/credentials/AAAA", auth=plain.token,
                           json={"name": "x", "password": plain.password}), 404, "UNKNOWN_WEBAUTHN_CREDENTIAL")
    assert_error(api.delete("/users/@me/mfa/webauthn/credentials/AAAA", auth=plain.token, json={"password": plain.password}),
                 404, "UNKNOWN_WEBAUTHN_CREDENTIAL")
    assert_error(api.patch(f"/users/@me/mfa/webauthn/credentials/{key.id}", auth=user.token, json={"name": ""}), 400,
                 "INVALID_FORM_BODY", paths=["name"])
    assert_error(api.delete(f"/users/@me/mfa/webauthn/credentials/{key.id}", auth=user.token), 403, "SUDO_MODE_REQUIRED")
    app = server.new_app(plain)
    assert_error(api.get("/users/@me/mfa/webauthn/credentials", auth=bot(app["bot_token"])), 403, "ACCESS_DENIED")
