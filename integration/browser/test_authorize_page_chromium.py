"""The OAuth2 authorize page in headless Chromium, against a dev-mode server seeded with config/seed.dev.json
(issue 16): sign-in → TOTP step → consent → redirect to a client's callback served by the test (and the code
exchanged at /oauth2/token), the cancel path, the security-key button with an authenticator that holds no
credential, the SSO buttons, dark mode and a 390 px wide viewport. Every page state is saved as a screenshot under
the artifacts directory (chromium.ARTIFACTS), and every page is checked for Content-Security-Policy violations.

Needs `chromium` (Debian package) and `websocket-client`; without Chromium the suite fails (conftest.py) unless
FLUXER_SKIP_BROWSER=1.
"""
import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import sys
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import add_virtual_authenticator, dev_stack, register_security_key  # noqa: E402

import pytest
import requests

# The seeded logins (config/seed.dev.json, README "Use it as a mock").
ALICE = ("alice@example.com", "fluxer-dev-alice", "1000000000000000001")
BOB = ("bob@example.com", "fluxer-dev-bob", "1000000000000000002")
BOB_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# Records every Content-Security-Policy violation of every document the browser opens (DevTools-injected scripts
# are not subject to the page's CSP).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
"""


def totp(secret, at=None):
    """RFC 6238 (HMAC-SHA-1, 30 s, 6 digits), as scripts/totp.py."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at or time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Callback:
    """The client's redirect target: a small HTTP server on 127.0.0.1 (another origin than the authorization
    server) that answers every GET with a page and records the request targets it got."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/favicon.ico":
                    self.send_error(404)
                    return
                received.append(self.path)
                body = b"<!doctype html><title>Client callback</title><p>The client received the redirect.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.redirect_uri = self.origin + "/callback"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def stack():
    with dev_stack() as (base, _database, _binary, tools):
        tools.call("Page.addScriptToEvaluateOnNewDocument", source=CSP_RECORDER)
        callback = Callback()
        try:
            yield base, tools, callback
        finally:
            callback.close()


@pytest.fixture
def page(stack):
    """Per test: the database back to the fixtures, no cookies, no emulation, a blank page, and an application of
    alice's whose redirect URI is the callback server: (base, tools, callback, client_id, client_secret)."""
    base, tools, callback = stack
    assert requests.post(base + "/_dev/reset", timeout=30).status_code == 200
    tools.call("Network.clearBrowserCookies")
    tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "light"}])
    tools.call("Emulation.clearDeviceMetricsOverride")
    tools.navigate("about:blank")
    callback.received.clear()
    token = requests.post(base + "/auth/login", json={"email": ALICE[0], "password": ALICE[1]}, timeout=30).json()["token"]
    app = requests.post(base + "/oauth2/applications", headers={"Authorization": token}, timeout=30,
                        json={"name": "Browser Client", "redirect_uris": [callback.redirect_uri]})
    assert app.status_code in (200, 201), app.text
    app = app.json()
    yield base, tools, callback, app["id"], app["client_secret"]


def authorize_url(base, client_id, redirect_uri, state, scope="identify email"):
    return base + "/oauth2/authorize?" + urlencode({"client_id": client_id, "redirect_uri": redirect_uri,
                                                    "response_type": "code", "scope": scope, "state": state})


def q(selector):
    return f"document.querySelector({json.dumps(selector)})"


def fill(tools, selector, text):
    """Focuses the field and types `text` into it (DevTools Input.insertText, as a keyboard would)."""
    assert tools.evaluate(f"(e => !!e && (e.value = '', e.focus(), true))({q(selector)})"), f"no field {selector}"
    tools.call("Input.insertText", text=text)
    assert tools.evaluate(f"{q(selector)}.value") == text


def click(tools, selector):
    assert tools.evaluate(f"(e => !!e && (e.click(), true))({q(selector)})"), f"nothing to click at {selector}"


def snapshot(tools, name):
    """Asserts the page had no CSP violation, then saves its screenshot."""
    violations = tools.evaluate("window.__cspViolations")
    assert violations == [], f"{name}: CSP violations {violations!r}"
    tools.screenshot(name)


def sign_in(tools, email, password):
    fill(tools, "#email", email)
    fill(tools, "#password", password)
    click(tools, 'form[action="/oauth2/authorize/login"] button[type="submit"]')


CONSENT = 'form[action="/oauth2/authorize/decision"]'


def landed_query(tools, callback):
    """Waits for the browser to load the callback page; returns its query."""
    tools.wait_for(f"location.origin === {json.dumps(callback.origin)} && location.pathname === '/callback' "
                   "&& document.readyState === 'complete'")
    href = tools.evaluate("location.href")
    assert callback.received and callback.received[-1] == href[len(callback.origin):], (callback.received, href)
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def test_login_totp_consent_redirect_and_code_exchange(page):
    base, tools, callback, client_id, client_secret = page
    state = secrets.token_urlsafe(16)
    tools.navigate(authorize_url(base, client_id, callback.redirect_uri, state))
    assert "Browser Client wants to access your Fluxer account" in tools.evaluate("document.body.innerText")
    snapshot(tools, "flow-1-login")

    sign_in(tools, *BOB[:2])
    tools.wait_for("!!document.getElementById('code')")
    assert "Two-factor authentication" in tools.evaluate("document.body.innerText")
    snapshot(tools, "flow-2-mfa")
    fill(tools, "#code", totp(BOB_TOTP_SECRET))
    click(tools, 'form[action="/oauth2/authorize/mfa"] button[type="submit"]')

    tools.wait_for(f"!!{q(CONSENT)}")
    text = tools.evaluate("document.body.innerText")
    assert "Browser Client" in text and "Signed in as bob#0002" in text, text
    assert f"you will be sent to {callback.origin}" in text, text
    assert tools.evaluate("document.querySelectorAll('ul.scopes li').length") == 2
    snapshot(tools, "flow-3-consent")
    click(tools, f'{CONSENT} button[value="authorize"]')

    query = landed_query(tools, callback)
    snapshot(tools, "flow-4-callback")
    # RFC 9207: the issuer comes back beside the code and the state.
    assert query["state"] == state and query["iss"] == base and set(query) == {"code", "state", "iss"}, query

    # The code is real: the client exchanges it (client_secret_post) and the token is bob's, with the scopes asked.
    exchange = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": callback.redirect_uri,
                "client_id": client_id, "client_secret": client_secret}
    tokens = requests.post(base + "/oauth2/token", data=exchange, timeout=30)
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    assert tokens["token_type"] == "Bearer" and set(tokens["scope"].split()) == {"identify", "email"}, tokens
    me = requests.get(base + "/users/@me", headers={"Authorization": "Bearer " + tokens["access_token"]}, timeout=30).json()
    assert (me["id"], me["email"]) == (BOB[2], BOB[0]), me
    # Single use.
    again = requests.post(base + "/oauth2/token", data=exchange, timeout=30)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text


def test_cancel_on_the_consent_page_redirects_with_access_denied(page):
    base, tools, callback, client_id, _secret = page
    state = secrets.token_urlsafe(16)
    tools.navigate(authorize_url(base, client_id, callback.redirect_uri, state))
    sign_in(tools, *ALICE[:2])
    tools.wait_for(f"!!{q(CONSENT)}")
    snapshot(tools, "cancel-1-consent")
    click(tools, f'{CONSENT} button[value="cancel"]')
    query = landed_query(tools, callback)
    snapshot(tools, "cancel-2-callback")
    assert query["error"] == "access_denied" and query["state"] == state and query["iss"] == base, query
    assert "code" not in query, query


def test_security_key_button_loads_its_script_and_reports_a_key_without_the_credential(page):
    base, tools, callback, client_id, _secret = page
    # Alice registers a key with one authenticator, which is then unplugged; a second, empty one is plugged in.
    token = requests.post(base + "/auth/login", json={"email": ALICE[0], "password": ALICE[1]}, timeout=30).json()["token"]
    first = add_virtual_authenticator(tools)
    try:
        register_security_key(tools, base, token, ALICE[1])
    finally:
        tools.call("WebAuthn.removeVirtualAuthenticator", authenticatorId=first)
    empty = add_virtual_authenticator(tools)
    try:
        tools.navigate(authorize_url(base, client_id, callback.redirect_uri, "key-state"))
        sign_in(tools, *ALICE[:2])
        button = "#webauthn-form button[type='submit']"
        tools.wait_for(f"!!{q(button)}")
        # The page names its script (script-src 'self'); the script ran: it enabled the button, which the HTML
        # disables for browsers without script.
        assert tools.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == ["/oauth2/assets/webauthn.js"]
        tools.wait_for(f"!{q(button)}.disabled", seconds=5)
        assert tools.evaluate("document.getElementById('webauthn-note').hidden") is True
        snapshot(tools, "key-1-mfa")
        click(tools, button)
        tools.wait_for("!document.getElementById('webauthn-note').hidden")
        note = tools.evaluate("document.getElementById('webauthn-note').textContent")
        assert re.fullmatch(r"The security key did not answer \(\w+\)\. Try again, or use a code\.", note), note
        # Still the same page, ready for another try; the browser went nowhere.
        tools.wait_for(f"!{q(button)}.disabled", seconds=5)
        assert tools.evaluate("location.pathname") == "/oauth2/authorize/login"
        assert callback.received == []
        snapshot(tools, "key-2-error")
    finally:
        tools.call("WebAuthn.removeVirtualAuthenticator", authenticatorId=empty)


def test_sso_buttons_lead_to_the_dev_providers(page):
    base, tools, callback, client_id, _secret = page
    url = authorize_url(base, client_id, callback.redirect_uri, "sso-state")
    tools.navigate(url)
    forms = json.loads(tools.evaluate("""JSON.stringify([...document.querySelectorAll('form[action="/oauth2/authorize/sso"]')].map(f =>
        [f.querySelector('input[name=sso_provider]').value, f.querySelector('button').textContent]))"""))
    providers = dict(forms)
    # Dev mode's built-in OpenID provider (the AT Protocol network has no fixed authorization origin to offer here).
    assert "mock" in providers, forms
    assert all(label.startswith("Continue with ") for label in providers.values()), forms
    # The password form is still there (SSO is offered, not enforced).
    assert tools.evaluate("!!document.querySelector('form[action=\"/oauth2/authorize/login\"]')")
    snapshot(tools, "sso-1-login")

    # The built-in OpenID provider's page, then back to the consent page, signed in as the SSO user.
    click(tools, 'form[action="/oauth2/authorize/sso"] input[value="mock"] ~ .actions button')
    tools.wait_for("location.pathname === '/_dev/sso/authorize' && !!document.getElementById('email')")
    snapshot(tools, "sso-2-mock-provider")
    fill(tools, "#email", "sam@corp.example")
    click(tools, "form button")
    tools.wait_for(f"!!{q(CONSENT)}")
    snapshot(tools, "sso-3-consent")
    click(tools, f'{CONSENT} button[value="authorize"]')
    query = landed_query(tools, callback)
    assert query["state"] == "sso-state" and "code" in query, query



# --- Dark mode and a phone-sized viewport ----------------------------------------------------------------------

STYLES = """JSON.stringify((() => {
  const css = (sel, prop) => { const e = document.querySelector(sel); return e ? getComputedStyle(e)[prop] : null; };
  return {bodyBg: css('body', 'backgroundColor'), bodyText: css('body', 'color'), cardBg: css('.card', 'backgroundColor'),
          muted: css('.muted', 'color'), brand: css('.brand', 'color'), error: css('.error', 'color'),
          inputBg: css('input:not([type=hidden])', 'backgroundColor'), inputText: css('input:not([type=hidden])', 'color'),
          primaryBg: css('button.primary', 'backgroundColor'), primaryText: css('button.primary', 'color'),
          buttonText: css('button:not(.primary)', 'color')};
})())"""

LAYOUT = """JSON.stringify({
  innerWidth: innerWidth, scrollWidth: document.documentElement.scrollWidth,
  controls: [...document.querySelectorAll('input:not([type=hidden]), select, button')].map(e => {
    const r = e.getBoundingClientRect();
    return {what: e.outerHTML.slice(0, 60), left: r.left, right: r.right, width: r.width};
  })
})"""


def rgb(css):
    m = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)", css)
    assert m and (m.group(4) is None or float(m.group(4)) == 1), f"not an opaque colour: {css}"
    return tuple(int(m.group(i)) for i in (1, 2, 3))


def contrast(a, b):
    """WCAG 2 contrast ratio of two sRGB colours."""
    def luminance(c):
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in (v / 255 for v in c)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(rgb(a)), luminance(rgb(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def check_readable(name, s):
    pairs = [("body text on the body", "bodyText", "bodyBg"), ("body text on the card", "bodyText", "cardBg"),
             ("muted text", "muted", "cardBg"), ("the brand", "brand", "cardBg"), ("error text", "error", "cardBg"),
             ("field text", "inputText", "inputBg"), ("primary button", "primaryText", "primaryBg"),
             ("button text", "buttonText", "cardBg")]
    for what, fg, bg in pairs:
        if s[fg] is not None and s[bg] is not None:
            ratio = contrast(s[fg], s[bg])
            assert ratio >= 4.5, f"{name}: {what} {s[fg]} on {s[bg]} has contrast {ratio:.2f} < 4.5"


def check_modes(tools, name):
    """The current page in light and dark mode (readable, and dark differs), then at 390 px wide in both (no
    horizontal scrolling, every control inside the viewport); a screenshot of each."""
    light = json.loads(tools.evaluate(STYLES))
    check_readable(f"{name} (light)", light)
    snapshot(tools, f"modes-{name}-light")
    tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    tools.wait_for("matchMedia('(prefers-color-scheme: dark)').matches")
    dark = json.loads(tools.evaluate(STYLES))
    check_readable(f"{name} (dark)", dark)
    assert dark["bodyBg"] != light["bodyBg"] and dark["cardBg"] != light["cardBg"], (light, dark)
    assert dark["bodyText"] != light["bodyText"], (light, dark)
    snapshot(tools, f"modes-{name}-dark")

    tools.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    try:
        tools.wait_for("innerWidth === 390")
        for scheme in ("dark", "light"):
            tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}])
            layout = json.loads(tools.evaluate(LAYOUT))
            assert layout["scrollWidth"] <= 390, f"{name}: scrolls sideways at 390 px ({layout['scrollWidth']})"
            assert layout["controls"], f"{name}: no form controls"
            for c in layout["controls"]:
                assert c["left"] >= 0 and c["right"] <= 390 and c["width"] > 0, f"{name}: {c} does not fit 390 px"
            snapshot(tools, f"modes-{name}-390-{scheme}")
    finally:
        tools.call("Emulation.clearDeviceMetricsOverride")
        tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "light"}])


def test_dark_mode_and_a_390px_viewport(page):
    base, tools, callback, client_id, _secret = page
    url = authorize_url(base, client_id, callback.redirect_uri, "modes-state")
    tools.navigate(url)
    check_modes(tools, "login")
    sign_in(tools, ALICE[0], "not the password")
    tools.wait_for("!!document.querySelector('.error')")
    check_modes(tools, "login-error")
    sign_in(tools, *BOB[:2])
    tools.wait_for("!!document.getElementById('code')")
    check_modes(tools, "mfa")
    tools.call("Network.clearBrowserCookies")
    tools.navigate(url)
    sign_in(tools, *ALICE[:2])
    tools.wait_for(f"!!{q(CONSENT)}")
    check_modes(tools, "consent")
    # The error page of an unknown client has no control: its text only.
    tools.navigate(authorize_url(base, "1", callback.redirect_uri, "x"))
    styles = json.loads(tools.evaluate(STYLES))
    check_readable("error page (light)", styles)
    tools.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
    check_readable("error page (dark)", json.loads(tools.evaluate(STYLES)))
    tools.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    tools.wait_for("innerWidth === 390 && document.documentElement.scrollWidth <= 390")
    snapshot(tools, "modes-error-390-dark")
