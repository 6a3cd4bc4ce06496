internal import CFluxerShim
import FluxerATProto

/// The TXT records of a DNS answer message (RFC 1035 §4.1, §3.3.14): each record's character-strings joined.
/// A pure, bounded parser: any malformed or truncated message, a compression pointer loop, or more than
/// `maxRecords` answers gives nil.
package enum DNSTXTAnswer {
    package static let maxRecords = 64
    static let typeTXT: UInt16 = 16
    static let classIN: UInt16 = 1

    package static func records(_ message: [UInt8]) -> [String]? {
        guard message.count >= 12 else { return nil }
        func u16(_ i: Int) -> UInt16? { i + 1 < message.count ? UInt16(message[i]) << 8 | UInt16(message[i + 1]) : nil }
        guard let flags = u16(2), let questions = u16(4), let answers = u16(6) else { return nil }
        // A response (QR), no truncation (TC), RCODE 0.
        guard flags & 0x8000 != 0, flags & 0x0200 == 0, flags & 0x000F == 0, answers <= maxRecords else { return nil }
        var at = 12
        for _ in 0..<questions {
            guard let end = skipName(message, from: at), end + 4 <= message.count else { return nil }
            at = end + 4
        }
        var out: [String] = []
        for _ in 0..<answers {
            guard let end = skipName(message, from: at), end + 10 <= message.count,
                  let type = u16(end), let klass = u16(end + 2), let length = u16(end + 8)
            else { return nil }
            let start = end + 10, stop = start + Int(length)
            guard stop <= message.count else { return nil }
            if type == typeTXT && klass == classIN {
                var text: [UInt8] = []
                var i = start
                while i < stop {
                    let count = Int(message[i])
                    guard i + 1 + count <= stop else { return nil }
                    text += message[(i + 1)..<(i + 1 + count)]
                    i += 1 + count
                }
                out.append(String(decoding: text, as: UTF8.self))
            }
            at = stop
        }
        return out
    }

    /// The offset just past a (possibly compressed) name at `from`, or nil when it is malformed.
    static func skipName(_ message: [UInt8], from: Int) -> Int? {
        var at = from
        var labels = 0
        while at < message.count {
            let length = message[at]
            if length == 0 { return at + 1 }
            if length & 0xC0 == 0xC0 { return at + 2 <= message.count ? at + 2 : nil }  // a pointer ends the name here
            guard length & 0xC0 == 0, labels < 128 else { return nil }
            at += 1 + Int(length)
            labels += 1
        }
        return nil
    }
}

/// `_atproto.<handle>` TXT lookups through the system's resolver (atproto "Handle Resolution", DNS method), on a
/// private resolver state with its own bound: `timeoutSeconds` per try, `attempts` tries. Blocking: it runs on
/// the worker thread that serves the sign-in.
package struct SystemTXTResolver: ATProtoTXTResolver {
    package var timeoutSeconds: Int32 = 2
    package var attempts: Int32 = 2
    /// A nameserver (IPv4, port) instead of /etc/resolv.conf: tests.
    package var nameserver: (address: String, port: Int32)?

    package init(timeoutSeconds: Int32 = 2, attempts: Int32 = 2, nameserver: (address: String, port: Int32)? = nil) {
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
        self.nameserver = nameserver
    }

    /// A name that does not exist or has no TXT records answers [] (the resolver then tries HTTPS).
    package func txtRecords(_ name: String) throws -> [String] {
        guard (1...253).contains(name.utf8.count), !name.utf8.contains(0) else { return [] }
        var answer = [UInt8](repeating: 0, count: 4096)
        let length = answer.withUnsafeMutableBufferPointer { buffer in
            if let nameserver {
                return fx_dns_query_txt(name, buffer.baseAddress, Int32(buffer.count), timeoutSeconds, attempts, nameserver.address, nameserver.port)
            }
            return fx_dns_query_txt(name, buffer.baseAddress, Int32(buffer.count), timeoutSeconds, attempts, nil, 0)
        }
        guard length > 0 else { return [] }
        return DNSTXTAnswer.records(Array(answer.prefix(Int(min(length, Int32(answer.count)))))) ?? []
    }
}
