"""Fixtures for the interoperability suite: a real `fluxer-auth serve --dev` on a free loopback port, seeded
through the CLI, and a browser stand-in that walks the HTML authorize pages.

Nothing is built here. The binary comes from FLUXER_AUTH_BIN, else .build/debug/fluxer-auth, else
.build/release/fluxer-auth (`make test-python` builds the debug one first).
"""

import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fluxer_binary import binary as _binary, cli as _cli, free_port as _free_port  # noqa: E402

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery 7"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
OTHER_REDIRECT_URI = "http://localhost:8765/other"


@dataclass
class App:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    raw: dict


@dataclass
class Server:
    binary: str
    database: str
    base_url: str
    user_id: str
    email: str
    username: str
    password: str
    guild_id: str
    apps: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    log_path: str = ""

    def url(self, path):
        return self.base_url + path

    def log_tail(self, lines=40):
        try:
            return "".join(Path(self.log_path).read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""


@pytest.fixture(scope="session")
def server():
    binary = _binary()
    if binary is None:
        pytest.fail("no fluxer-auth binary: set FLUXER_AUTH_BIN or run `swift build --product fluxer-auth` "
                    "(make test-python does)", pytrace=False)
    with tempfile.TemporaryDirectory(prefix="fluxer-pyclients-") as tmp:
        database = os.path.join(tmp, "auth.sqlite")
        email, username = "ada@example.com", "ada"
        user = _cli(binary, database, "user", "create", "--email", email, "--username", username,
                    "--password", PASSWORD, "--verified")
        guild = _cli(binary, database, "guild", "create", "--owner", user["id"], "--name", "Interop Guild")

        def app(name, *extra):
            raw = _cli(binary, database, "app", "create", "--owner", user["id"], "--name", name,
                       "--redirect-uri", REDIRECT_URI, "--redirect-uri", OTHER_REDIRECT_URI, *extra)
            return App(raw["client_id"], raw.get("client_secret"), REDIRECT_URI, raw)

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        srv = Server(binary, database, base, user["id"], email, username, PASSWORD, guild["id"],
                     apps={"authlib": app("Authlib Client", "--public"),
                           "oauthlib": app("Requests OAuthlib Client"),
                           "public": app("Public Native Client", "--public-client"),
                           "discovery": app("Discovery Client")},
                     log_path=os.path.join(tmp, "server.log"))
        env = dict(os.environ,
                   FLUXER_AUTH_PUBLIC_URL=base,
                   # One login per flow; the defaults (5 per 15 min per email) are for production.
                   FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL_IP="1000/1m",
                   FLUXER_AUTH_RATELIMIT_LOGIN_EMAIL="1000/1m",
                   FLUXER_AUTH_RATELIMIT_LOGIN_IP="1000/1m")
        with open(srv.log_path, "wb") as log:
            srv.process = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--database", database],
                                           cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                if srv.process.poll() is not None:
                    pytest.fail(f"fluxer-auth serve exited with {srv.process.returncode}:\n{srv.log_tail()}", pytrace=False)
                try:
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"fluxer-auth serve did not answer /healthz within 30 s:\n{srv.log_tail()}", pytrace=False)
                time.sleep(0.1)
            yield srv
        finally:
            srv.process.send_signal(signal.SIGTERM)
            try:
                srv.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                srv.process.kill()
                srv.process.wait()


# ---------------------------------------------------------------------------------------------------------------
# A browser stand-in for the HTML authorize pages.


class FormParser(HTMLParser):
    """Collects every <form> with its action, its hidden inputs and its named submit buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(),
                             "hidden": [], "inputs": [], "buttons": []}
            self.forms.append(self._current)
        elif self._current is not None and tag == "input":
            if (a.get("type") or "text").lower() == "hidden":
                self._current["hidden"].append((a.get("name", ""), a.get("value", "")))
            else:
                self._current["inputs"].append(a.get("name", ""))
        elif self._current is not None and tag == "button" and a.get("name"):
            self._current["buttons"].append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def parse_forms(html):
    p = FormParser()
    p.feed(html)
    p.close()
    return p.forms


class Browser:
    """Drives GET /oauth2/authorize → login form → consent page → decision like a user agent would, and
    hands back the 303 Location to the client's redirect URI without following it (nothing listens there)."""

    def __init__(self, server):
        self.server = server
        self.session = requests.Session()
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(server.base_url))
        self.pages = []

    def _post_form(self, page_url, form, extra):
        data = list(form["hidden"]) + list(extra)
        return self.session.post(urljoin(page_url, form["action"]), data=data, allow_redirects=False,
                                 headers={"Origin": self.origin, "Referer": page_url}, timeout=30)

    def authorize(self, authorize_url, action="authorize"):
        """Returns the Location the server sent the browser to (the client's redirect URI with code or error)."""
        url = authorize_url
        resp = self.session.get(url, allow_redirects=False, timeout=30)
        for _ in range(4):
            if resp.status_code in (302, 303):
                location = resp.headers["Location"]
                if location.startswith("/"):  # back to the authorize page after login
                    url = urljoin(self.server.base_url, location)
                    resp = self.session.get(url, allow_redirects=False, timeout=30)
                    continue
                return location
            assert resp.status_code == 200, f"authorize page answered {resp.status_code}: {resp.text[:500]}"
            assert resp.headers["Content-Type"].startswith("text/html")
            self.pages.append(resp.text)
            forms = {f["action"]: f for f in parse_forms(resp.text)}
            if "/oauth2/authorize/login" in forms:
                form = forms["/oauth2/authorize/login"]
                assert {"email", "password"} <= set(form["inputs"]), form
                assert any(n == "csrf" for n, _ in form["hidden"]), "login form has no csrf field"
                resp = self._post_form(url, form, [("email", self.server.email), ("password", self.server.password)])
                assert resp.status_code == 303, f"login answered {resp.status_code}: {resp.text[:500]}"
                continue
            if "/oauth2/authorize/decision" in forms:
                form = forms["/oauth2/authorize/decision"]
                assert ("action", action) in form["buttons"], form["buttons"]
                resp = self._post_form(url, form, [("action", action)])
                assert resp.status_code == 303, f"decision answered {resp.status_code}: {resp.text[:500]}"
                return resp.headers["Location"]
            raise AssertionError(f"no login or consent form on the page:\n{resp.text[:1000]}")
        raise AssertionError("too many steps in the authorize flow")


@pytest.fixture
def browser(server):
    b = Browser(server)
    yield b
    b.session.close()


def random_state():
    return secrets.token_urlsafe(24)
