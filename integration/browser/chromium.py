"""Headless Chromium for the browser suites: the binary, a minimal DevTools Protocol client, and a dev-mode server
with a browser beside it (`dev_stack`)."""
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
        raise AssertionError(f"timed out waiting for {condition}; page: {self.evaluate('document.body && document.body.innerText')!r}")


@contextlib.contextmanager
def dev_stack(env_extra=None):
    """`serve --dev` on http://localhost:PORT (rate limits off) and headless Chromium on about:blank; yields
    (base, database, binary, tools). Skips when the binary is not built."""
    import pytest
    binary = _binary()
    if binary is None:
        pytest.skip("no fluxer-auth binary (build first)")
    port = free_port()
    base = f"http://localhost:{port}"   # WebAuthn needs a domain RP ID; localhost is a secure context
    # Chromium's helper processes may still be writing its profile while the directory goes.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        database = str(Path(tmp) / "db.sqlite")
        env = dict(os.environ, FLUXER_AUTH_PUBLIC_URL=base, FLUXER_AUTH_RATELIMIT_ENABLED="false")
        env.update(env_extra or {})
        server = subprocess.Popen([binary, "serve", "--dev", "--port", str(port), "--database", database],
                                  stdout=subprocess.DEVNULL, stderr=open(Path(tmp) / "server.log", "w"), env=env)
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
