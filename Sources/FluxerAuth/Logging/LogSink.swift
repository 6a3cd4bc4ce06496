#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

/// A buffered writer for log lines: event loops append in memory and a background thread writes to the
/// file descriptor, so a request never waits on a log write.
public final class LogSink: Sendable {
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    private let stopped = Atomic<Bool>(false)
    private let lock = ConditionLock()
    private let thread = Mutex<OSThread?>(nil)
    private static let flushThreshold = 64 * 1024
    private static let maxBuffered = 8 * 1024 * 1024

    /// A sink writing to `fd` (default standard error), flushing every 100 ms.
    public init(fd: Int32 = 2) {
        self.fd = fd
        let worker = OSThread(name: "fx-log") { [self] in self.run() }
        thread.withLock { $0 = worker }
    }

    /// Appends one line (a newline is added). Lines beyond 8 MiB of backlog are dropped rather than growing memory.
    public func write(_ line: String) {
        let size = buffer.withLock { buf -> Int in
            guard buf.count < Self.maxBuffered else { return buf.count }
            var line = line
            line.withUTF8 { buf.append(contentsOf: $0) }
            buf.append(0x0A)
            return buf.count
        }
        if size >= Self.flushThreshold { lock.withLock { lock.signal() } }
    }

    /// Appends one line given as UTF-8 bytes (a newline is added).
    public func write(bytes line: [UInt8]) {
        let size = buffer.withLock { buf -> Int in
            guard buf.count < Self.maxBuffered else { return buf.count }
            buf.append(contentsOf: line)
            buf.append(0x0A)
            return buf.count
        }
        if size >= Self.flushThreshold { lock.withLock { lock.signal() } }
    }

    /// Writes out everything buffered now.
    public func flush() {
        let bytes = buffer.withLock { buf -> [UInt8] in
            defer { buf.removeAll(keepingCapacity: true) }
            return buf
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Flushes and stops the background thread.
    public func close() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        lock.withLock { lock.signal() }
        thread.withLock { $0 }?.join()
        flush()
    }

    private func run() {
        while !stopped.load(ordering: .relaxed) {
            lock.withLock { lock.wait(milliseconds: 100) }
            flush()
        }
    }
}

/// logfmt encoding (`key=value`, quoted when needed) for log lines.
enum Logfmt {
    static func value(_ s: String) -> String {
        let needsQuotes = s.isEmpty || s.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }
        guard needsQuotes else { return s }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
