"""FluxerAuth as an OpenID Connect relying party against an independent provider written here with Authlib's JOSE
and `cryptography`: RS256 ID tokens (the mock in the binary signs ES256), client_secret_basic checked by the
provider, PKCE S256 checked by the provider, JWKS key rotation, userinfo when the ID token has no email, and
refusals (a key not in the JWKS, an unverified email).
"""
import base64
import hashlib
import json
import os
import secrets
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fluxer_binary import binary as _binary, free_port, wait_healthy  # noqa: E402

import warnings

import pytest
import requests

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib.jose is deprecated in favour of joserfc; it is only the test's signer
    from authlib.jose import JsonWebKey, jwt

CLIENT_ID = "rp-client"
CLIENT_SECRET = "rp-secret with spaces & symbols"
REDIRECT_URI = "http://127.0.0.1:9/cb"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Provider:
    """A small OIDC provider: discovery, authorize (no UI: the test calls it directly), token, JWKS, userinfo."""

    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.keys = [self.new_key()]
        self.rogue = self.new_key()       # signs, but is never published
        self.codes = {}
        self.access = {}
        self.options = {"email_in_token": True, "email_verified": True, "sign_with_rogue": False}
        self.token_requests = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, headers=()):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    i = provider.issuer
                    return self.reply(200, {"issuer": i, "authorization_endpoint": i + "/authorize", "token_endpoint": i + "/token",
                                            "jwks_uri": i + "/jwks", "userinfo_endpoint": i + "/userinfo"})
                if url.path == "/jwks":
                    return self.reply(200, {"keys": [k.as_dict(is_private=False) for k in provider.keys]})
                if url.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(32)
                    provider.codes[code] = q
                    location = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q.get("state", "")})
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in provider.access:
                        return self.reply(401, {"error": "invalid_token"})
                    email = provider.access[token]
                    return self.reply(200, {"sub": provider.subject(email), "email": email,
                                            "email_verified": provider.options["email_verified"]})
                return self.reply(404, {})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append((dict(self.headers), form))
                if urlsplit(self.path).path != "/token":
                    return self.reply(404, {})
                # RFC 6749 §2.3.1: the id and secret are form-encoded before Basic.
                basic = self.headers.get("Authorization", "")
                expected = "Basic " + base64.b64encode(
                    (requests.utils.quote(CLIENT_ID, safe="") + ":" + requests.utils.quote(CLIENT_SECRET, safe="")).encode()).decode()
                if basic != expected:
                    return self.reply(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or form.get("redirect_uri") != grant["redirect_uri"] or \
                        b64url(hashlib.sha256(form.get("code_verifier", "").encode()).digest()) != grant["code_challenge"]:
                    return self.reply(400, {"error": "invalid_grant"})
                email = grant["login_hint"]
                access = secrets.token_urlsafe(32)
                provider.access[access] = email
                claims = {"iss": provider.issuer, "sub": provider.subject(email), "aud": CLIENT_ID, "iat": int(time.time()),
                          "exp": int(time.time()) + 300, "nonce": grant["nonce"]}
                if provider.options["email_in_token"]:
                    claims.update({"email": email, "email_verified": provider.options["email_verified"]})
                key = provider.rogue if provider.options["sign_with_rogue"] else provider.keys[-1]
                id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key).decode()
                return self.reply(200, {"access_token": access, "token_type": "Bearer", "id_token": id_token})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def new_key():
        return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": secrets.token_hex(4)})

    @staticmethod
    def subject(email):
        return "sub-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16]


@pytest.fixture
def rp():
    binary = _binary()
    if binary is None:
        pytest.skip("no fluxer-auth binary (build first)")
    provider = Provider()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, FLUXER_AUTH_SSO_ENABLED="true", FLUXER_AUTH_SSO_ISSUER=provider.issuer,
                   FLUXER_AUTH_SSO_CLIENT_ID=CLIENT_ID, FLUXER_AUTH_SSO_CLIENT_SECRET=CLIENT_SECRET,
                   FLUXER_AUTH_SSO_REDIRECT_URI=REDIRECT_URI, FLUXER_AUTH_RATELIMIT_ENABLED="false")
        log = open(Path(tmp) / "server.log", "w")
        proc = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--database", str(Path(tmp) / "db.sqlite")],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_healthy(base)
            yield base, provider
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            provider.httpd.shutdown()
            log.close()


def sign_in(base, provider, email):
    start = requests.post(base + "/auth/sso/start", json={}).json()
    assert start["authorization_url"].startswith(provider.issuer + "/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start["authorization_url"]).query).items()}
    assert query["code_challenge_method"] == "S256" and query["client_id"] == CLIENT_ID and query["redirect_uri"] == REDIRECT_URI
    back = requests.get(start["authorization_url"] + "&" + urlencode({"login_hint": email}), allow_redirects=False)
    assert back.status_code == 302
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    return requests.post(base + "/auth/sso/complete", json={"code": code, "state": start["state"]})


def test_rs256_provider_with_client_secret_basic(rp):
    base, provider = rp
    done = sign_in(base, provider, "erin@corp.example")
    assert done.status_code == 200, done.text
    body = done.json()
    me = requests.get(base + "/users/@me", headers={"Authorization": body["token"]}).json()
    assert me["email"] == "erin@corp.example" and me["verified"] is True
    headers, form = provider.token_requests[-1]
    assert "client_secret" not in form and "client_id" not in form, "client_secret_basic only: nothing in the body"
    assert len(form["code_verifier"]) == 43


def test_provider_key_rotation_is_followed(rp):
    base, provider = rp
    assert sign_in(base, provider, "finn@corp.example").status_code == 200
    provider.keys = [provider.new_key()]          # old key retired, new kid
    done = sign_in(base, provider, "finn@corp.example")
    assert done.status_code == 200, done.text


def test_userinfo_fills_a_missing_email(rp):
    base, provider = rp
    provider.options["email_in_token"] = False
    done = sign_in(base, provider, "gail@corp.example")
    assert done.status_code == 200, done.text
    me = requests.get(base + "/users/@me", headers={"Authorization": done.json()["token"]}).json()
    assert me["email"] == "gail@corp.example"


def test_unpublished_key_and_unverified_email_are_refused(rp):
    base, provider = rp
    provider.options["sign_with_rogue"] = True
    refused = sign_in(base, provider, "hank@corp.example")
    assert refused.status_code == 400 and refused.json()["code"] == "SSO_AUTHENTICATION_FAILED", refused.text
    provider.options["sign_with_rogue"] = False
    provider.options["email_verified"] = False
    unverified = sign_in(base, provider, "hank@corp.example")
    assert unverified.status_code == 403 and unverified.json()["code"] == "SSO_REQUIRED", unverified.text
