import Glibc
import Postgres
import Synchronization

/// A throwaway PostgreSQL 15 cluster from the Debian `postgresql` package, shared by every test target in the
/// test process (PostgresTests, PostgresSchemaTests): started once, on first use, in a temporary directory; each
/// test gets its own database with `CREATE DATABASE`. It listens on 127.0.0.1 on a free port and on a unix socket in its directory, and needs a
/// password over TCP (scram-sha-256), so tests can check that the password stays out of error text.
///
/// Teardown: an `atexit` handler stops the server (`pg_ctl stop -m immediate`) and deletes the directory; a
/// watchdog process does the same if the test process dies without running it.
///
/// When the binaries are missing, every test that needs the cluster fails with a message saying what to
/// install: CI installs them (`make deps`), so a skip would hide a broken set-up.
package final class TestCluster: Sendable {
    package static let binDirectory = "/usr/lib/postgresql/15/bin"
    package static let password = "Tr0ub4dor&3-not-in-logs"

    package let directory: String
    package let port: Int
    /// A pool on the `postgres` database for CREATE DATABASE and pg_terminate_backend.
    package let admin: PostgresDatabase
    private let counter = Mutex(0)

    /// The shared cluster, started on first use (Swift initializes a static `let` once, thread-safely).
    private static let started: Result<TestCluster, HelperError> = Result { () throws(HelperError) in
        try TestCluster.start()
    }

    /// The shared cluster, or the reason it could not start.
    package static func shared() throws -> TestCluster {
        try started.get()
    }

    private init(directory: String, port: Int, admin: PostgresDatabase) {
        self.directory = directory
        self.port = port
        self.admin = admin
    }

    /// A URL for `database` over TCP.
    package func url(_ database: String, password: String = TestCluster.password) -> String {
        "postgresql://postgres:\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Creates a fresh, empty database and returns its name.
    package func createDatabase() throws -> String {
        let name = "t\(counter.withLock { value -> Int in value += 1; return value })"
        try admin.withSession { try $0.execute("CREATE DATABASE \(name)") }
        return name
    }

    /// Terminates a backend, as an operator or a failover would (`pg_terminate_backend`, PostgreSQL docs §9.27.2).
    package func terminate(backend pid: Int32) throws {
        _ = try admin.read { try $0.queryOne("SELECT pg_terminate_backend($1::int4, 5000) AS ok", Int(pid)) }
    }

    // MARK: - Start and stop

    private static func start() throws(HelperError) -> TestCluster {
        let initdb = binDirectory + "/initdb"
        let pgCtl = binDirectory + "/pg_ctl"
        guard isExecutable(initdb), isExecutable(pgCtl) else {
            throw HelperError(
                "PostgreSQL 15 server binaries not found in \(binDirectory): install the Debian packages "
                    + "libpq-dev and postgresql (`make deps` does, as root)")
        }
        var template = Array("/tmp/fluxer-pg-test-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw HelperError("mkdtemp failed: errno \(errno)") }
        let directory = String(cString: created)
        do {
            return try start(in: directory, initdb: initdb, pgCtl: pgCtl)
        } catch {
            tearDownNow()
            removeTree(directory)
            throw error
        }
    }

    private static func start(in directory: String, initdb: String, pgCtl: String) throws(HelperError) -> TestCluster {
        let asPostgres = try ownershipForServer(directory)
        let data = directory + "/data"
        // Registered before anything runs, so a process killed during initdb leaves nothing behind either.
        registerTeardown(directory: directory, data: data, pgCtl: pgCtl, prefix: asPostgres.prefix)
        let log = directory + "/setup.log"
        let passwordFile = directory + "/pwfile"
        do {
            try writeFile(passwordFile, password + "\n")
            chmod(passwordFile, 0o600)
            if let owner = asPostgres.owner { chown(passwordFile, owner.uid, owner.gid) }
            // initdb refuses to run as root; run the server tools as `postgres`, from a directory it can read
            // (initdb fails when it cannot resolve its working directory).
            let run: ([String]) throws -> Int32 = { tool in
                try runProcess(asPostgres.prefix + ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + tool, log: log)
            }
            let initialized = try run([
                initdb, "-D", data, "-U", "postgres", "--pwfile=" + passwordFile, "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ])
            guard initialized == 0 else { throw HelperError("initdb failed (\(initialized)); see \(log)") }
            // Durability is irrelevant for a throwaway cluster; speed is not.
            var lastStatus: Int32 = 0
            for _ in 0..<3 {
                let port = try freeLoopbackPort()
                let options = [
                    "-c listen_addresses=127.0.0.1", "-c port=\(port)", "-c unix_socket_directories=\(directory)",
                    "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                    "-c max_connections=300", "-c shared_buffers=32MB",
                ].joined(separator: " ")
                lastStatus = try run([pgCtl, "-D", data, "-l", directory + "/server.log", "-w", "-t", "30", "-o", options, "start"])
                guard lastStatus == 0 else { continue }
                let adminURL = "postgresql://postgres:\(password)@127.0.0.1:\(port)/postgres?sslmode=disable"
                // Tests start in parallel and each creates its database here: allow them to queue.
                let admin = try PostgresDatabase(
                    configuration: PostgresConfiguration(url: adminURL, poolSize: 4, checkoutTimeoutMilliseconds: 60_000))
                return TestCluster(directory: directory, port: port, admin: admin)
            }
            throw HelperError("pg_ctl start failed (\(lastStatus)); see \(directory)/server.log")
        } catch let error as HelperError {
            throw error
        } catch {
            throw HelperError("cluster set-up failed: \(error)")
        }
    }

    /// As root, hands the directory to `postgres` and returns the `runuser` prefix; otherwise runs as ourselves.
    private static func ownershipForServer(
        _ directory: String
    ) throws(HelperError) -> (prefix: [String], owner: (uid: uid_t, gid: gid_t)?) {
        guard getuid() == 0 else { return ([], nil) }
        guard let entry = getpwnam("postgres") else {
            throw HelperError("running as root but there is no `postgres` user; install the postgresql package")
        }
        let owner = (uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        guard chown(directory, owner.uid, owner.gid) == 0 else { throw HelperError("chown failed: errno \(errno)") }
        return (["/usr/sbin/runuser", "-u", "postgres", "--"], owner)
    }

    private static func registerTeardown(directory: String, data: String, pgCtl: String, prefix: [String]) {
        let stop = prefix + [pgCtl, "-D", data, "-m", "immediate", "stop"]
        teardown.withLock { $0 = (stop, directory) }
        atexit { tearDownNow() }
        // If this process dies without exit handlers (a crash, SIGKILL), the watchdog tears down a second later.
        let quoted = stop.map { "'\($0)'" }.joined(separator: " ")
        // initdb or pg_ctl may outlive the process by a moment: let them finish first. (The patterns are
        // spelled through variables so that they do not match this script's own command line.)
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; i=initdb; c=pg_ctl; "
            + "while pgrep -f \"$i -D \(data)\" >/dev/null || pgrep -f \"$c -D \(data)\" >/dev/null; do sleep 0.2; done; "
            + "[ -f '\(data)/postmaster.pid' ] && \(quoted); rm -rf '\(directory)'"
        _ = try? spawnProcess(["/usr/bin/setsid", "/bin/sh", "-c", script])
    }
}

/// What the exit handler needs: the stop command and the directory to delete.
private let teardown = Mutex<(stop: [String], directory: String)?>(nil)

/// Stops the server if it runs and deletes its directory; once.
private func tearDownNow() {
    guard let (stop, directory) = teardown.withLock({ value in defer { value = nil }; return value }) else { return }
    _ = try? runProcess(stop)  // fails quietly when the server never started
    removeTree(directory)
}

/// Writes text to a file (created or truncated).
package func writeFile(_ path: String, _ text: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw HelperError("cannot create \(path): errno \(errno)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw HelperError("cannot write \(path): errno \(errno)") }
}
