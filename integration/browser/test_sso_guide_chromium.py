"""The guide's SSO snippet in a real browser (issue 14): headless Chromium on a page of a `make run`-style dev server
runs the guide's two fetches verbatim, `{provider: 'bluesky'}` (the built-in AT Protocol network) and
`{provider: 'mock'}` (the built-in OIDC provider), signs in at the provider's page, lands on our callback, and
completes with the one-time code alone.

Needs `chromium` (Debian package) and `websocket-client`; without Chromium the suite fails (conftest.py) unless
FLUXER_SKIP_BROWSER=1.
"""
import json
import re
from pathlib import Path

import sys
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import dev_stack  # noqa: E402

import pytest

# The guide's snippet, with the API's origin replaced by this server's (the page is served by it).
START = """
(async () => {
  const { session_url } = await fetch('/api/v1/auth/sso/start', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ provider: PROVIDER })
  }).then(r => r.json());
  return session_url;
})()
"""

COMPLETE = """
(async () => {
  const { token, user_id } = await fetch('/api/v1/auth/sso/complete', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: authorizationCode })
  }).then(r => r.json());
  const me = await fetch('/api/v1/users/@me', { headers: { 'Authorization': token } }).then(r => r.json());
  return JSON.stringify({ token, user_id, me });
})()
"""


@pytest.fixture
def browser_stack():
    with dev_stack() as (base, _database, _binary, tools):
        yield base, tools


def run_guide(base, tools, provider, sign_in):
    tools.navigate(base + "/healthz")                      # any page of the API's origin
    session_url = tools.evaluate(START.replace("PROVIDER", json.dumps(provider)))
    assert session_url.startswith(base + "/_dev/")
    tools.call("Page.navigate", url=session_url)             # window.location.href = session_url
    tools.wait_for("document.readyState === 'complete' && !!document.querySelector('form')")
    sign_in(tools)
    # Our callback: in dev mode, with no redirect_to, it shows the code and the curl line.
    tools.wait_for("location.pathname === '/auth/sso/callback' && document.body.innerText.includes('/auth/sso/complete')")
    text = tools.evaluate("document.body.innerText")
    code = re.search(r'"code": "([A-Za-z0-9_-]{43})"', text).group(1)
    # Back on the web app's page (ours here: the callback page's CSP allows no script to fetch), as the guide has it.
    tools.navigate(base + "/healthz")
    result = json.loads(tools.evaluate(COMPLETE.replace("authorizationCode", json.dumps(code))))
    assert result["token"] and result["user_id"] == result["me"]["id"]
    return result


def test_guide_snippet_bluesky(browser_stack):
    base, tools = browser_stack
    result = run_guide(base, tools, "bluesky",
                       lambda t: t.evaluate("document.querySelector('button[value=\"alice.test\"]').click()"))
    assert result["me"]["username"] == "alice" and result["me"]["email"] is None


def test_guide_snippet_mock(browser_stack):
    base, tools = browser_stack

    def sign_in(t):
        t.evaluate("document.getElementById('email').value = 'ren@example.com'; document.querySelector('form').submit()")

    result = run_guide(base, tools, "mock", sign_in)
    assert result["me"]["email"] == "ren@example.com"
