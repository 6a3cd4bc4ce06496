"""Issue 16: the deployment files say what they claim. No Docker engine and no systemd run here, so the Dockerfile
is held to the Makefile (same packages, same build command) and the systemd unit is checked by systemd's own
`systemd-analyze verify` and `security` (Debian's systemd package), with the binary under test as ExecStart."""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import sys

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "integration"))
from fluxer_binary import binary  # noqa: E402
# Each -dev package and the runtime library the image needs in its place.
RUNTIME_OF = {
    "libsqlite3-dev": "libsqlite3-0", "libssl-dev": "libssl3", "libsodium-dev": "libsodium23",
    "libqrencode-dev": "libqrencode4", "libpq-dev": "libpq5", "libcurl4-openssl-dev": "libcurl4",
}


def make_variable(name):
    text = (REPO / "Makefile").read_text()
    match = re.search(rf"^{name} :?= (.*)$", text, re.M)
    assert match, f"Makefile has no {name}"
    return match.group(1).split() if name.endswith("DEPS") else match.group(1).strip()


def dockerfile_stages():
    stages, current = [], None
    for line in (REPO / "Dockerfile").read_text().replace("\\\n", " ").splitlines():
        if line.startswith("FROM "):
            current = {"from": line.split()[1], "lines": []}
            stages.append(current)
        elif current is not None and line.strip() and not line.startswith("#"):
            current["lines"].append(" ".join(line.split()))
    return stages


def apt_packages(stage):
    for line in stage["lines"]:
        if "apt-get install" in line:
            words = line.split("apt-get install", 1)[1].split("&&")[0].split()
            return [w for w in words if not w.startswith("-")]
    return []


def test_builder_installs_exactly_the_build_deps_and_runs_make_builds_command():
    build, runtime = dockerfile_stages()
    assert build["from"].startswith("swift:") and runtime["from"].startswith("swift:") and runtime["from"].endswith("-slim")
    assert sorted(apt_packages(build)) == sorted(make_variable("BUILD_DEPS"))
    release = "swift " + make_variable("RELEASE_BUILD")
    runs = [line for line in build["lines"] if line.startswith("RUN swift build")]
    assert runs and runs[0].startswith("RUN " + release + " "), (runs, release)
    # `make build` runs exactly that command after deps-build.
    made = subprocess.run(["make", "-n", "build", "SWIFT=swift"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert release in made.splitlines(), made


def test_runtime_has_the_libraries_a_non_root_user_a_volume_and_a_healthcheck():
    _, runtime = dockerfile_stages()
    packages = apt_packages(runtime)
    for dev in make_variable("BUILD_DEPS"):
        assert RUNTIME_OF[dev] in packages, f"the runtime stage lacks {RUNTIME_OF[dev]} for {dev}"
    lines = runtime["lines"]
    assert any(line.startswith("USER ") and line.split()[1] not in ("root", "0") for line in lines)
    assert any(line.startswith("VOLUME") and "/data" in line for line in lines)
    assert any(line.startswith("HEALTHCHECK") and "/readyz" in line for line in lines)
    assert any("FLUXER_AUTH_DATABASE=/data/" in line for line in lines)
    # Everything the build reads is copied in: every top-level input Package.swift names.
    copied = " ".join(line for line in dockerfile_stages()[0]["lines"] if line.startswith("COPY "))
    for needed in ["Package.swift", "Sources", "migrations", "Plugins", "resources", "openapi/fluxer-auth.json"]:
        assert needed in copied, needed


@pytest.fixture
def unit(tmp_path):
    bin_path = binary()
    assert bin_path, "no fluxer-auth binary (build first)"
    text = (REPO / "config/fluxer-auth.service").read_text().replace("/usr/local/bin/fluxer-auth", bin_path)
    path = tmp_path / "fluxer-auth.service"
    path.write_text(text)
    return path


def test_systemd_unit_is_valid_and_hardened(unit):
    text = unit.read_text()
    for directive in ["DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=fluxer-auth", "NoNewPrivileges=yes",
                      "Restart=on-failure", "CapabilityBoundingSet=\n", "PrivateTmp=yes", "ProtectHome=yes"]:
        assert directive in text, directive
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian's systemd package): the unit cannot be verified")
    verified = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
    security = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", str(unit)], capture_output=True, text=True)
    exposure = re.search(r"Overall exposure level for .*: ([0-9.]+)", security.stdout)
    assert exposure and float(exposure.group(1)) <= 2.0, security.stdout[-2000:]
