#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import FluxerAPI
@testable import HTTPServer

/// Handle resolution by DNS (`_atproto.<handle>` TXT): the answer parser on crafted messages, and the system
/// resolver against a DNS server of our own on loopback UDP.
@Suite struct DNSTXTTests {
    /// A DNS message: header, the question for `name`, and `answers` TXT records (each a list of strings).
    static func message(id: UInt16 = 7, flags: UInt16 = 0x8180, name: String = "_atproto.alice.example", answers: [[String]],
                        compress: Bool = true) -> [UInt8] {
        var m: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, UInt8(answers.count), 0, 0, 0, 0]
        var encodedName: [UInt8] = []
        for label in name.split(separator: ".") { encodedName += [UInt8(label.utf8.count)] + Array(label.utf8) }
        encodedName.append(0)
        m += encodedName + [0, 16, 0, 1]
        for strings in answers {
            m += compress ? [0xC0, 12] : encodedName
            var rdata: [UInt8] = []
            for string in strings { rdata += [UInt8(string.utf8.count)] + Array(string.utf8) }
            m += [0, 16, 0, 1, 0, 0, 0, 60, UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        }
        return m
    }

    @Test func parser_readsRecords_joinsStrings_andIgnoresOtherTypes() {
        #expect(DNSTXTAnswer.records(Self.message(answers: [["did=did:plc:abc"]])) == ["did=did:plc:abc"])
        #expect(DNSTXTAnswer.records(Self.message(answers: [["did=did:", "plc:abc"], ["v=spf1"]], compress: false))
            == ["did=did:plc:abc", "v=spf1"])
        #expect(DNSTXTAnswer.records(Self.message(answers: [])) == [])
        var withA = Self.message(answers: [["x"]])
        withA[withA.count - 12] = 1   // the type's low byte: an A record, not TXT
        #expect(DNSTXTAnswer.records(withA) == [])
    }

    @Test func parser_refusesMalformedMessages() {
        let good = Self.message(answers: [["did=did:plc:abc"]])
        for cut in [0, 5, 11, 20, good.count - 1] {
            #expect(DNSTXTAnswer.records(Array(good.prefix(cut))) == nil, "cut at \(cut)")
        }
        #expect(DNSTXTAnswer.records(Self.message(flags: 0x0100, answers: [["x"]])) == nil, "a query, not a response")
        #expect(DNSTXTAnswer.records(Self.message(flags: 0x8383, answers: [])) == nil, "NXDOMAIN")
        #expect(DNSTXTAnswer.records(Self.message(flags: 0x8380, answers: [["x"]])) == nil, "truncated (TC)")
        var overlong = good
        overlong[overlong.count - 16] = 200  // a character-string longer than its record
        #expect(DNSTXTAnswer.records(overlong) == nil)
        var many = Self.message(answers: [])
        many[7] = UInt8(DNSTXTAnswer.maxRecords + 1)
        #expect(DNSTXTAnswer.records(many) == nil)
        // A name made of 200 one-byte labels never ends inside the limit.
        var labels: [UInt8] = [0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]
        for _ in 0..<200 { labels += [1, 0x61] }
        #expect(DNSTXTAnswer.records(labels + [0, 0, 16, 0, 1]) == nil)
    }

    /// A UDP DNS server on 127.0.0.1: TXT answers from `records`, NXDOMAIN otherwise; `silent` answers nothing.
    final class FakeDNS: Sendable {
        let fd: Int32
        let port: Int32
        let queries = Atomic<Int>(0)

        init(records: [String: [String]], silent: Bool = false) {
            let (fd, boundPort) = bindLoopback(udp: true)
            self.fd = fd
            port = Int32(boundPort)
            let thread = OSThread(name: "fake-dns") { [self] in
                var buffer = [UInt8](repeating: 0, count: 512)
                while true {
                    var peer = sockaddr_in()
                    var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
                    let n = withUnsafeMutablePointer(to: &peer) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength) }
                    }
                    if n <= 0 { return }
                    queries.add(1, ordering: .relaxed)
                    if silent { continue }
                    let query = Array(buffer.prefix(n))
                    guard let end = DNSTXTAnswer.skipName(query, from: 12) else { continue }
                    var labels: [String] = []
                    var i = 12
                    while i < end - 1 { let l = Int(query[i]); labels.append(String(decoding: query[(i + 1)..<(i + 1 + l)], as: UTF8.self)); i += 1 + l }
                    let name = labels.joined(separator: ".").lowercased()
                    let id = UInt16(query[0]) << 8 | UInt16(query[1])
                    let reply = records[name].map { DNSTXTTests.message(id: id, name: name, answers: $0.map { [$0] }) }
                        ?? DNSTXTTests.message(id: id, flags: 0x8183, name: name, answers: [])
                    _ = withUnsafePointer(to: &peer) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, peerLength) }
                    }
                }
            }
            _ = thread
        }

        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    @Test func systemResolver_readsTXT_fromTheServer() throws {
        let dns = FakeDNS(records: ["_atproto.alice.example": ["did=did:plc:ewvi7nxzyoun6zhxrhs64oiz", "unrelated"]])
        defer { dns.stop() }
        let resolver = SystemTXTResolver(timeoutSeconds: 1, attempts: 1, nameserver: ("127.0.0.1", dns.port))
        #expect(try resolver.txtRecords("_atproto.alice.example") == ["did=did:plc:ewvi7nxzyoun6zhxrhs64oiz", "unrelated"])
        #expect(try resolver.txtRecords("_atproto.nobody.example") == [], "NXDOMAIN: no records, and HTTPS is tried next")
        #expect(try resolver.txtRecords("") == [] && resolver.txtRecords(String(repeating: "a", count: 254)) == [])
    }

    @Test func systemResolver_silentServer_isBounded() throws {
        let dns = FakeDNS(records: [:], silent: true)
        defer { dns.stop() }
        let resolver = SystemTXTResolver(timeoutSeconds: 1, attempts: 1, nameserver: ("127.0.0.1", dns.port))
        let started = Clock.wallMilliseconds()
        #expect(try resolver.txtRecords("_atproto.slow.example") == [])
        let elapsed = Clock.wallMilliseconds() - started
        #expect(elapsed < 4_000, "\(elapsed) ms")
    }
}
