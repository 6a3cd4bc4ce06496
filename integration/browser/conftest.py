"""The browser suite runs, or fails: it is never skipped by accident.

- FLUXER_SKIP_BROWSER=1 (exactly "1") skips every test here, on purpose, with that reason.
- Otherwise a missing Chromium fails each test (install the `chromium` package: `make deps` does), and any other
  skip, whatever raised it (pytest.skip, a skipif mark, importorskip, xfail, a module-level skip), is reported as a
  failure naming its reason. So `make test` cannot pass while the browser tests did not run.
"""
import os
from pathlib import Path

import sys
sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import CHROMIUM  # noqa: E402

import pytest

SKIP_ON_PURPOSE = os.environ.get("FLUXER_SKIP_BROWSER") == "1"
HOW_TO_SKIP = "a browser test may only be skipped on purpose, with FLUXER_SKIP_BROWSER=1"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if SKIP_ON_PURPOSE:
        pytest.skip("FLUXER_SKIP_BROWSER=1")
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (no /usr/lib/chromium/chromium, chromium or google-chrome on PATH): "
                    f"run `make deps` as root or `apt-get install chromium`; {HOW_TO_SKIP}", pytrace=False)


def _refuse_skip(report):
    if report.skipped and not SKIP_ON_PURPOSE:
        reason = getattr(report, "wasxfail", None) or (report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        if hasattr(report, "wasxfail"):
            del report.wasxfail
        report.outcome = "failed"
        report.longrepr = f"skipped ({reason}), but {HOW_TO_SKIP}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _refuse_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _refuse_skip(outcome.get_result())
