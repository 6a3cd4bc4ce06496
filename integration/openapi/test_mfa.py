"""MFA: TOTP (pyotp) and backup codes, phone numbers and SMS, the MFA login step, and sudo proofs with a second
factor."""

import secrets

import pyotp

from conftest import assert_error, assert_json, bot
from flows import enable_totp

SUDO_HEADER = "X-Fluxer-Sudo-Mode-JWT"


def phone_number():
    return "+1415555" + f"{secrets.randbelow(10000):04d}"


def mfa_ticket(api, user):
    got = assert_json(api.post("/auth/login", json={"email": user.email, "password": user.password}, expect=200))
    assert got["mfa"] is True and got["ticket"], got
    return got


def add_phone(api, server, user, sudo=None):
    """send-verification → verify → POST /users/@me/phone; returns the number."""
    phone = phone_number()
    api.post("/users/@me/phone/send-verification", auth=user.token, json={"phone": phone}, expect=204)
    code = server.wait_outbox("sms_phone_verification", phone)["codes"][0]
    resp = api.post("/users/@me/phone/verify", auth=user.token, json={"phone": phone, "code": code}, expect=200)
    got = assert_json(resp)
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    proof = sudo if sudo is not None else {"password": user.password}
    api.post("/users/@me/phone", auth=user.token, json={"phone_token": got["phone_token"], **proof}, expect=204)
    return phone


# --- TOTP ---------------------------------------------------------------------------------------------------


def test_totp_enable_then_login_with_totp(api, server):
    user = server.new_user()
    factor = enable_totp(api, user)
    assert len(factor.backup_codes) == 10
    me = api.get("/users/@me", auth=user.token, expect=200).json()
    assert me["mfa_enabled"] is True and me["authenticator_types"] == [0]
    methods = api.get("/users/@me/sudo/mfa-methods", auth=user.token, expect=200).json()
    assert methods == {"totp": True, "sms": False, "webauthn": False, "has_mfa": True}

    ticket = mfa_ticket(api, user)
    assert ticket["allowed_methods"] == ["totp"] and ticket["totp"] is True and ticket["sms"] is False
    assert ticket["webauthn"] is False and ticket["sms_phone_hint"] is None
    assert_error(api.post("/auth/login/mfa/totp", json={"code": "000000", "ticket": ticket["ticket"]}), 400,
                 "INVALID_FORM_BODY", paths=["code"])
    got = assert_json(api.post("/auth/login/mfa/totp", json={"code": factor.code(), "ticket": ticket["ticket"]}, expect=200))
    assert got["user_id"] == user.id and got["token"].startswith("flx_")
    api.get("/users/@me", auth=got["token"], expect=200)
    # The ticket is spent.
    assert_error(api.post("/auth/login/mfa/totp", json={"code": factor.code(), "ticket": ticket["ticket"]}), 400,
                 "INVALID_FORM_BODY")


def test_login_with_a_backup_code(api, server):
    user = server.new_user()
    factor = enable_totp(api, user)
    ticket = mfa_ticket(api, user)["ticket"]
    api.post("/auth/login/mfa/totp", json={"code": factor.backup_codes.pop(), "ticket": ticket}, expect=200)


def test_mfa_login_refusals(api):
    assert_error(api.post("/auth/login/mfa/totp", json={"code": "123456", "ticket": "nope"}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/login/mfa/totp", json={"ticket": "nope"}), 400, "INVALID_FORM_BODY", paths=["code"])
    assert_error(api.post("/auth/login/mfa/sms", json={"code": "123456", "ticket": "nope"}), 400, "INVALID_FORM_BODY")
    assert_error(api.post("/auth/login/mfa/sms/send", json={"ticket": "nope"}), 400, "INVALID_FORM_BODY", paths=["ticket"])


def test_totp_enable_refusals(api, server):
    user = server.new_user()
    secret = pyotp.random_base32(length=32)
    code = pyotp.TOTP(secret).now()
    assert_error(api.post("/users/@me/mfa/totp/enable", json={"secret": secret, "code": code}), 401, "UNAUTHORIZED")
    body = assert_error(api.post("/users/@me/mfa/totp/enable", auth=user.token, json={"secret": secret, "code": code}),
                        403, "SUDO_MODE_REQUIRED")
    assert body["has_mfa"] is False
    assert_error(api.post("/users/@me/mfa/totp/enable", auth=user.token,
                          json={"secret": secret, "code": "000000", "password": user.password}),
                 400, "INVALID_FORM_BODY", paths=["code"], item_code="INVALID_MFA_CODE")
    assert_error(api.post("/users/@me/mfa/totp/enable", auth=user.token,
                          json={"secret": "!!", "code": code, "password": user.password}),
                 400, "INVALID_FORM_BODY", paths=["secret"])
    enable_totp(api, user)
    assert_error(api.post("/users/@me/mfa/totp/enable", auth=user.token,
                          json={"secret": secret, "code": code, "password": user.password}), 400, "MFA_NOT_DISABLED")


def test_sudo_with_a_second_factor(api, server):
    user = server.new_user()
    factor = enable_totp(api, user)
    # The password alone is no proof for a user with MFA.
    body = assert_error(api.post("/users/@me/mfa/backup-codes", auth=user.token,
                                 json={"regenerate": True, "password": user.password}), 403, "SUDO_MODE_REQUIRED")
    assert body["has_mfa"] is True
    assert_error(api.post("/users/@me/mfa/backup-codes", auth=user.token,
                          json={"regenerate": True, "mfa_method": "totp", "mfa_code": "000000"}),
                 400, "INVALID_FORM_BODY", paths=["mfa_code"], item_code="INVALID_MFA_CODE")
    assert_error(api.post("/users/@me/mfa/backup-codes", auth=user.token,
                          json={"regenerate": True, "mfa_method": "carrier-pigeon", "mfa_code": "1"}),
                 400, "INVALID_FORM_BODY", paths=["mfa_method"])
    resp = api.post("/users/@me/mfa/backup-codes", auth=user.token,
                    json={"regenerate": True, "mfa_method": "totp", "mfa_code": factor.code()}, expect=200)
    codes = [c["code"] for c in assert_json(resp)["backup_codes"]]
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers  # secrets shown once
    assert len(codes) == 10 and all(c["consumed"] is False for c in resp.json()["backup_codes"])
    sudo = resp.headers.get(SUDO_HEADER)
    assert sudo and sudo.count(".") == 2, resp.headers
    # The sudo token stands for the proof for five minutes.
    again = api.post("/users/@me/mfa/backup-codes", auth=user.token, headers={SUDO_HEADER: sudo},
                     json={"regenerate": True}, expect=200).json()
    codes = [c["code"] for c in again["backup_codes"]]
    api.post("/users/@me/mfa/totp/disable", auth=user.token, headers={SUDO_HEADER: sudo}, json={"code": codes[0]},
             expect=204)
    assert api.get("/users/@me", auth=user.token, expect=200).json()["mfa_enabled"] is False


def test_backup_codes_and_totp_disable_refusals(api, server):
    user = server.new_user()
    assert_error(api.post("/users/@me/mfa/backup-codes", auth=user.token, json={"regenerate": True,
                                                                                 "password": user.password}),
                 400, "MFA_NOT_ENABLED")
    assert_error(api.post("/users/@me/mfa/totp/disable", auth=user.token, json={"code": "123456",
                                                                                 "password": user.password}),
                 400, "MFA_NOT_ENABLED")
    assert_error(api.post("/users/@me/mfa/backup-codes", json={"regenerate": True}), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/mfa/totp/disable", json={"code": "123456"}), 401, "UNAUTHORIZED")
    factor = enable_totp(api, user)
    assert_error(api.post("/users/@me/mfa/backup-codes", auth=user.token,
                          json={"regenerate": False, "mfa_method": "totp", "mfa_code": factor.code()}),
                 400, "INVALID_FORM_BODY", paths=["regenerate"])
    sudo = {"mfa_method": "totp", "mfa_code": factor.backup_codes.pop()}
    resp = api.post("/users/@me/mfa/totp/disable", auth=user.token, json={"code": "000000", **sudo})
    assert_error(resp, 400, "INVALID_FORM_BODY", paths=["code"], item_code="INVALID_MFA_CODE")
    owner_app = server.new_app(user)
    assert_error(api.post("/users/@me/mfa/totp/disable", auth=bot(owner_app["bot_token"]), json={"code": "1"}), 403,
                 "ACCESS_DENIED")


# --- phone and SMS ------------------------------------------------------------------------------------------


def test_phone_sms_mfa_login_and_sudo(api, server):
    user = server.new_user()
    assert_error(api.post("/users/@me/mfa/sms/enable", auth=user.token, json={"password": user.password}), 400,
                 "SMS_MFA_REQUIRES_TOTP")
    factor = enable_totp(api, user)
    assert_error(api.post("/users/@me/mfa/sms/enable", auth=user.token,
                          json={"mfa_method": "totp", "mfa_code": factor.backup_codes[-1]}), 400, "PHONE_REQUIRED_FOR_SMS_MFA")
    # With MFA on, adding a phone takes a second factor; the sudo token it returns covers the next steps.
    phone = phone_number()
    api.post("/users/@me/phone/send-verification", auth=user.token, json={"phone": phone}, expect=204)
    code = server.wait_outbox("sms_phone_verification", phone)["codes"][0]
    token = api.post("/users/@me/phone/verify", auth=user.token, json={"phone": phone, "code": code}, expect=200).json()
    resp = api.post("/users/@me/phone", auth=user.token,
                    json={"phone_token": token["phone_token"], "mfa_method": "totp", "mfa_code": factor.code()}, expect=204)
    sudo = {SUDO_HEADER: resp.headers[SUDO_HEADER]}
    api.post("/users/@me/mfa/sms/enable", auth=user.token, headers=sudo, json={}, expect=204)
    me = api.get("/users/@me", auth=user.token, expect=200).json()
    assert me["phone"] == phone and sorted(me["authenticator_types"]) == [0, 1]
    assert api.get("/users/@me/sudo/mfa-methods", auth=user.token, expect=200).json()["sms"] is True

    ticket = mfa_ticket(api, user)
    assert ticket["allowed_methods"] == ["totp", "sms"] and ticket["sms"] is True
    assert ticket["sms_phone_hint"] == "****" + phone[-4:]
    api.post("/auth/login/mfa/sms/send", json={"ticket": ticket["ticket"]}, expect=204)
    sms = server.wait_outbox("sms_login_code", phone)["codes"][0]
    assert_error(api.post("/auth/login/mfa/sms", json={"code": "000000", "ticket": ticket["ticket"]}), 400,
                 "INVALID_FORM_BODY", paths=["code"])
    got = api.post("/auth/login/mfa/sms", json={"code": sms, "ticket": ticket["ticket"]}, expect=200).json()
    assert got["user_id"] == user.id

    # A sudo proof by SMS.
    api.post("/users/@me/sudo/mfa/sms/send", auth=user.token, expect=204)
    sudo_code = server.wait_outbox("sms_sudo_code", phone)["codes"][0]
    resp = api.post("/users/@me/mfa/sms/disable", auth=user.token, json={"mfa_method": "sms", "mfa_code": sudo_code},
                    expect=204)
    assert resp.headers.get(SUDO_HEADER)
    api.delete("/users/@me/phone", auth=user.token, headers={SUDO_HEADER: resp.headers[SUDO_HEADER]}, expect=204)
    assert api.get("/users/@me", auth=user.token, expect=200).json()["phone"] is None


def test_phone_without_mfa_uses_the_password(api, server):
    user = server.new_user()
    phone = add_phone(api, server, user)
    assert api.get("/users/@me", auth=user.token, expect=200).json()["phone"] == phone
    assert_error(api.delete("/users/@me/phone", auth=user.token), 403, "SUDO_MODE_REQUIRED")
    api.delete("/users/@me/phone", auth=user.token, json={"password": user.password}, expect=204)


def test_phone_refusals(api, server):
    user = server.new_user()
    assert_error(api.post("/users/@me/phone/send-verification", auth=user.token, json={"phone": "0123"}), 400,
                 "INVALID_FORM_BODY", paths=["phone"], item_code="PHONE_NUMBER_INVALID_FORMAT")
    assert_error(api.post("/users/@me/phone/send-verification", json={"phone": phone_number()}), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/phone/verify", auth=user.token, json={"phone": phone_number(), "code": "123456"}),
                 400, "INVALID_FORM_BODY", paths=["code"], item_code="INVALID_CODE")
    assert_error(api.post("/users/@me/phone/verify", auth=user.token, json={"phone": "x", "code": "123456"}),
                 400, "INVALID_FORM_BODY", paths=["phone"])
    assert_error(api.post("/users/@me/phone", auth=user.token, json={"phone_token": "nope", "password": user.password}),
                 400, "INVALID_FORM_BODY", paths=["phone_token"])
    assert_error(api.post("/users/@me/phone", auth=user.token, json={"phone_token": "nope"}), 403, "SUDO_MODE_REQUIRED")
    assert_error(api.delete("/users/@me/phone"), 401, "UNAUTHORIZED")


def test_sms_refusals(api, server):
    user = server.new_user()
    assert_error(api.post("/users/@me/sudo/mfa/sms/send", auth=user.token), 400, "SMS_MFA_NOT_ENABLED")
    assert_error(api.post("/users/@me/sudo/mfa/sms/send"), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/mfa/sms/disable", json={}), 401, "UNAUTHORIZED")
    assert_error(api.post("/users/@me/mfa/sms/enable", json={}), 401, "UNAUTHORIZED")
    factor = enable_totp(api, user)
    ticket = mfa_ticket(api, user)["ticket"]
    assert_error(api.post("/auth/login/mfa/sms/send", json={"ticket": ticket}), 400, "SMS_MFA_NOT_ENABLED")
    assert_error(api.post("/auth/login/mfa/sms", json={"code": "123456", "ticket": ticket}), 400, "INVALID_FORM_BODY")
    del factor
