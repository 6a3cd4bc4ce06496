"""/auth: register, login, logout, sessions, email verification, password reset — success paths and main
failures, every response validated against the document (conftest.Api)."""

import hashlib
import base64
import secrets

from conftest import PASSWORD, assert_error, assert_json, bearer, bot

NEW_PASSWORD = "another horse battery 9"


def register_body(**over):
    tag = "reg" + secrets.token_hex(5)
    body = {"email": f"{tag}@example.com", "username": tag, "global_name": "Reg User", "password": PASSWORD,
            "date_of_birth": "1990-04-01", "consent": True}
    body.update(over)
    return body


def id_hash(token):
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


# --- register ---------------------------------------------------------------------------------------------------


def test_register_success_then_session_works(api):
    body = register_body()
    resp = api.post("/auth/register", json=body, expect=200)
    got = assert_json(resp)
    assert set(got) >= {"user_id", "token"} and got["token"].startswith("flx_"), got
    me = api.get("/users/@me", auth=got["token"], expect=200).json()
    assert me["id"] == got["user_id"] and me["email"] == body["email"] and me["verified"] is False


def test_register_validation_errors(api):
    resp = api.post("/auth/register", json={"email": "not-an-email", "password": "short", "consent": False})
    body = assert_error(resp, 400, "INVALID_FORM_BODY")
    assert {"email", "password", "date_of_birth", "consent"} <= {e["path"] for e in body["errors"]}, body


def test_register_email_in_use(api, server):
    user = server.new_user(with_token=False)
    resp = api.post("/auth/register", json=register_body(email=user.email))
    assert_error(resp, 400, "INVALID_FORM_BODY", paths=["email"], item_code="EMAIL_ALREADY_IN_USE")


def test_register_not_json(api):
    resp = api.post("/auth/register", body="{nope", headers={"Content-Type": "application/json"})
    assert_error(resp, 400, "INVALID_FORM_BODY")


# --- login --------------------------------------------------------------------------------------------------------


def test_login_success(api, server):
    user = server.new_user(with_token=False)
    got = api.login(user)
    assert set(got) == {"user_id", "token"} and got["user_id"] == user.id, got


def test_login_under_every_prefix(api, server):
    user = server.new_user(with_token=False)
    for prefix in ("/api/v1", "/v1", ""):
        got = api.under(prefix).login(user)
        api.under(prefix).get("/users/@me", auth=got["token"], expect=200)


def test_login_wrong_password_and_unknown_email_answer_alike(api, server):
    user = server.new_user(with_token=False)
    wrong = api.post("/auth/login", json={"email": user.email, "password": "wrong horse battery 1"})
    unknown = api.post("/auth/login", json={"email": "nobody-" + user.email, "password": PASSWORD})
    for resp in (wrong, unknown):
        assert_error(resp, 400, "INVALID_FORM_BODY", paths=["email", "password"], item_code="INVALID_EMAIL_OR_PASSWORD")


def test_login_validation(api):
    resp = api.post("/auth/login", json={"email": "", "password": "short"})
    assert_error(resp, 400, "INVALID_FORM_BODY", paths=["email", "password"])
    resp = api.post("/auth/login", json={"email": "a@example.com"})
    assert_error(resp, 400, "INVALID_FORM_BODY", paths=["password"])


# --- logout and sessions -------------------------------------------------------------------------------------


def test_logout_ends_the_session(api, server):
    user = server.new_user()
    api.post("/auth/logout", auth=user.token, expect=204)
    assert_error(api.get("/users/@me", auth=user.token), 401, "UNAUTHORIZED")


def test_logout_with_bearer_prefix_and_without_token(api, server):
    user = server.new_user()
    api.post("/auth/logout", auth=bearer(user.token), expect=204)
    assert_error(api.get("/users/@me", auth=user.token), 401, "UNAUTHORIZED")
    api.post("/auth/logout", expect=204)  # no session: still 204


def test_sessions_list(api, server):
    user = server.new_user()
    other = api.login(user)["token"]
    sessions = assert_json(api.get("/auth/sessions", auth=user.token, expect=200))
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1 and current[0]["id_hash"] == id_hash(user.token), sessions
    assert {s["id_hash"] for s in sessions} == {id_hash(user.token), id_hash(other)}


def test_sessions_list_refusals(api, server):
    assert_error(api.get("/auth/sessions"), 401, "UNAUTHORIZED")
    assert_error(api.get("/auth/sessions", auth="flx_" + "a" * 36), 401, "UNAUTHORIZED")
    owner = server.new_user()
    app = server.new_app(owner)
    assert_error(api.get("/auth/sessions", auth=bot(app["bot_token"])), 403, "ACCESS_DENIED")


def test_sessions_logout_with_password(api, server):
    user = server.new_user()
    other = api.login(user)["token"]
    api.post("/auth/sessions/logout", auth=user.token,
             json={"session_id_hashes": [id_hash(other)], "password": user.password}, expect=204)
    assert_error(api.get("/users/@me", auth=other), 401, "UNAUTHORIZED")
    api.get("/users/@me", auth=user.token, expect=200)


def test_sessions_logout_needs_sudo(api, server):
    user = server.new_user()
    other = api.login(user)["token"]
    body = assert_error(api.post("/auth/sessions/logout", auth=user.token, json={"session_id_hashes": [id_hash(other)]}),
                        403, "SUDO_MODE_REQUIRED")
    assert body["has_mfa"] is False
    assert_error(api.post("/auth/sessions/logout", auth=user.token,
                          json={"session_id_hashes": [id_hash(other)], "password": "wrong horse battery 1"}),
                 400, "INVALID_FORM_BODY", paths=["password"], item_code="INVALID_PASSWORD")
    api.get("/users/@me", auth=other, expect=200)  # nothing ended


def test_sessions_logout_refusals(api, server):
    user = server.new_user()
    assert_error(api.post("/auth/sessions/logout", json={"session_id_hashes": []}), 401, "UNAUTHORIZED")
    assert_error(api.post("/auth/sessions/logout", auth=user.token,
                          json={"session_id_hashes": ["x"] * 101, "password": user.password}),
                 400, "INVALID_FORM_BODY", paths=["session_id_hashes"])
    assert_error(api.post("/auth/sessions/logout", auth=user.token, json={"session_id_hashes": "nope"}),
                 400, "INVALID_FORM_BODY")


# --- email verification -------------------------------------------------------------------------------------


def test_verify_email_with_the_mailed_token(api, server):
    body = register_body()
    token = api.post("/auth/register", json=body, expect=200).json()["token"]
    mail = server.wait_outbox("verify_email", body["email"])
    verify_token = mail["codes"][0]
    api.post("/auth/verify", auth=token, json={"token": verify_token}, expect=204)
    assert api.get("/users/@me", auth=token, expect=200).json()["verified"] is True
    # Single use.
    assert_error(api.post("/auth/verify", json={"token": verify_token}), 400, "INVALID_FORM_BODY", paths=["token"],
                 item_code="INVALID_OR_EXPIRED_VERIFICATION_TOKEN")


def test_verify_email_refusals(api):
    assert_error(api.post("/auth/verify", json={"token": "x" * 64}), 400, "INVALID_FORM_BODY", paths=["token"],
                 item_code="INVALID_OR_EXPIRED_VERIFICATION_TOKEN")
    assert_error(api.post("/auth/verify", json={}), 400, "INVALID_FORM_BODY", paths=["token"])


def test_verify_resend(api, server):
    unverified = server.new_user(verified=False)
    api.post("/auth/verify/resend", auth=unverified.token, expect=204)
    server.wait_outbox("verify_email", unverified.email)
    verified = server.new_user()
    assert_error(api.post("/auth/verify/resend", auth=verified.token), 400, "INVALID_FORM_BODY",
                 item_code="ACCOUNT_ALREADY_VERIFIED")
    assert_error(api.post("/auth/verify/resend"), 401, "UNAUTHORIZED")


# --- password reset -------------------------------------------------------------------------------------------


def test_forgot_and_reset(api, server):
    user = server.new_user()
    api.post("/auth/forgot", json={"email": user.email}, expect=204)
    token = server.wait_outbox("password_reset", user.email)["codes"][0]
    got = assert_json(api.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}, expect=200))
    assert set(got) == {"user_id", "token"} and got["user_id"] == user.id
    assert_error(api.get("/users/@me", auth=user.token), 401, "UNAUTHORIZED")  # every session ended
    user.password = NEW_PASSWORD
    api.login(user)
    assert_error(api.post("/auth/reset", json={"token": token, "password": NEW_PASSWORD}), 400, "INVALID_FORM_BODY",
                 paths=["token"], item_code="INVALID_OR_EXPIRED_RESET_TOKEN")


def test_forgot_unknown_email_is_204_and_bad_email_400(api):
    api.post("/auth/forgot", json={"email": "nobody-" + secrets.token_hex(4) + "@example.com"}, expect=204)
    assert_error(api.post("/auth/forgot", json={"email": "nope"}), 400, "INVALID_FORM_BODY", paths=["email"])


def test_reset_refusals(api):
    assert_error(api.post("/auth/reset", json={"token": "x" * 64, "password": NEW_PASSWORD}), 400, "INVALID_FORM_BODY",
                 paths=["token"], item_code="INVALID_OR_EXPIRED_RESET_TOKEN")
    assert_error(api.post("/auth/reset", json={"token": "x" * 64, "password": "short"}), 400, "INVALID_FORM_BODY",
                 paths=["password"])
