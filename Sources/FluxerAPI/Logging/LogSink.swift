#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

/// A buffered writer for log lines: threads append in memory and a background thread writes to the file
/// descriptor, so a request never waits on a log write. The buffer is split in shards picked by the calling
/// thread, so the event loops (one access-log line per request each) do not contend for one lock; each flush
/// writes the shards one after another, so lines of different threads within one flush (≤ 100 ms) may appear
/// out of time order, never interleaved within a line.
public final class LogSink: Sendable {
    private final class Shard: Sendable {
        package let buffer = Mutex<[UInt8]>([])
    }

    private let fd: Int32
    /// The format of the sink's own warning line (the writers choose theirs; see `LogFormat`).
    public let format: LogFormat
    private let shards: [Shard]
    /// One empty buffer per shard, swapped in at each flush so neither side allocates in steady state; held
    /// for the whole flush, so concurrent `flush()` calls take turns.
    private let spares: Mutex<[[UInt8]]>
    private let stopped = Atomic<Bool>(false)
    /// Lines refused because their shard was full; reported by the next flush.
    private let dropped = Atomic<Int>(0)
    private let lock = ConditionLock()
    private let thread = Mutex<OSThread?>(nil)
    private static let shardCount = 8
    private static let flushThreshold = 64 * 1024
    private static let maxBuffered = 8 * 1024 * 1024

    /// A sink writing to `fd` (default standard error), flushing every 100 ms; its own warnings in `format`.
    public init(fd: Int32 = 2, format: LogFormat = .text) {
        self.fd = fd
        self.format = format
        shards = (0..<Self.shardCount).map { _ in Shard() }
        spares = Mutex(Array(repeating: [], count: Self.shardCount))
        let worker = OSThread(name: "fx-log") { [self] in self.run() }
        thread.withLock { $0 = worker }
    }

    /// Appends one line (a newline is added). A shard holding 1 MiB not yet written refuses more lines rather
    /// than grow (8 MiB in all); the next flush writes a warning with how many were dropped.
    public func write(_ line: String) {
        var line = line
        line.withUTF8 { bytes in append { $0.append(contentsOf: bytes) } }
    }

    /// Appends one line that `build` writes straight into the buffer (a newline is added): no intermediate
    /// array for the hottest caller, the access log.
    public func append(_ build: (inout [UInt8]) -> Void) {
        let crossed = shard().buffer.withLock { buf -> Bool in
            guard buf.count < Self.maxBuffered / Self.shardCount else {
                dropped.wrappingAdd(1, ordering: .relaxed)
                return false
            }
            let before = buf.count
            build(&buf)
            buf.append(0x0A)
            return before < Self.flushThreshold && buf.count >= Self.flushThreshold
        }
        // Wake the writer once, when this shard first holds a chunk worth writing (not on every line after).
        if crossed { lock.withLock { lock.signal() } }
    }

    /// The calling thread's shard: `pthread_self` (a thread descriptor address) mixed so neighbouring threads
    /// land apart.
    private func shard() -> Shard {
        let id = UInt64(pthread_self())
        let mixed = (id ^ (id >> 17)) &* 0x9E37_79B9_7F4A_7C15
        return shards[Int(mixed >> 61) & (Self.shardCount - 1)]
    }

    /// Writes out everything buffered now.
    public func flush() {
        spares.withLock { spares in
            for (i, shard) in shards.enumerated() {
                var bytes = spares[i]
                spares[i] = []
                shard.buffer.withLock { swap(&$0, &bytes) }
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                    if n <= 0 { if errno == EINTR { continue }; break }
                    offset += n
                }
                // Keep the capacity for the next swap, unless one burst made it huge.
                bytes.removeAll(keepingCapacity: bytes.capacity <= 4 * Self.flushThreshold)
                spares[i] = bytes
            }
        }
        let lost = dropped.exchange(0, ordering: .relaxed)
        if lost > 0 {
            var line = switch format {
            case .text: "level=warning msg=\"log lines dropped: the writer fell behind\" count=\(lost)\n"
            case .json: #"{"level":"warning","msg":"log lines dropped: the writer fell behind","count":"\#(lost)"}"# + "\n"
            }
            line.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress!, bytes.count) }
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
package enum Logfmt {
    package static func value(_ s: String) -> String {
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
