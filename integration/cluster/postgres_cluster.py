"""A throwaway PostgreSQL 15 cluster from the Debian `postgresql` package, in a temporary directory: the Python
twin of Tests/PostgresTestSupport/TestCluster.swift.

It listens on 127.0.0.1 on a free port (and on a unix socket in its directory), needs a password over TCP
(scram-sha-256), and runs with fsync off: durability of a test cluster is irrelevant, speed is not. As root, the
server tools run as `postgres` (initdb refuses root) through `runuser -u postgres --`.

`stop()` stops the server (`pg_ctl stop -m immediate`) and deletes the directory. A watchdog process does the same
if the test process dies without getting there (SIGKILL, a crash).
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import time

import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fluxer_binary import free_port  # noqa: E402

BIN_DIR = "/usr/lib/postgresql/15/bin"
PASSWORD = "cluster-test-password-7"


class PostgresCluster:
    def __init__(self, max_connections=400):
        initdb, self.pg_ctl, self.psql = (os.path.join(BIN_DIR, t) for t in ("initdb", "pg_ctl", "psql"))
        missing = [t for t in (initdb, self.pg_ctl, self.psql) if not os.access(t, os.X_OK)]
        if missing:
            raise RuntimeError(f"PostgreSQL 15 server binaries not found ({', '.join(missing)}): install the Debian "
                               "packages libpq-dev and postgresql (`make deps` does, as root)")
        self.directory = tempfile.mkdtemp(prefix="fluxer-cluster-pg-")
        self.data = os.path.join(self.directory, "data")
        self.log = os.path.join(self.directory, "server.log")
        self.port = None
        self.prefix = []
        owner = None
        if os.getuid() == 0:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root but there is no `postgres` user; install the postgresql package")
            owner = (entry.pw_uid, entry.pw_gid)
            os.chown(self.directory, *owner)
            self.prefix = ["/usr/sbin/runuser", "-u", "postgres", "--"]
        self._watchdog()
        try:
            pwfile = os.path.join(self.directory, "pwfile")
            with open(pwfile, "w") as f:
                f.write(PASSWORD + "\n")
            os.chmod(pwfile, 0o600)
            if owner:
                os.chown(pwfile, *owner)
            self._run([initdb, "-D", self.data, "-U", "postgres", "--pwfile=" + pwfile, "--auth-local=trust",
                       "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"])
            for attempt in range(3):
                port = free_port()
                options = " ".join([
                    "-c listen_addresses=127.0.0.1", f"-c port={port}", f"-c unix_socket_directories={self.directory}",
                    "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                    f"-c max_connections={max_connections}", "-c shared_buffers=32MB",
                ])
                proc = self._run([self.pg_ctl, "-D", self.data, "-l", self.log, "-w", "-t", "30", "-o", options, "start"],
                                 check=False)
                if proc.returncode == 0:
                    self.port = port
                    break
            else:
                raise RuntimeError(f"pg_ctl start failed 3 times; see {self.log}:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _run(self, tool, check=True):
        # initdb fails when it cannot resolve its working directory: run from one `postgres` can read.
        proc = subprocess.run(self.prefix + tool, cwd=self.directory, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{os.path.basename(tool[0])} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def _watchdog(self):
        """Stops the server and deletes the directory once this process is gone, however it ended."""
        stop = " ".join(f"'{a}'" for a in self.prefix + [self.pg_ctl, "-D", self.data, "-m", "immediate", "stop"])
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"[ -f '{self.data}/postmaster.pid' ] && {stop} >/dev/null 2>&1; rm -rf '{self.directory}'")
        subprocess.Popen(["/usr/bin/setsid", "/bin/sh", "-c", script], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True)

    def _log_tail(self, lines=30):
        try:
            return "".join(Path(self.log).read_text(errors="replace").splitlines(True)[-lines:])
        except OSError:
            return ""

    def url(self, database):
        """A libpq URI for `database` over TCP, with the password."""
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def sql(self, statement, database="postgres"):
        """Runs one statement with psql over the unix socket (trust) and returns its unaligned, tuples-only output."""
        proc = self._run([self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.directory,
                          "-p", str(self.port), "-U", "postgres", "-d", database, "-c", statement])
        return proc.stdout.strip()

    def create_database(self, name):
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run([self.pg_ctl, "-D", self.data, "-m", "immediate", "stop"], check=False)
        # pg_ctl returns once the postmaster is gone; give its children a moment to let go of the files.
        for _ in range(20):
            try:
                shutil.rmtree(self.directory)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.1)
