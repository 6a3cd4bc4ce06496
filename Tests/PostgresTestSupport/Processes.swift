import Glibc

/// Why a test helper failed.
package struct HelperError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Runs `argv` (argv[0] an absolute path) with stdin from /dev/null and stdout and stderr appended to `log`,
/// and returns its exit status (128 + n when killed by signal n).
@discardableResult
package func runProcess(_ argv: [String], log: String = "/dev/null") throws -> Int32 {
    let pid = try spawnProcess(argv, log: log)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
        guard errno == EINTR else { throw HelperError("waitpid failed for \(argv[0]): errno \(errno)") }
    }
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
}

/// Starts `argv` without waiting for it.
package func spawnProcess(_ argv: [String], log: String = "/dev/null") throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let arguments = argv.map { strdup($0) } + [nil]
    defer { for pointer in arguments { free(pointer) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
    guard rc == 0 else { throw HelperError("cannot start \(argv[0]): errno \(rc)") }
    return pid
}

/// Whether a regular file exists and is executable.
package func isExecutable(_ path: String) -> Bool {
    access(path, X_OK) == 0
}

/// Deletes a file or a directory tree.
package func removeTree(_ path: String) {
    _ = try? runProcess(["/bin/rm", "-rf", path])
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back, close).
package func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HelperError("socket failed: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw HelperError("bind failed: errno \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw HelperError("getsockname failed: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Monotonic milliseconds, for timing assertions.
package func monotonicMilliseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

/// A closure carried into a pthread.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Starts a real OS thread (libpq blocks, so tests must not occupy the cooperative pool).
package func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    let rc = pthread_create(&thread, nil, { arg in
        Unmanaged<ThreadBody>.fromOpaque(arg!).takeRetainedValue().run()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed")
    return thread
}

/// Runs `count` threads and waits for all of them.
package func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { index in startThread { body(index) } }
    for thread in threads { pthread_join(thread, nil) }
}

/// Polls `condition` every 10 ms until it holds or `milliseconds` pass; returns whether it held.
package func waitUntil(milliseconds: Int, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = monotonicMilliseconds() + milliseconds
    while monotonicMilliseconds() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
