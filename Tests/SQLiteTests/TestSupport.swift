import Glibc
import SQLite
import Synchronization

/// Runs `body` with a fresh, unique directory under /tmp that is removed afterwards.
@discardableResult
func withTempDirectory<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/fluxer-sqlite-test-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw TestFailure.system(errno) }
    let dir = String(cString: created)
    defer { removeTree(dir) }
    return try body(dir)
}

/// Runs `body` with a fresh database file in a fresh temporary directory.
@discardableResult
func withTempDatabase<T>(readerCount: Int = 2, _ body: (Database, String) throws -> T) throws -> T {
    try withTempDirectory { dir throws in
        let path = dir + "/test.sqlite"
        let db = try Database(path: path, readerCount: readerCount)
        defer { db.close() }
        return try body(db, dir)
    }
}

/// Errors raised by the helpers themselves.
enum TestFailure: Error {
    case system(Int32)
}

/// Deletes a file or a directory tree.
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
        unlink(path)
        return
    }
    if let dir = opendir(path) {
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        for name in names { removeTree(path + "/" + name) }
    }
    rmdir(path)
}

/// Writes bytes to a file (created or truncated).
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw TestFailure.system(errno) }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw TestFailure.system(errno) }
}

/// Writes text to a file.
func writeFile(_ path: String, _ text: String) throws {
    try writeFile(path, Array(text.utf8))
}

/// The permission bits of a file, or nil if it does not exist.
func permissions(_ path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return st.st_mode & 0o777
}

/// A closure carried into a pthread.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Starts a real OS thread (tests block, so they must not occupy the cooperative pool).
func startThread(_ body: @escaping @Sendable () -> Void) -> pthread_t {
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
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let threads = (0..<count).map { index in startThread { body(index) } }
    for thread in threads { pthread_join(thread, nil) }
}

/// Counts `SELECT COUNT(*)` of a table on a reader.
func count(_ db: Database, _ table: String) throws -> Int64? {
    try db.read { try $0.queryOne("SELECT COUNT(*) AS n FROM \(table)")?.int("n") }
}

/// Creates a directory; true on success.
func mkdirForTest(_ path: String) -> Bool {
    mkdir(path, 0o700) == 0
}
