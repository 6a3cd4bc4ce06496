#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Synchronization

/// One address `getaddrinfo` gave, copied out of its list.
package struct ResolvedAddress: Sendable {
    package let family: Int32
    package let storage: [UInt8]  // the sockaddr, `ai_addrlen` bytes
}

/// Name resolution bounded by a deadline. `getaddrinfo` has no timeout of its own (a dead resolver can hold it
/// for the resolver's retries, tens of seconds), so it runs on a short-lived detached thread while the caller
/// waits at most until its deadline; a late answer is dropped. At most `maxInFlight` lookups run at once, so a
/// resolver that never answers cannot make threads pile up: beyond that, a lookup fails at once.
package enum HostResolver {
    package static let maxInFlight = 4

    /// What performs a lookup; tests give a host of their own a slow one to prove the deadline holds.
    package typealias Lookup = @Sendable (String, UInt16) -> Result<[ResolvedAddress], HTTPClientError>

    private static let overrides = Mutex<[String: Lookup]>([:])
    private static let inFlight = Atomic<Int>(0)

    /// Makes lookups of exactly `host` use `lookup` (tests only; nil restores the system resolver).
    package static func override(_ host: String, with lookup: Lookup?) {
        overrides.withLock { $0[host] = lookup }
    }

    /// Lookups started and not yet finished.
    package static var lookupsInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// The addresses of `host`, or `.timeout` once `deadline` (monotonic ms) passes. A numeric address is
    /// answered on the calling thread: `AI_NUMERICHOST` never touches the network.
    package static func resolve(_ host: String, port: UInt16, deadline: Int64) throws(HTTPClientError) -> [ResolvedAddress] {
        if case .success(let numeric) = getAddresses(host, port: port, flags: AI_NUMERICHOST) { return numeric }
        guard inFlight.wrappingAdd(1, ordering: .relaxed).newValue <= maxInFlight else {
            inFlight.subtract(1, ordering: .relaxed)
            throw .resolve("too many lookups in progress")
        }
        let pending = Pending()
        let run = overrides.withLock { $0[host] } ?? systemLookup
        let thread = OSThread(name: "fx-resolve") {
            let result = run(host, port)
            inFlight.subtract(1, ordering: .relaxed)
            pending.finish(result)
        }
        thread.detach()
        guard let result = pending.wait(until: deadline) else { throw .timeout }
        return try result.get()
    }

    /// The real lookup: `getaddrinfo` for TCP, any family.
    package static let systemLookup: Lookup = { host, port in getAddresses(host, port: port, flags: 0) }

    private static func getAddresses(_ host: String, port: UInt16, flags: Int32) -> Result<[ResolvedAddress], HTTPClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG | flags
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            if let list { freeaddrinfo(list) }
            return .failure(.resolve(rc == EAI_NONAME ? "unknown host" : String(cString: gai_strerror(rc))))
        }
        defer { freeaddrinfo(first) }
        var out: [ResolvedAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            guard let address = info.pointee.ai_addr else { continue }
            let bytes = UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen))
            out.append(ResolvedAddress(family: info.pointee.ai_family, storage: Array(bytes)))
        }
        return out.isEmpty ? .failure(.resolve("no address")) : .success(out)
    }

    /// The hand-over between the lookup thread and the waiting caller.
    private final class Pending: @unchecked Sendable {
        // Invariant: `result` is read and written only while holding `lock`.
        private let lock = ConditionLock()
        private var result: Result<[ResolvedAddress], HTTPClientError>?

        package func finish(_ value: Result<[ResolvedAddress], HTTPClientError>) {
            lock.withLock {
                result = value
                lock.broadcast()
            }
        }

        /// The result, or nil if `deadline` passed first.
        package func wait(until deadline: Int64) -> Result<[ResolvedAddress], HTTPClientError>? {
            lock.withLock {
                while result == nil {
                    let left = deadline - ClientSocket.now()
                    if left <= 0 { return nil }
                    lock.wait(milliseconds: Int(min(left, 1_000)))
                }
                return result
            }
        }
    }
}
