"""WebAuthn in a real browser: headless Chromium with a CTAP2 virtual authenticator (DevTools `WebAuthn` domain)
drives the server's security-key registration, the OAuth2 authorize page's security-key step (the page's script),
and passwordless passkey sign-in. It checks what no software authenticator of ours can: that Chromium's own
clientDataJSON, attestation objects and signatures, and our page script, work end to end.

Needs `chromium` (Debian package) and `websocket-client`; without Chromium the suite fails (conftest.py) unless
FLUXER_SKIP_BROWSER=1.
"""
import json
from pathlib import Path
from urllib.parse import urlencode

import sys
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import add_virtual_authenticator, dev_stack, register_security_key  # noqa: E402

import pytest
import requests

PASSWORD = "quiet lantern maple 7"


@pytest.fixture
def stack(request):
    with dev_stack(getattr(request, "param", {})) as (base, database, binary, tools):
        add_virtual_authenticator(tools)
        yield base, database, binary, tools


PASSKEY_LOGIN = """
(async () => {
  const dec = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4)), c => c.charCodeAt(0));
  const enc = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const o = await (await fetch('/auth/webauthn/authentication-options', {method: 'POST'})).json();
  const c = await navigator.credentials.get({publicKey: {...o, challenge: dec(o.challenge), allowCredentials: []}});
  const body = {challenge: o.challenge, response: {id: c.id, rawId: enc(c.rawId), type: c.type, response: {
    clientDataJSON: enc(c.response.clientDataJSON), authenticatorData: enc(c.response.authenticatorData),
    signature: enc(c.response.signature), userHandle: c.response.userHandle ? enc(c.response.userHandle) : null}}};
  const r = await fetch('/auth/webauthn/authenticate', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
  return r.status + ' ' + await r.text();
})()
"""


def test_chromium_registers_a_key_uses_it_on_the_authorize_page_and_as_a_passkey(stack):
    base, database, binary, tools = stack
    user = requests.post(base + "/auth/register", json={"email": "kim@example.com", "username": "kim", "password": PASSWORD,
                                                         "date_of_birth": "1990-01-01", "consent": True}).json()
    # Passkeys sign in only to accounts whose email is verified (pre-account hijacking, issue 12): Kim opens the
    # verification link with her own session, so nothing she set up is removed.
    mails = requests.get(base + "/_dev/outbox").json()["messages"]
    link = next(m for m in mails if m["kind"] == "verify_email" and m["to"] == "kim@example.com")["links"][0]
    verified = requests.post(base + "/auth/verify", headers={"Authorization": user["token"]},
                             json={"token": link.split("token=", 1)[1]})
    assert verified.status_code == 204, verified.text
    redirect = base + "/oauth2/authorized"   # loopback http: a registrable redirect that lands on this server
    app = requests.post(base + "/oauth2/applications", headers={"Authorization": user["token"]},
                        json={"name": "Browser Test", "redirect_uris": [redirect]}).json()

    # Registration through Chromium's own WebAuthn stack (packed/none attestation from the virtual CTAP2 device).
    register_security_key(tools, base, user["token"], PASSWORD)

    # The authorize page: password, then the security-key step driven by /oauth2/assets/webauthn.js.
    query = urlencode({"response_type": "code", "client_id": app["id"], "redirect_uri": redirect, "scope": "identify", "state": "s1"})
    tools.navigate(base + "/oauth2/authorize?" + query)
    tools.evaluate(f"""document.getElementById('email').value = 'kim@example.com';
                      document.getElementById('password').value = {json.dumps(PASSWORD)};
                      document.querySelector('form[action="/oauth2/authorize/login"]').submit(); true""")
    tools.wait_for("!!document.getElementById('webauthn-form') && !document.querySelector('#webauthn-form button').disabled")
    tools.evaluate("document.querySelector('#webauthn-form button').click(); true")
    tools.wait_for("!!document.querySelector('form[action=\"/oauth2/authorize/decision\"]')")
    # Consent, as the browser posts it (Origin: null from a no-referrer page), then the redirect with the code.
    tools.evaluate("document.querySelector('form[action=\"/oauth2/authorize/decision\"] button[value=\"authorize\"]').click(); true")
    tools.wait_for("location.pathname === '/oauth2/authorized' && location.search.includes('code=') && location.search.includes('state=s1')")

    # Passwordless: the resident credential alone signs in. (From a page without our CSP, which allows no fetch.)
    tools.navigate(base + "/oauth2/assets/authorize.css")
    status, body = tools.evaluate(PASSKEY_LOGIN).split(" ", 1)
    assert status == "200", body
    assert json.loads(body)["user_id"] == user["user_id"]


@pytest.mark.parametrize("stack", [{"FLUXER_AUTH_SSO_ENABLED": "true", "FLUXER_AUTH_SSO_ISSUER": "mock"}], indirect=True)
def test_chromium_signs_in_on_the_authorize_page_through_sso(stack):
    base, database, binary, tools = stack
    owner = requests.post(base + "/auth/register", json={"email": "owner@example.com", "username": "owner", "password": PASSWORD,
                                                          "date_of_birth": "1990-01-01", "consent": True}).json()
    redirect = base + "/oauth2/authorized"
    app = requests.post(base + "/oauth2/applications", headers={"Authorization": owner["token"]},
                        json={"name": "SSO Browser Test", "redirect_uris": [redirect]}).json()
    query = urlencode({"response_type": "code", "client_id": app["id"], "redirect_uri": redirect, "scope": "identify email", "state": "s2"})
    tools.navigate(base + "/oauth2/authorize?" + query)
    # "Continue with Mock SSO (dev)", then the mock provider's email form, then back through /auth/sso/callback.
    tools.evaluate("document.querySelector('form[action=\"/oauth2/authorize/sso\"]').submit(); true")
    tools.wait_for("location.pathname === '/_dev/sso/authorize' && !!document.getElementById('email')")
    tools.evaluate("document.getElementById('email').value = 'lee@corp.example'; document.querySelector('form').submit(); true")
    tools.wait_for("!!document.querySelector('form[action=\"/oauth2/authorize/decision\"]')")
    tools.evaluate("document.querySelector('form[action=\"/oauth2/authorize/decision\"] button[value=\"authorize\"]').click(); true")
    tools.wait_for("location.pathname === '/oauth2/authorized' && location.search.includes('code=') && location.search.includes('state=s2')")
