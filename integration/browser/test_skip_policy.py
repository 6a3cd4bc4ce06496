"""conftest.py's rule, checked on a scratch suite run by a child pytest: a browser test runs or fails. Skips of
every kind (pytest.skip, skipif, xfail, importorskip at module level) and a missing Chromium fail, unless
FLUXER_SKIP_BROWSER is exactly "1", which skips everything on purpose."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

TESTS = '''
import pytest

def test_runs():
    pass

def test_calls_skip():
    pytest.skip("no network")

@pytest.mark.skipif(True, reason="not today")
def test_skipif():
    pass

@pytest.mark.xfail(reason="maybe later", run=False)
def test_xfail():
    pass
'''

MODULE_SKIP = '''
import pytest
pytest.importorskip("a_module_nobody_has")

def test_never_collected():
    pass
'''


def run_scratch_suite(tmp_path, chromium, skip=None):
    """Copies conftest.py beside a stub `chromium` module, runs the scratch tests; returns (counts, output)."""
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "chromium.py").write_text(f"CHROMIUM = {chromium!r}\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_scratch.py").write_text(TESTS)
    (tmp_path / "test_module_skip.py").write_text(MODULE_SKIP)
    # No third-party plugins in the child (loading them takes seconds); the collection error of the module-level
    # skip must not hide the other results.
    env = {k: v for k, v in os.environ.items() if k != "FLUXER_SKIP_BROWSER"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # The short summary lines are cut at the terminal width, which differs between a terminal and CI: make it wide.
    env["COLUMNS"] = "1000"
    if skip is not None:
        env["FLUXER_SKIP_BROWSER"] = skip
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--continue-on-collection-errors",
                           str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    summary = proc.stdout.strip().splitlines()[-1]
    found = {word.rstrip("s"): int(n) for n, word in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", summary)}
    # A skip refused at setup or collection is an error, one refused in the call a failure: both fail the run.
    return {"passed": found.get("passed", 0), "skipped": found.get("skipped", 0) + found.get("xfailed", 0),
            "failed": found.get("failed", 0) + found.get("error", 0)}, proc.stdout


def test_every_skip_fails_without_fluxer_skip_browser(tmp_path):
    counts, out = run_scratch_suite(tmp_path, "/usr/bin/true")
    assert counts == {"passed": 1, "skipped": 0, "failed": 4}, out
    # Each of the four refused skips carries the message on its short summary line.
    refusal = "a browser test may only be skipped on purpose, with FLUXER_SKIP_BROWSER=1"
    refused = {name for line in out.splitlines() if refusal in line and line.startswith(("ERROR ", "FAILED "))
               for name in ("test_module_skip.py", "test_skipif", "test_xfail", "test_calls_skip") if name in line}
    assert refused == {"test_module_skip.py", "test_skipif", "test_xfail", "test_calls_skip"}, out
    for reason in ("no network", "not today", "maybe later", "a_module_nobody_has"):
        assert reason in out, (reason, out)


@pytest.mark.parametrize("value", ["0", "true", "yes", ""])
def test_only_the_value_1_skips(tmp_path, value):
    counts, out = run_scratch_suite(tmp_path, "/usr/bin/true", skip=value)
    assert counts == {"passed": 1, "skipped": 0, "failed": 4}, out


def test_fluxer_skip_browser_1_skips_everything_on_purpose(tmp_path):
    counts, out = run_scratch_suite(tmp_path, "/usr/bin/true", skip="1")
    assert counts == {"passed": 0, "skipped": 5, "failed": 0}, out
    assert "FLUXER_SKIP_BROWSER=1" in out, out


def test_a_missing_chromium_fails(tmp_path):
    counts, out = run_scratch_suite(tmp_path, None)
    assert counts["passed"] == 0 and counts["skipped"] == 0, out
    assert "chromium is not installed" in out and "make deps" in out, out
