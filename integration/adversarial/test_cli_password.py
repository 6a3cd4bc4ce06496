"""`fluxer-auth user create` takes the password from standard input (--password-stdin) so it never sits in the
process list or shell history (checklist: no secret in argv, logs or URLs). Bad flag combinations are refused
with a clear one-line error and create nothing."""

import subprocess

import requests

from conftest import Server

STDIN_PASSWORD = "stdin password with spaces 9"


def run(server: Server, *args, stdin=""):
    return subprocess.run([server.binary, "user", "create", *args, "--dev", "--database", server.database],
                          input=stdin, capture_output=True, text=True, timeout=60, env=server.env)


def login(server: Server, email, password):
    return requests.post(server.url("/auth/login"), json={"email": email, "password": password}, timeout=10)


def user_exists(server: Server, email):
    proc = subprocess.run([server.binary, "user", "token", "--email", email, "--dev", "--database", server.database],
                          capture_output=True, text=True, timeout=60, env=server.env)
    return proc.returncode == 0


def test_password_stdin_creates_a_user_who_can_log_in(server):
    email = "stdin-user@example.com"
    proc = run(server, "--email", email, "--username", "stdinuser", "--password-stdin", "--verified",
               stdin=STDIN_PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    assert STDIN_PASSWORD not in proc.stdout and STDIN_PASSWORD not in proc.stderr
    resp = login(server, email, STDIN_PASSWORD)
    assert resp.status_code == 200, resp.text
    assert resp.json()["token"]
    # The trailing newline was not part of the password; a password with one more character is a different one.
    assert login(server, email, STDIN_PASSWORD + "x").status_code == 400


def test_crlf_line_ending_is_not_part_of_the_password(server):
    email = "stdin-crlf@example.com"
    proc = run(server, "--email", email, "--username", "stdincrlf", "--password-stdin", "--verified",
               stdin=STDIN_PASSWORD + "\r\n")
    assert proc.returncode == 0, proc.stderr
    assert login(server, email, STDIN_PASSWORD).status_code == 200


def test_both_password_sources_refused_and_nothing_created(server):
    email = "stdin-both@example.com"
    proc = run(server, "--email", email, "--username", "stdinboth", "--password", STDIN_PASSWORD, "--password-stdin",
               stdin=STDIN_PASSWORD + "\n")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "fluxer-auth: give --password or --password-stdin, not both"
    assert proc.stdout == ""
    assert not user_exists(server, email)


def test_no_password_source_refused_and_nothing_created(server):
    email = "stdin-none@example.com"
    proc = run(server, "--email", email, "--username", "stdinnone")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "fluxer-auth: give --password or --password-stdin"
    assert not user_exists(server, email)


def test_empty_stdin_refused_and_nothing_created(server):
    email = "stdin-empty@example.com"
    proc = run(server, "--email", email, "--username", "stdinempty", "--password-stdin", stdin="")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "fluxer-auth: password: nothing on standard input"
    assert not user_exists(server, email)


def test_short_password_on_stdin_gets_the_validation_error(server):
    email = "stdin-short@example.com"
    proc = run(server, "--email", email, "--username", "stdinshort", "--password-stdin", stdin="short\n")
    assert proc.returncode == 1
    assert proc.stderr.startswith("fluxer-auth: password:")
    assert "short" not in proc.stderr.split(":", 2)[-1].split()  # the password itself is not echoed
    assert not user_exists(server, email)
