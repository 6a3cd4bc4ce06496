"""Bad-input sweep over every JSON and form endpoint (checklist GE-03 generic errors, PW-06 input caps, H22 413).

For each endpoint, with and without a valid session (seeded with `fluxer-auth user token`), the server gets:
not-JSON, JSON of the wrong top-level type, each field with each wrong type, a ~900 KB string (inside the 1 MiB
body limit), 10,000-deep nested arrays (and objects), duplicate keys, missing fields, an empty body and a wrong
Content-Type. Every answer must be: a response (never a dropped connection), never a 5xx, and in the documented
shape: `{code, message, …}` for the Fluxer API, `{error, error_description}` for the OAuth2 token / revoke /
introspect endpoints, an HTML page (or a 303 redirect) for the browser form endpoints. Bodies over 1 MiB get 413.

Nothing here changes state that matters: passwords, codes and tokens sent are never the real ones.
"""

import json
import re
import socket
import time
from urllib.parse import quote, urlencode

import pytest
import requests

from conftest import HOST, REDIRECT_URI, Closed, RawClient

BIG = 900_000  # a string that keeps the body inside the 1 MiB limit
DEPTH = 10_000
WRONG_PASSWORD = "definitely not the password"

# Field samples by JSON type; each field is also sent as every other type.
SAMPLES = {
    "str": "sample",
    "bool": True,
    "list[str]": ["a", "b"],
    "obj": {"id": "x", "type": "public-key", "response": {"clientDataJSON": "e30"}},
}
WRONG = {"str": [1, True, None, [], {}, 1.5, -1], "bool": ["true", 1, None, [], {}],
         "list[str]": ["a", {}, None, [1, 2], [None], 7], "obj": ["s", 1, [], None, True]}

# (method, path, fields {name: (kind, sample)}). Paths with {app} use the seeded application's id.
JSON_ENDPOINTS = [
    ("POST", "/auth/register", {"email": ("str", "new-user@example.com"), "username": ("str", "newuser"),
                                "global_name": ("str", "New"), "password": ("str", WRONG_PASSWORD),
                                "date_of_birth": ("str", "1990-01-01"), "consent": ("bool", False),
                                "invite_code": ("str", "x")}),
    ("POST", "/auth/login", {"email": ("str", "nobody@example.com"), "password": ("str", WRONG_PASSWORD),
                             "invite_code": ("str", "x")}),
    ("POST", "/auth/sessions/logout", {"session_id_hashes": ("list[str]", ["abc"]), "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/auth/verify", {"token": ("str", "bogus")}),
    ("POST", "/auth/verify/resend", {}),
    ("POST", "/auth/forgot", {"email": ("str", "nobody@example.com")}),
    ("POST", "/auth/reset", {"token": ("str", "bogus"), "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/auth/login/mfa/totp", {"code": ("str", "123456"), "ticket": ("str", "bogus")}),
    ("POST", "/auth/login/mfa/sms", {"code": ("str", "123456"), "ticket": ("str", "bogus")}),
    ("POST", "/auth/login/mfa/sms/send", {"ticket": ("str", "bogus")}),
    ("POST", "/auth/login/mfa/webauthn/authentication-options", {"ticket": ("str", "bogus")}),
    ("POST", "/auth/login/mfa/webauthn", {"response": ("obj", SAMPLES["obj"]), "challenge": ("str", "c"),
                                          "ticket": ("str", "bogus")}),
    ("POST", "/oauth2/applications", {"name": ("str", "Sweep App"), "redirect_uris": ("list[str]", ["https://x.example/cb"]),
                                      "bot_public": ("bool", False), "bot_require_code_grant": ("bool", False)}),
    ("PATCH", "/oauth2/applications/{app}", {"name": ("str", "Adversarial App"), "redirect_uris": ("list[str]", [REDIRECT_URI]),
                                             "bot_public": ("bool", False), "bot_require_code_grant": ("bool", False)}),
    ("DELETE", "/oauth2/applications/{app}", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/oauth2/applications/{app}/client-secret/reset", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/oauth2/applications/{app}/bot/reset-token", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/oauth2/authorize/consent", {"client_id": ("str", "{client}"), "response_type": ("str", "code"),
                                           "redirect_uri": ("str", REDIRECT_URI), "scope": ("str", "identify"),
                                           "state": ("str", "s"), "permissions": ("str", "0"), "guild_id": ("str", "1"),
                                           "code_challenge": ("str", "x" * 43)}),
    ("POST", "/users/@me/mfa/totp/setup", {}),
    ("POST", "/users/@me/mfa/totp/enable", {"secret": ("str", "JBSWY3DPEHPK3PXP"), "code": ("str", "123456"),
                                            "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/mfa/totp/disable", {"code": ("str", "123456"), "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/mfa/backup-codes", {"regenerate": ("bool", False), "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/mfa/sms/enable", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/mfa/sms/disable", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/phone/send-verification", {"phone": ("str", "not-a-phone")}),
    ("POST", "/users/@me/phone/verify", {"phone": ("str", "+14155550123"), "code": ("str", "000000")}),
    ("POST", "/users/@me/phone", {"phone_token": ("str", "bogus"), "password": ("str", WRONG_PASSWORD)}),
    ("DELETE", "/users/@me/phone", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/sudo/mfa/sms/send", {}),
    ("POST", "/users/@me/mfa/webauthn/credentials/registration-options", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/mfa/webauthn/credentials", {"response": ("obj", SAMPLES["obj"]), "challenge": ("str", "c"),
                                                     "name": ("str", "key"), "password": ("str", WRONG_PASSWORD)}),
    ("PATCH", "/users/@me/mfa/webauthn/credentials/AAAA", {"name": ("str", "key"), "password": ("str", WRONG_PASSWORD)}),
    ("DELETE", "/users/@me/mfa/webauthn/credentials/AAAA", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/sudo/webauthn/authentication-options", {}),
    ("POST", "/auth/webauthn/authentication-options", {}),
    ("POST", "/auth/webauthn/authenticate", {"response": ("obj", SAMPLES["obj"]), "challenge": ("str", "c")}),
    ("POST", "/auth/sso/start", {"provider": ("str", "oidc"), "redirect_to": ("str", "/channels/@me")}),
    ("POST", "/auth/sso/complete", {"code": ("str", "c"), "state": ("str", "0" * 32)}),
    ("POST", "/users/@me/sso/link", {"redirect_to": ("str", "/channels/@me"), "password": ("str", WRONG_PASSWORD)}),
    ("POST", "/auth/authorize-ip", {"token": ("str", "bogus")}),
    ("POST", "/auth/ip-authorization/resend", {"ticket": ("str", "bogus")}),
    ("DELETE", "/users/@me/authorized-ips", {"password": ("str", WRONG_PASSWORD)}),
    ("POST", "/users/@me/password-change/start", {}),
    ("POST", "/users/@me/password-change/resend", {"ticket": ("str", "bogus")}),
    ("POST", "/users/@me/password-change/verify", {"ticket": ("str", "bogus"), "code": ("str", "AAAA-AAAA")}),
    ("POST", "/users/@me/password-change/complete", {"ticket": ("str", "bogus"), "verification_proof": ("str", "bogus"),
                                                     "new_password": ("str", "a brand new password"), "password": ("str", WRONG_PASSWORD)}),
]

# OAuth2 endpoints: form bodies, {error, error_description} (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3).
OAUTH_FORM_ENDPOINTS = [
    ("/oauth2/token", {"grant_type": "authorization_code", "code": "bogus", "redirect_uri": REDIRECT_URI,
                       "code_verifier": "v" * 43}),
    ("/oauth2/token/revoke", {"token": "bogus", "token_type_hint": "access_token"}),
    ("/oauth2/introspect", {"token": "bogus", "token_type_hint": "refresh_token"}),
]

# Browser form endpoints: HTML pages (or a 303 back to the authorize page).
HTML_FORM_ENDPOINTS = [
    ("/oauth2/authorize/login", {"email": "nobody@example.com", "password": WRONG_PASSWORD}),
    ("/oauth2/authorize/decision", {"action": "deny"}),
    ("/oauth2/authorize/mfa", {"ticket": "bogus", "code": "123456", "method": "totp"}),
    ("/oauth2/authorize/mfa", {"ticket": "bogus", "action": "webauthn", "challenge": "c", "response": "{}"}),
    ("/oauth2/authorize/sso", {"client_id": "1", "response_type": "code", "scope": "identify"}),
]


def deep_array(depth=DEPTH):
    return b"[" * depth + b"]" * depth


def deep_object(depth=DEPTH):
    return b'{"a":' * depth + b"1" + b"}" * depth


def json_variants(fields):
    """(name, body bytes, content type) for one JSON endpoint."""
    base = {k: v for k, (_, v) in fields.items()}
    dumps = lambda o: json.dumps(o).encode()
    ct = "application/json"
    out = [
        ("not-json", b"email=a&password=b", ct),
        ("truncated-json", b'{"email": "a', ct),
        ("binary", bytes(range(256)), ct),
        ("invalid-utf8", b'{"email":"\xff\xfe"}', ct),
        ("lone-surrogate", b'{"email":"\\ud800","password":"\\udfff"}', ct),
        ("nul-in-string", b'{"email":"a\\u0000b","password":"a\\u0000b"}', ct),
        ("huge-number", b'{"email":1e999999,"password":-1e999999}', ct),
        ("long-number", b'{"email":' + b"9" * 100_000 + b"}", ct),
        ("trailing-garbage", dumps(base) + b"}}}", ct),
        ("two-documents", dumps(base) + dumps(base), ct),
        ("array-top", dumps([base]), ct),
        ("string-top", b'"' + b"a" * 1000 + b'"', ct),
        ("number-top", b"42", ct),
        ("null-top", b"null", ct),
        ("true-top", b"true", ct),
        ("empty-object", b"{}", ct),
        ("empty-body", b"", ct),
        ("whitespace-body", b" \r\n\t ", ct),
        ("deep-array-10000", deep_array(), ct),
        ("deep-object-10000", deep_object(), ct),
        ("deep-array-in-each-field", dumps({k: "__DEEP__" for k in base}).replace(b'"__DEEP__"', deep_array(2000)), ct),
        ("big-string-top", b'"' + b"a" * BIG + b'"', ct),
        ("many-keys", dumps({f"k{i}": i for i in range(20_000)}), ct),
        ("wrong-content-type-text", dumps(base), "text/plain"),
        ("wrong-content-type-form", dumps(base), "application/x-www-form-urlencoded"),
        ("wrong-content-type-multipart", dumps(base), "multipart/form-data; boundary=x"),
        ("json-content-type-params", dumps(base), "application/json; charset=utf-16"),
        ("no-content-type", dumps(base), None),
    ]
    for name, (kind, sample) in fields.items():
        for i, wrong in enumerate(WRONG[kind]):
            out.append((f"{name}-wrong-type-{i}", dumps({**base, name: wrong}), ct))
        big = "é" * (BIG // 2) if kind == "str" else ["a" * BIG]
        out.append((f"{name}-900k", dumps({**base, name: big}), ct))
        out.append((f"{name}-missing", dumps({k: v for k, v in base.items() if k != name}), ct))
        # Duplicate keys: first the sample, then a different value of the wrong type (and the reverse).
        wrong = json.dumps(WRONG[kind][0]).encode()
        sample_json = json.dumps(sample).encode()
        rest = dumps({k: v for k, v in base.items() if k != name})[1:-1]
        sep = b"," if rest else b""
        out.append((f"{name}-duplicate", b"{" + rest + sep + b'"' + name.encode() + b'":' + sample_json
                    + b',"' + name.encode() + b'":' + wrong + b"}", ct))
        out.append((f"{name}-duplicate-rev", b"{" + rest + sep + b'"' + name.encode() + b'":' + wrong
                    + b',"' + name.encode() + b'":' + sample_json + b"}", ct))
        out.append((f"{name}-null", dumps({**base, name: None}), ct))
    out.append(("all-missing", b"{}", ct))
    out.append(("unknown-fields-only", dumps({"zzz": 1, "__proto__": {"admin": True}}), ct))
    return out


def form_variants(base):
    """(name, body bytes, content type) for one form endpoint."""
    ct = "application/x-www-form-urlencoded"
    enc = lambda d: urlencode(d).encode()
    out = [
        ("json-body", json.dumps(base).encode(), ct),
        ("json-content-type", json.dumps(base).encode(), "application/json"),
        ("text-content-type", enc(base), "text/plain"),
        ("multipart", b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--\r\n",
         "multipart/form-data; boundary=x"),
        ("no-content-type", enc(base), None),
        ("empty-body", b"", ct),
        ("binary", bytes(range(256)), ct),
        ("bad-percent", b"%zz=%&%=%%%" + b"&".join(k.encode() + b"=%G0" for k in base), ct),
        ("invalid-utf8", b"&".join(k.encode() + b"=%ff%fe" for k in base), ct),
        ("nul-values", b"&".join(k.encode() + b"=a%00b" for k in base), ct),
        ("crlf-values", b"&".join(k.encode() + b"=a%0d%0aSet-Cookie:%20x=y" for k in base), ct),
        ("only-separators", b"&&&===&&&", ct),
        ("no-equals", b"&".join(k.encode() for k in base), ct),
        ("many-params", b"&".join(b"p%d=%d" % (i, i) for i in range(20_000)), ct),
        ("bracket-nesting", b"a" + b"[]" * DEPTH + b"=1&" + enc(base), ct),
        ("deep-json-value", b"&".join(k.encode() + b"=" + quote(deep_array(2000).decode()).encode() for k in base), ct),
        ("all-missing", b"", ct),
        ("unknown-only", enc({"zzz": "1"}), ct),
    ]
    for name in base:
        out.append((f"{name}-missing", enc({k: v for k, v in base.items() if k != name}), ct))
        out.append((f"{name}-duplicate", enc(base) + b"&" + name.encode() + b"=other", ct))
        out.append((f"{name}-empty", enc({**base, name: ""}), ct))
        out.append((f"{name}-900k", enc({**base, name: "a" * BIG}), ct))
        out.append((f"{name}-array-syntax", enc({k: v for k, v in base.items() if k != name}) + b"&" + name.encode()
                    + b"[]=1&" + name.encode() + b"[]=2", ct))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Shape checks.


def fluxer_shape(resp):
    """`{code, message, …}` JSON (README "Errors use the Fluxer shape")."""
    if not resp.headers.get("Content-Type", "").startswith("application/json"):
        return f"Content-Type {resp.headers.get('Content-Type')!r}, not JSON"
    try:
        body = resp.json()
    except ValueError:
        return "body is not JSON"
    if not (isinstance(body, dict) and isinstance(body.get("code"), str) and isinstance(body.get("message"), str)):
        return f"not {{code, message}}: {resp.text[:200]!r}"
    if body["code"] == "INVALID_FORM_BODY":
        errors = body.get("errors")
        # FieldError.code is optional by design ("machine code, when there is one"; the MFA ticket errors copy
        # the real server, which sends only path and message).
        if not (isinstance(errors, list) and errors and all(
                isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("message"), str)
                and isinstance(e.get("code", ""), str) for e in errors)):
            return f"INVALID_FORM_BODY without errors[{{path, message, code?}}]: {resp.text[:300]!r}"
    return None


def oauth_shape(resp):
    """`{error, error_description}` JSON with no-store (RFC 6749 §5.2)."""
    try:
        body = resp.json()
    except ValueError:
        return f"body is not JSON: {resp.text[:200]!r}"
    if resp.status_code in (413, 429) and isinstance(body, dict) and "code" in body:
        return fluxer_shape(resp)  # the HTTP layer / rate limiter answer before the OAuth handler
    if not (isinstance(body, dict) and isinstance(body.get("error"), str)):
        return f"not {{error, …}}: {resp.text[:200]!r}"
    if "error_description" in body and not isinstance(body["error_description"], str):
        return "error_description is not a string"
    if not re.fullmatch(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+", body["error"]):
        return f"error code has characters outside RFC 6749 §5.2's set: {body['error']!r}"
    if "no-store" not in resp.headers.get("Cache-Control", ""):
        return "no Cache-Control: no-store"
    return None


def fluxer_or_oauth_shape(resp):
    """POST /oauth2/authorize/consent: Fluxer errors for the body and session, OAuth2 errors for the authorize
    parameters (the real web app's consent call)."""
    try:
        body = resp.json()
    except ValueError:
        return f"body is not JSON: {resp.text[:200]!r}"
    return oauth_shape(resp) if isinstance(body, dict) and "error" in body else fluxer_shape(resp)


def html_shape(resp):
    """An HTML page, or a 303 back to the authorize page (browser endpoints never answer JSON to a form post)."""
    if resp.status_code in (302, 303):
        location = resp.headers.get("Location", "")
        if "\r" in location or "\n" in location:
            return f"CR/LF in Location: {location!r}"
        return None if location else "redirect without Location"
    if resp.status_code == 413:
        return fluxer_shape(resp)  # decided by the HTTP layer before any handler
    ct = resp.headers.get("Content-Type", "")
    if not ct.startswith("text/html"):
        return f"Content-Type {ct!r}, not an HTML page"
    if b"<html" not in resp.content[:2000].lower():
        return "no <html> element"
    return None


def run_sweep(session, url, method, variants, headers, shape, label, expect_415=False):
    failures, statuses = [], {}
    for name, body, ct in variants:
        h = dict(headers)
        if ct is not None:
            h["Content-Type"] = ct
        try:
            resp = session.request(method, url, data=body, headers=h, timeout=30, allow_redirects=False)
        except requests.RequestException as e:
            failures.append(f"{label} {name}: no response ({e.__class__.__name__}: {e})")
            session.close()
            continue
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        if resp.status_code >= 500:
            failures.append(f"{label} {name}: {resp.status_code} {resp.text[:200]!r}")
            continue
        if resp.status_code >= 400 or shape is html_shape:
            problem = shape(resp)
            if problem:
                failures.append(f"{label} {name}: {resp.status_code} {problem}")
        # A JSON body under a non-JSON Content-Type is never processed: 415, or an earlier 4xx (auth, state).
        if ct == "text/plain" and expect_415 and resp.status_code < 400:
            failures.append(f"{label} {name}: a text/plain body was accepted ({resp.status_code}), not 415")
    return failures, statuses


# ---------------------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def ctx(server):
    app = server.seed["app"]
    return {
        "token": server.seed["token"],
        "app_id": app.get("id") or app["client_id"],
        "client_id": app["client_id"],
        "client_secret": app.get("client_secret"),
    }


@pytest.fixture(scope="module")
def browser_csrf(server):
    """The CSRF cookie and field from a real authorize page, so form bodies get past the CSRF guard."""
    s = requests.Session()
    url = server.url("/oauth2/authorize?" + urlencode({
        "client_id": server.seed["app"]["client_id"], "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "identify", "state": "s"}))
    r = s.get(url, timeout=10)
    assert r.status_code == 200, r.text[:300]
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, "no csrf field on the authorize page"
    return {"cookies": s.cookies.get_dict(), "csrf": m.group(1), "page": url}


def _session_or_anon(request):
    return request.param


AUTH_MODES = ["anonymous", "session"]


# ---------------------------------------------------------------------------------------------------------------
# Tests.


@pytest.mark.parametrize("auth", AUTH_MODES)
@pytest.mark.parametrize("method,path,fields", JSON_ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _ in JSON_ENDPOINTS])
def test_GE03_PW06_json_endpoint_bad_input(server, ctx, method, path, fields, auth):
    """GE-03 / PW-06: every malformed JSON body → a Fluxer-shaped 4xx (or a harmless 2xx), never 5xx, never silence."""
    url = server.url(path.replace("{app}", ctx["app_id"]))
    fields = {k: (kind, ctx["client_id"] if v == "{client}" else v) for k, (kind, v) in fields.items()}
    headers = {"Authorization": ctx["token"]} if auth == "session" else {}
    with requests.Session() as s:
        shape = fluxer_or_oauth_shape if path == "/oauth2/authorize/consent" else fluxer_shape
        failures, statuses = run_sweep(s, url, method, json_variants(fields), headers, shape, f"{method} {path}",
                                       expect_415=bool(fields))
    assert server.alive(), server.log_tail()
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures; statuses {statuses})"


@pytest.mark.parametrize("auth", ["anonymous", "client-basic", "client-post"])
@pytest.mark.parametrize("path,base", OAUTH_FORM_ENDPOINTS, ids=[p for p, _ in OAUTH_FORM_ENDPOINTS])
def test_GE03_oauth_form_endpoint_bad_input(server, ctx, path, base, auth):
    """GE-03 / RFC 6749 §5.2: malformed form bodies → `{error, error_description}` + no-store, never 5xx."""
    headers = {}
    base = dict(base)
    if auth == "client-basic":
        headers["Authorization"] = requests.auth._basic_auth_str(ctx["client_id"], ctx["client_secret"])
    elif auth == "client-post":
        base.update(client_id=ctx["client_id"], client_secret=ctx["client_secret"])
    with requests.Session() as s:
        failures, statuses = run_sweep(s, server.url(path), "POST", form_variants(base), headers, oauth_shape, path)
    assert server.alive(), server.log_tail()
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures; statuses {statuses})"


@pytest.mark.parametrize("auth", ["anonymous", "session", "session+csrf"])
@pytest.mark.parametrize("path,base", HTML_FORM_ENDPOINTS, ids=[p for p, _ in HTML_FORM_ENDPOINTS])
def test_GE03_browser_form_endpoint_bad_input(server, ctx, browser_csrf, path, base, auth):
    """GE-03 / GE-04: the browser form endpoints answer malformed posts with an HTML page (or a 303), never 5xx."""
    base = dict(base)
    headers = {"Origin": server.base_url, "Referer": browser_csrf["page"]}
    cookies = {}
    if auth.startswith("session"):
        cookies["fluxer_session"] = ctx["token"]
    if auth == "session+csrf":
        cookies.update(browser_csrf["cookies"])
        base["csrf"] = browser_csrf["csrf"]
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    with requests.Session() as s:
        failures, statuses = run_sweep(s, server.url(path), "POST", form_variants(base), headers, html_shape, path)
    assert server.alive(), server.log_tail()
    assert not failures, "\n".join(failures[:30]) + f"\n({len(failures)} failures; statuses {statuses})"


def _raw_post(port, path, body, content_type, extra=b"", expect_close=True):
    with RawClient(port, timeout=20) as c:
        head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type.encode()
                + b"\r\nContent-Length: %d\r\n" % len(body) + extra + b"\r\n")
        c.send(head)
        sent_all = c.send(body)
        try:
            r = c.read_response(timeout=20)
        except Closed as closed:
            pytest.fail(f"{path}: closed without a response ({closed.how}; body fully sent: {sent_all})")
        how = c.wait_closed(3) if expect_close else None
        return r, how


ALL_BODY_ENDPOINTS = ([(p.replace("{app}", "1"), "application/json") for m, p, _ in JSON_ENDPOINTS if m == "POST"]
                      + [(p, "application/x-www-form-urlencoded") for p, _ in OAUTH_FORM_ENDPOINTS + HTML_FORM_ENDPOINTS])


@pytest.mark.parametrize("path,content_type", ALL_BODY_ENDPOINTS, ids=[p for p, _ in ALL_BODY_ENDPOINTS])
def test_H22_body_over_1mib_413_on_every_endpoint(server, path, content_type):
    """H22 on every body endpoint: a body of 1 MiB + 1 → 413 (from Content-Length, before any byte is read),
    `{code, message}` shape, then close; the server stays up."""
    body = b'"' + b"a" * (1024 * 1024 - 1) + b'"'
    r, how = _raw_post(server.port, path, body, content_type)
    assert r.status == 413, (path, r.status)
    assert r.header("Connection") == "close"
    j = r.json()
    assert isinstance(j.get("code"), str) and isinstance(j.get("message"), str), j
    assert how in ("FIN", "RST")


def test_H22_body_exactly_1mib_is_read(server):
    """H22 control: a body of exactly 1 MiB is read and answered by the handler (400 JSON error, not 413)."""
    body = b'"' + b"a" * (1024 * 1024 - 2) + b'"'
    r, _ = _raw_post(server.port, "/auth/login", body, "application/json", expect_close=False)
    assert r.status == 400 and r.json()["code"] == "INVALID_FORM_BODY", (r.status, r.body[:200])


def test_PW06_1mb_password_rejected_quickly(server):
    """PW-06: a ~900 KB password is refused by the length check before any argon2id work (well under 1 s)."""
    body = json.dumps({"email": server.seed["email"], "password": "p" * BIG}).encode()
    with requests.Session() as s:
        t0 = time.monotonic()
        r = s.post(server.url("/auth/login"), data=body, headers={"Content-Type": "application/json"}, timeout=30)
        elapsed = time.monotonic() - t0
    assert r.status_code == 400, r.status_code
    assert fluxer_shape(r) is None
    assert elapsed < 1.0, elapsed


def test_GE03_deep_nesting_all_endpoints_in_parallel(server, ctx):
    """GE-03: 10,000-deep arrays on every JSON endpoint at once (worker threads, small stacks) → all 4xx, no crash."""
    import concurrent.futures as cf

    def one(item):
        method, path, _ = item
        url = server.url(path.replace("{app}", ctx["app_id"]))
        r = requests.request(method, url, data=deep_array(), timeout=30,
                             headers={"Content-Type": "application/json", "Authorization": ctx["token"]})
        return path, r.status_code, fluxer_shape(r) if r.status_code >= 400 else None

    with cf.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, JSON_ENDPOINTS * 2))
    bad = [r for r in results if r[1] >= 500 or r[2]]
    assert not bad, bad
    assert server.alive(), server.log_tail()


# ---------------------------------------------------------------------------------------------------------------
# Issue 12: JSON is RFC 8259, strictly.

def strict_json_violations(fields):
    """(name, body) pairs that Foundation's decoder would accept (or half-accept) and RFC 8259 refuses."""
    base = {k: v for k, (_, v) in fields.items()}
    text = json.dumps(base)
    first = next(iter(base))
    first_json = json.dumps(base[first])
    return [
        ("trailing-comma", (text[:-1] + ",}").encode()),
        ("trailing-comma-in-array", text.replace("]", ",]", 1).encode() if "[" in text else (text[:-1] + ",}").encode()),
        ("line-comment", (text[:-1] + " // note\n}").encode()),
        ("block-comment", ("{/* c */" + text[1:]).encode()),
        ("single-quotes", text.replace('"', "'").encode()),
        ("nan", (text[:-1] + ', "zzz": NaN}').encode()),
        ("infinity", (text[:-1] + ', "zzz": -Infinity}').encode()),
        ("leading-zero", (text[:-1] + ', "zzz": 01}').encode()),
        ("duplicate-same-value", ("{" + f'"{first}": {first_json}, ' + text[1:]).encode()),
        ("duplicate-escaped-name", ("{" + '"' + "".join(f"\\u{ord(c):04x}" for c in first) + f'": {first_json}, ' + text[1:]).encode()),
    ]


def _snapshot(database):
    """Every row that matters, as text: what a refused request must leave unchanged."""
    import sqlite3
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        out = {}
        for t in tables:
            # Bookkeeping that changes on its own: audit, counters, and the leases a live server renews.
            if t in ("audit_log", "rate_limits", "schema_migrations", "worker_leases", "job_leases"):
                continue
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})") if r[1] not in ("last_used_at",)]
            out[t] = sorted(repr(r) for r in con.execute(f"SELECT {', '.join(cols)} FROM {t}"))
        return out
    finally:
        con.close()


STRICT_JSON_ENDPOINTS = [(m, p, f) for m, p, f in JSON_ENDPOINTS if f]


@pytest.mark.parametrize("method,path,fields", STRICT_JSON_ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in STRICT_JSON_ENDPOINTS])
def test_strictJSON_trailingCommas_comments_quotes_NaN_duplicateKeys_refused_nothingWritten(server, ctx, method, path, fields):
    """Issue 12: `{"email":"a@b.c",}` used to register a user. Every JSON endpoint refuses every non-RFC 8259 body
    with 400 INVALID_FORM_BODY (code INVALID_JSON at `root`), and no row changes."""
    url = server.url(path.replace("{app}", ctx["app_id"]))
    fields = {k: (kind, ctx["client_id"] if v == "{client}" else v) for k, (kind, v) in fields.items()}
    headers = {"Authorization": ctx["token"], "Content-Type": "application/json"}

    def answer(s, body):
        resp = s.request(method, url, data=body, headers=headers, timeout=30, allow_redirects=False)
        try:
            doc = resp.json()
        except ValueError:
            doc = {}
        return resp, doc

    before = _snapshot(server.database)
    others = []
    with requests.Session() as s:
        for name, body in strict_json_violations(fields):
            resp, doc = answer(s, body)
            if resp.status_code != 400 or doc.get("code") != "INVALID_FORM_BODY" \
                    or [e.get("code") for e in doc.get("errors", [])] != ["INVALID_JSON"]:
                others.append((name, resp.status_code, doc.get("code"), resp.text[:160]))
        assert _snapshot(server.database) == before, "a refused body changed the database"
        # A refusal that comes before the body is read (the account's state) is the one the well-formed body
        # gets too; anything else accepted a non-RFC 8259 body.
        if others:
            good, good_doc = answer(s, json.dumps({k: v for k, (_, v) in fields.items()}).encode())
            failures = [f"{name}: {status} {text!r}" for name, status, code, text in others
                        if good.status_code < 400 or (status, code) != (good.status_code, good_doc.get("code"))]
            assert not failures, f"{method} {path}:\n" + "\n".join(failures)
    assert server.alive(), server.log_tail()
