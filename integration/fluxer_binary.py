"""Shared by the Python suites (integration/python, integration/adversarial, integration/durability,
integration/cluster): where the server binary is, how to get a free loopback port, and how to run one of its CLI
commands."""
import json
import os
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def binary():
    """FLUXER_AUTH_BIN when set (and then only it), else the debug build, else the release build; None if absent."""
    if os.environ.get("FLUXER_AUTH_BIN"):
        candidates = [Path(os.environ["FLUXER_AUTH_BIN"])]
    else:
        candidates = [REPO / ".build/debug/fluxer-auth", REPO / ".build/release/fluxer-auth"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    return None


def free_port(host="127.0.0.1"):
    """A port nothing listens on right now (IPv4 or IPv6 literal host)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def database_args(database, dev=True):
    """The flags naming a database: `--database FILE`, or `--database-url URL` for a `postgresql://` URL; with
    `--dev` first unless dev=False (then the secret key must come from the environment or a config file)."""
    if database.startswith(("postgresql://", "postgres://")):
        named = ["--database-url", database]
    else:
        named = ["--database", database]
    return (["--dev"] if dev else []) + named


def cli(binary, database, *args, env=None, dev=True, timeout=60):
    """Runs `fluxer-auth ARGS --dev --database DATABASE` (see database_args) and returns its JSON stdout; raises
    with stderr on failure."""
    proc = subprocess.run([binary, *args, *database_args(database, dev)], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"fluxer-auth {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def wait_healthy(base_url, seconds=30):
    """Waits until GET base_url/healthz answers 200; raises AssertionError after `seconds`."""
    import time
    import urllib.request
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base_url} did not answer /healthz within {seconds} s")
