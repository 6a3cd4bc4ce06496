"""Headless Chromium for the browser suites: the binary, a minimal DevTools Protocol client, a dev-mode server
with a browser beside it (`dev_stack`), screenshots into the artifacts directory, and security-key registration
through the browser's own WebAuthn stack.

Whether a missing Chromium fails or skips the suite is decided in conftest.py (FLUXER_SKIP_BROWSER)."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fluxer_binary import binary as _binary, free_port, wait_healthy  # noqa: E402

import requests

REPO = Path(__file__).resolve().parents[2]
DEV_SEED = REPO / "config" / "seed.dev.json"
# Screenshots of the page states the tests pass through: $FLUXER_TEST_ARTIFACTS/browser, else
# integration/browser/artifacts (git-ignored, never committed).
ARTIFACTS = (Path(os.environ["FLUXER_TEST_ARTIFACTS"]) / "browser" if os.environ.get("FLUXER_TEST_ARTIFACTS")
             else Path(__file__).resolve().parent / "artifacts")

CHROMIUM = next((p for p in ["/usr/lib/chromium/chromium", shutil.which("chromium") or "", shutil.which("google-chrome") or ""]
                 if p and os.access(p, os.X_OK)), None)


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url):
        import websocket
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url):
        self.call("Page.navigate", url=url)
        target = url.split("#")[0]
        self.wait_for(f"document.readyState === 'complete' && location.href === {json.dumps(target)}")

    def wait_for(self, condition, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if self.evaluate(condition):
                    return
            except RuntimeError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {condition}; at {self.evaluate('location.href')!r}, "
                             f"page: {self.evaluate('document.body && document.body.innerText')!r}")

    def screenshot(self, name):
        """Saves the whole page as ARTIFACTS/NAME.png and returns the path."""
        import base64
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path = ARTIFACTS / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path


@contextlib.contextmanager
def dev_stack(env_extra=None):
    """`serve --dev --seed config/seed.dev.json` on http://localhost:PORT (rate limits off; run in a temporary
    directory) and headless Chromium on about:blank; yields (base, database, binary, tools). Fails when the binary
    is not built."""
    import pytest
    binary = _binary()
    if binary is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth`", pytrace=False)
    port = free_port()
    base = f"http://localhost:{port}"   # WebAuthn needs a domain RP ID; localhost is a secure context
    # Chromium's helper processes may still be writing its profile while the directory goes.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        database = str(Path(tmp) / "db.sqlite")
        env = dict(os.environ, FLUXER_AUTH_PUBLIC_URL=base, FLUXER_AUTH_RATELIMIT_ENABLED="false")
        env.update(env_extra or {})
        server = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--database", database, "--seed", str(DEV_SEED)],
                                  stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "server.log", "w"), env=env, cwd=tmp)
        debug_port = free_port()
        browser = subprocess.Popen([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    f"--remote-debugging-port={debug_port}", f"--user-data-dir={tmp}/profile", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_healthy(base)
            pages = None
            for _ in range(300):
                try:
                    pages = [t for t in requests.get(f"http://127.0.0.1:{debug_port}/json", timeout=1).json() if t["type"] == "page"]
                    if pages:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            assert pages, "chromium did not start"
            tools = DevTools(pages[0]["webSocketDebuggerUrl"])
            tools.call("Page.enable")
            yield base, database, binary, tools
        finally:
            try:
                os.killpg(browser.pid, signal.SIGTERM)   # the browser and its helper processes
            except ProcessLookupError:
                pass
            server.terminate()
            browser.wait(timeout=10)
            server.wait(timeout=10)


# Registers a security key for the signed-in user through navigator.credentials.create (run on a page of the
# server's origin without the pages' CSP, e.g. /oauth2/assets/authorize.css); answers "STATUS BODY".
REGISTER_KEY = """
(async () => {
  const dec = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - s.length % 4) % 4)), c => c.charCodeAt(0));
  const enc = b => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const headers = {'Authorization': TOKEN, 'Content-Type': 'application/json'};
  const o = await (await fetch('/users/@me/mfa/webauthn/credentials/registration-options',
                               {method: 'POST', headers, body: JSON.stringify({password: PASSWORD})})).json();
  const publicKey = {...o, challenge: dec(o.challenge), user: {...o.user, id: dec(o.user.id)},
                     excludeCredentials: o.excludeCredentials.map(c => ({...c, id: dec(c.id)}))};
  const c = await navigator.credentials.create({publicKey});
  const body = {challenge: o.challenge, name: 'Virtual key', password: PASSWORD,
                response: {id: c.id, rawId: enc(c.rawId), type: c.type,
                           response: {clientDataJSON: enc(c.response.clientDataJSON), attestationObject: enc(c.response.attestationObject)}}};
  const r = await fetch('/users/@me/mfa/webauthn/credentials', {method: 'POST', headers, body: JSON.stringify(body)});
  return r.status + ' ' + await r.text();
})()
"""


def add_virtual_authenticator(tools):
    """A CTAP2 authenticator with resident keys and user verification that answers at once; returns its id."""
    tools.call("WebAuthn.enable")
    return tools.call("WebAuthn.addVirtualAuthenticator", options={
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True})["authenticatorId"]


def register_security_key(tools, base, token, password):
    """Registers a key of the current virtual authenticator for the user of `token` (session) through Chromium."""
    tools.navigate(base + "/oauth2/assets/authorize.css")
    script = REGISTER_KEY.replace("TOKEN", json.dumps(token)).replace("PASSWORD", json.dumps(password))
    status, body = tools.evaluate(script).split(" ", 1)
    assert status == "204", f"security key registration refused: {status} {body}"
