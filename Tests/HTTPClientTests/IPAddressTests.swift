#if canImport(Glibc)
import Glibc
#endif
@testable import HTTPClient
import Testing

/// Classification for `.publicOnly` (IANA special-purpose registries, RFC 6890).
@Suite struct IPAddressTests {
    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
        "169.253.255.255", "169.255.0.0", "192.167.255.255", "192.169.0.0", "223.255.255.255", "11.0.0.0",
        "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
    ])
    func public_addresses(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.isPublic)
    }

    @Test(arguments: [
        // IPv4
        "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "100.64.0.1",
        "100.127.255.255", "169.254.169.254", "169.254.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
        "192.0.0.8", "192.0.2.1", "192.88.99.1", "198.18.0.1", "198.19.255.255", "198.51.100.1", "203.0.113.1",
        "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
        // IPv6
        "::", "::1", "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "::ffff:0.0.0.0", "64:ff9b::a00:1", "64:ff9b::7f00:1", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a9fe:a9fe::",
        "100::1", "fc00::1", "fd12:3456:789a::1", "fe80::1", "febf::1", "fec0::1", "ff02::1", "ff0e::1",
        "2001::1", "2001:0:4136:e378::1", "2001:db8::1", "2001:1ff::1", "3fff::1", "5f00::1", "1::1", "4000::1",
    ])
    func special_addresses(text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(!address.isPublic)
    }

    @Test func loopback() throws {
        for text in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            #expect(try #require(IPAddress(text)).isLoopback, "\(text)")
        }
        for text in ["10.0.0.1", "::2", "8.8.8.8", "::ffff:10.0.0.1", "128.0.0.1", "::"] {
            #expect(try !#require(IPAddress(text)).isLoopback, "\(text)")
        }
    }

    @Test func fromSockaddr_v4v6AndOtherFamilies() throws {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "169.254.169.254", &v4.sin_addr)
        let fromV4 = withUnsafePointer(to: &v4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress($0, length: MemoryLayout<sockaddr_in>.size) }
        }
        #expect(fromV4 == IPAddress("169.254.169.254"))

        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        inet_pton(AF_INET6, "2606:4700::1", &v6.sin6_addr)
        let fromV6 = withUnsafePointer(to: &v6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress($0, length: MemoryLayout<sockaddr_in6>.size) }
        }
        #expect(fromV6 == IPAddress("2606:4700::1"))
        // A length too short for the family is not read.
        let truncated = withUnsafePointer(to: &v6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress($0, length: 16) }
        }
        #expect(truncated == nil)

        var unix = sockaddr_un()
        unix.sun_family = sa_family_t(AF_UNIX)
        let fromUnix = withUnsafePointer(to: &unix) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress($0, length: MemoryLayout<sockaddr_un>.size) }
        }
        #expect(fromUnix == nil)
    }

    @Test func description_roundTrips() throws {
        for text in ["0.0.0.0", "192.168.1.20", "255.255.255.255", "::1", "2001:db8::1", "::ffff:1.2.3.4"] {
            #expect(try #require(IPAddress(text)).description == text)
        }
    }
}
