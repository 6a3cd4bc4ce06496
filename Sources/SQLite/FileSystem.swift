#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An `errno` from a failed POSIX call.
struct SystemError: Error {
    let errno: Int32
}

/// Small POSIX helpers (no Foundation).
enum FileSystem {
    /// Makes the directory entry naming `path` durable (a rename, a new file): fsync(2) of a file does not sync the
    /// directory that names it. Best effort: some file systems refuse fsync on a directory.
    static func syncDirectory(of path: String) {
        let fd = open(parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The directory part of a path ("." when there is none).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// `mkdir -p` with mode 0700 for created directories.
    static func makeDirectories(_ path: String) throws(DatabaseError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw .cannotCreateDirectory(path: path, errno: ENOTDIR)
            }
            return
        }
        let up = parent(of: path)
        if up != path { try makeDirectories(up) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw .cannotCreateDirectory(path: path, errno: errno)
        }
    }

    /// Creates an empty file with mode 0600 unless it already exists.
    static func createPrivateFile(_ path: String) throws(DatabaseError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw .cannotCreateFile(path: path, errno: errno)
        }
    }

    /// Names of the entries of a directory (without "." and "..").
    static func listDirectory(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The whole content of a file.
    static func readFile(_ path: String) throws(SystemError) -> [UInt8] {
        guard let file = fopen(path, "rb") else { throw SystemError(errno: errno) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(file) != 0 { throw SystemError(errno: EIO) }
                return bytes
            }
        }
    }
}
