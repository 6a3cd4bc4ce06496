#if canImport(Glibc)
import Glibc
#endif

/// An address a connection is about to be made to, classified for `HTTPClientPolicy.AddressRule.publicOnly`.
///
/// The classification follows the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later
/// updates). IPv4 is public unless listed; IPv6 is public only inside global unicast `2000::/3` (RFC 4291 §2.4)
/// minus its special blocks, so a range IANA has not assigned yet is refused rather than trusted. IPv6 forms that
/// carry an IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address.
enum IPAddress: Equatable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    /// The address in a `sockaddr` of `length` bytes; nil for a family other than IPv4 and IPv6.
    init?(_ address: UnsafePointer<sockaddr>, length: Int) {
        let raw = UnsafeRawPointer(address)
        switch Int32(address.pointee.sa_family) {
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            let v4 = raw.loadUnaligned(as: sockaddr_in.self)
            self = .v4(UInt32(bigEndian: v4.sin_addr.s_addr))
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            let v6 = raw.loadUnaligned(as: sockaddr_in6.self)
            self = .v6(withUnsafeBytes(of: v6.sin6_addr) { Self.bigEndianValue($0) })
        default:
            return nil
        }
    }

    /// An IPv4 dotted quad or an IPv6 address in text (inet_pton), for tests and diagnostics.
    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(UInt32(bigEndian: v4.s_addr))
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: v6) { Self.bigEndianValue($0) })
        } else {
            return nil
        }
    }

    /// Whether the address is reachable on the public internet: not loopback, private, link-local, shared
    /// (CGNAT), documentation, benchmarking, multicast, reserved or unspecified.
    var isPublic: Bool {
        switch self {
        case .v4(let address):
            return !Self.specialIPv4.contains { $0.contains(address) }
        case .v6(let address):
            if let embedded = embeddedIPv4 { return IPAddress.v4(embedded).isPublic }
            guard Self.prefix(address, matches: 0x2000 << 112, bits: 3) else { return false }
            return !Self.specialIPv6.contains { Self.prefix(address, matches: $0.prefix, bits: $0.bits) }
        }
    }

    /// Whether the address is loopback (127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6): traffic that never
    /// leaves the machine.
    var isLoopback: Bool {
        switch self {
        case .v4(let address): address >> 24 == 127
        case .v6(let address): address == 1 || (Self.prefix(address, matches: 0xffff << 32, bits: 96) && (address >> 24) & 0xff == 127)
        }
    }

    /// The IPv4 address inside an IPv4-mapped (RFC 4291 §2.5.5.2), NAT64 well-known-prefix (RFC 6052 §2.1) or
    /// 6to4 (RFC 3056 §2) address.
    private var embeddedIPv4: UInt32? {
        guard case .v6(let address) = self else { return nil }
        if Self.prefix(address, matches: 0xffff << 32, bits: 96) || Self.prefix(address, matches: 0x64ff9b << 96, bits: 96) {
            return UInt32(truncatingIfNeeded: address)
        }
        if Self.prefix(address, matches: 0x2002 << 112, bits: 16) {
            return UInt32(truncatingIfNeeded: address >> 80)
        }
        return nil
    }

    /// IANA IPv4 Special-Purpose Address Registry, plus multicast and the reserved 240/4.
    private static let specialIPv4: [IPv4Block] = [
        IPv4Block(0x0000_0000, 8),   // 0.0.0.0/8 "this network", RFC 791 §3.2
        IPv4Block(0x0A00_0000, 8),   // 10.0.0.0/8 private, RFC 1918
        IPv4Block(0x6440_0000, 10),  // 100.64.0.0/10 shared address space (CGNAT), RFC 6598
        IPv4Block(0x7F00_0000, 8),   // 127.0.0.0/8 loopback, RFC 1122 §3.2.1.3
        IPv4Block(0xA9FE_0000, 16),  // 169.254.0.0/16 link-local (and cloud metadata), RFC 3927
        IPv4Block(0xAC10_0000, 12),  // 172.16.0.0/12 private, RFC 1918
        IPv4Block(0xC000_0000, 24),  // 192.0.0.0/24 IETF protocol assignments, RFC 6890 §2.2.2
        IPv4Block(0xC000_0200, 24),  // 192.0.2.0/24 TEST-NET-1, RFC 5737
        IPv4Block(0xC058_6300, 24),  // 192.88.99.0/24 6to4 relay anycast (deprecated), RFC 7526
        IPv4Block(0xC0A8_0000, 16),  // 192.168.0.0/16 private, RFC 1918
        IPv4Block(0xC612_0000, 15),  // 198.18.0.0/15 benchmarking, RFC 2544
        IPv4Block(0xC633_6400, 24),  // 198.51.100.0/24 TEST-NET-2, RFC 5737
        IPv4Block(0xCB00_7100, 24),  // 203.0.113.0/24 TEST-NET-3, RFC 5737
        IPv4Block(0xE000_0000, 4),   // 224.0.0.0/4 multicast, RFC 5771
        IPv4Block(0xF000_0000, 4),   // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast, RFC 1112 §4
    ]

    /// Blocks inside 2000::/3 that are not ordinary global unicast (6to4 is judged by its IPv4 address above).
    private static let specialIPv6: [(prefix: UInt128, bits: Int)] = [
        (0x2001 << 112, 23),                  // 2001::/23 IETF protocol assignments (Teredo, ORCHID…), RFC 2928
        ((0x2001 << 112) | (0x0db8 << 96), 32), // 2001:db8::/32 documentation, RFC 3849
        (0x3fff << 112, 20),                  // 3fff::/20 documentation, RFC 9637
    ]

    private static func prefix(_ address: UInt128, matches prefix: UInt128, bits: Int) -> Bool {
        address >> (128 - bits) == prefix >> (128 - bits)
    }

    private static func bigEndianValue(_ bytes: UnsafeRawBufferPointer) -> UInt128 {
        bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) }
    }

    /// The address in its usual text form.
    var description: String {
        switch self {
        case .v4(let address):
            return "\(address >> 24).\((address >> 16) & 0xff).\((address >> 8) & 0xff).\(address & 0xff)"
        case .v6(let address):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: address >> (8 * (15 - index))) }
            }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// An IPv4 network: address and prefix length.
struct IPv4Block {
    let network: UInt32
    let bits: Int

    init(_ network: UInt32, _ bits: Int) {
        self.network = network
        self.bits = bits
    }

    func contains(_ address: UInt32) -> Bool {
        address >> (32 - bits) == network >> (32 - bits)
    }
}
