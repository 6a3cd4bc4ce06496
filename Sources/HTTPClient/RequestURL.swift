#if canImport(Glibc)
import Glibc
#endif

/// An absolute `http` or `https` URL, checked strictly before libcurl sees it (RFC 3986 §3, RFC 9110 §4.2).
///
/// Strict on purpose: whatever this parser accepts, libcurl must read the same way, or a host check done here
/// would be about a different host than the one connected to (the "URL parser differential" behind many SSRF
/// bugs). So: no userinfo, no percent-encoded or non-ASCII host, no IPv6 zone, no shorthand IPv4 (`127.1`,
/// `0x7f.0.0.1`, `2130706433`), no trailing dot, and only RFC 3986 characters after the authority.
struct RequestURL: Equatable {
    /// Whether the scheme is `https`.
    let isTLS: Bool
    /// The host, lowercased, IPv6 without brackets.
    let host: String
    /// The port given in the URL, if any.
    let port: UInt16?

    /// The longest URL accepted. RFC 9110 §4.1 asks for at least 8000 octets; nothing we call needs more.
    static let maxBytes = 8192
    /// RFC 1035 §2.3.4: 253 octets for a name (without the final dot), 63 per label.
    static let maxHostBytes = 253
    static let maxLabelBytes = 63

    /// Why a string is not accepted.
    enum Refusal: Error, Equatable {
        /// Not an absolute URL this parser accepts.
        case invalid
        /// An absolute URL with a scheme other than http and https.
        case scheme
    }

    /// Parses `text`.
    static func parse(_ text: String) -> Result<RequestURL, Refusal> {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return .failure(.invalid) }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              isScheme(bytes[..<colon]) else { return .failure(.invalid) }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        guard scheme == "http" || scheme == "https" else { return .failure(.scheme) }
        // RFC 3986 §3: "//" authority; a relative or opaque form (`http:x`) is refused.
        let slashes = colon + 1
        guard bytes.count >= slashes + 2, bytes[slashes] == UInt8(ascii: "/"), bytes[slashes + 1] == UInt8(ascii: "/")
        else { return .failure(.invalid) }
        let authorityStart = slashes + 2
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
        } ?? bytes.endIndex
        guard let (host, port) = parseAuthority(bytes[authorityStart..<authorityEnd]),
              isValidRemainder(bytes[authorityEnd...]) else { return .failure(.invalid) }
        return .success(RequestURL(isTLS: scheme == "https", host: host, port: port))
    }

    /// RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    private static func isScheme(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, isAlpha(first) else { return false }
        return bytes.allSatisfy { isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// RFC 3986 §3.2: host [ ":" port ], userinfo refused.
    private static func parseAuthority(_ bytes: ArraySlice<UInt8>) -> (String, UInt16?)? {
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: "@")) else { return nil }
        let host: String
        var rest: ArraySlice<UInt8>
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            let literal = bytes[(bytes.startIndex + 1)..<close]
            guard let v6 = parseIPv6(literal) else { return nil }
            host = v6
            rest = bytes[(close + 1)...]
        } else {
            let end = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            guard let name = parseName(bytes[..<end]) else { return nil }
            host = name
            rest = bytes[end...]
        }
        guard !rest.isEmpty else { return (host, nil) }
        guard rest.first == UInt8(ascii: ":") else { return nil }
        rest = rest.dropFirst()
        // RFC 3986 §3.2.3 allows an empty port and leading zeros; neither is needed, so neither is accepted.
        guard (1...5).contains(rest.count), rest.allSatisfy(isDigit), rest.first != UInt8(ascii: "0"),
              let port = UInt16(String(decoding: rest, as: UTF8.self)) else { return nil }
        return (host, port)
    }

    /// An IPv6 literal (RFC 3986 §3.2.2 `IPv6address`), checked with inet_pton; zones and IPvFuture refused.
    private static func parseIPv6(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.isEmpty, bytes.count <= 45,
              bytes.allSatisfy({ isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return text
    }

    /// A DNS name (letters, digits, `-`, `_`, dot-separated labels) or a dotted-quad IPv4 address.
    private static func parseName(_ bytes: ArraySlice<UInt8>) -> String? {
        guard !bytes.isEmpty, bytes.count <= maxHostBytes else { return nil }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.count <= maxLabelBytes,
                  label.allSatisfy({ isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return nil }
        }
        let text = String(decoding: bytes, as: UTF8.self).lowercased()
        // WHATWG URL §3.5 (and inet_aton, which getaddrinfo uses) read a name whose last label is numeric as an
        // IPv4 address in shorthand, octal or hex. Only the canonical dotted quad is accepted.
        if let last = labels.last, last.allSatisfy(isDigit) || isHexNumber(last) {
            return isCanonicalIPv4(labels) ? text : nil
        }
        return text
    }

    private static func isHexNumber(_ label: ArraySlice<UInt8>) -> Bool {
        label.count >= 2 && label.first == UInt8(ascii: "0") && (label.dropFirst().first.map { $0 | 0x20 } == UInt8(ascii: "x"))
            && label.dropFirst(2).allSatisfy(isHex)
    }

    /// Four decimal parts 0–255 with no leading zeros (a leading zero means octal to inet_aton).
    private static func isCanonicalIPv4(_ labels: [ArraySlice<UInt8>]) -> Bool {
        labels.count == 4 && labels.allSatisfy { part in
            part.count <= 3 && part.allSatisfy(isDigit) && (part.count == 1 || part.first != UInt8(ascii: "0"))
                && Int(String(decoding: part, as: UTF8.self)).map { $0 <= 255 } == true
        }
    }

    /// RFC 3986 §3.3–3.5: path-abempty [ "?" query ] [ "#" fragment ], percent-encodings well formed.
    private static func isValidRemainder(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        var seenFragment = false
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            if byte == UInt8(ascii: "#") {
                guard !seenFragment else { return false }
                seenFragment = true
            } else if !isPathCharacter(byte) && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "?") {
                return false
            }
            index += 1
        }
        return true
    }

    /// RFC 3986 §3.3 `pchar` without pct-encoded: unreserved / sub-delims / ":" / "@".
    private static func isPathCharacter(_ byte: UInt8) -> Bool {
        if isAlpha(byte) || isDigit(byte) { return true }
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }

    private static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private static func isHex(_ b: UInt8) -> Bool {
        isDigit(b) || ((b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "f"))
    }
}
