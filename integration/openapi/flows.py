"""Multi-step flows several test files need: OAuth2 consent → code → tokens, TOTP enrolment, sudo proofs."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pyotp

from conftest import REDIRECT_URI


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def consent(api, user, app, scope="identify email guilds", redirect_uri=REDIRECT_URI, pkce=None, expect=200, **extra):
    """POST /oauth2/authorize/consent as `user`; returns the response (its redirect_to carries code and state)."""
    body = {"response_type": "code", "client_id": app["client_id"], "redirect_uri": redirect_uri, "scope": scope,
            "state": secrets.token_urlsafe(12)}
    if pkce:
        body.update(code_challenge=pkce_challenge(pkce), code_challenge_method="S256")
    body.update(extra)
    resp = api.post("/oauth2/authorize/consent", auth=user.token, json=body, expect=expect)
    if expect == 200:
        params = query(resp.json()["redirect_to"])
        assert params.get("state") == body["state"] and params.get("code"), resp.json()
    return resp


def pkce_challenge(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def authorization_code(api, user, app, **kw):
    return query(consent(api, user, app, **kw).json()["redirect_to"])["code"]


def client_form(app):
    return {"client_id": app["client_id"], "client_secret": app["client_secret"]}


def exchange_code(api, app, code, redirect_uri=REDIRECT_URI, expect=None, **extra):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **client_form(app), **extra}
    return api.post("/oauth2/token", data=data, expect=expect)


def oauth_tokens(api, user, app, scope="identify email guilds"):
    """A full code flow: the token response's JSON ({access_token, refresh_token, scope, …})."""
    code = authorization_code(api, user, app, scope=scope)
    return exchange_code(api, app, code, expect=200).json()


class SecondFactor:
    """A TOTP enrolment: the authenticator, and a supply of codes the server will still accept. A TOTP step is
    accepted once (RFC 6238 §5.2) and the window is ±1 step, so after the enabling code there is one more TOTP
    code to hand out (the next step's); after that the backup codes, one each."""

    def __init__(self, totp, backup_codes):
        self.totp = totp
        self.backup_codes = list(backup_codes)
        self._next_step_used = False

    def code(self):
        import time
        if not self._next_step_used:
            self._next_step_used = True
            return self.totp.at(time.time() + 30)
        return self.backup_codes.pop()


def enable_totp(api, user):
    """Enables TOTP with a secret made here (the real server's flow) and the password as the sudo proof."""
    secret = pyotp.random_base32(length=32)
    totp = pyotp.TOTP(secret)
    resp = api.post("/users/@me/mfa/totp/enable", auth=user.token,
                    json={"secret": secret, "code": totp.now(), "password": user.password}, expect=200)
    return SecondFactor(totp, [c["code"] for c in resp.json()["backup_codes"]])
