internal import CFluxerShim

/// A validated libpq connection URI, `postgresql://user:password@host:5432/db?sslmode=verify-full`
/// (libpq docs §34.1.1.2 "Connection URIs").
///
/// Validation happens once, here, before any connection is tried, so a configuration error is reported at start
/// with a clear reason. No error text and no `description` ever holds the password: `description` prints
/// `postgresql://user@host:port/db` and leaves out the query (which may carry `password=`).
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// libpq keyword/value pairs parsed from the URI (only those it sets; libpq docs §34.1.2).
    let parameters: [(keyword: String, value: String)]
    /// Texts to cut out of libpq's connection error messages: the password, decoded and as written.
    let secrets: [String]

    /// The user name, if the URI names one.
    public let user: String?
    /// The host (or comma-separated hosts, or a socket directory), if the URI names one.
    public let host: String?
    /// The port (or comma-separated ports), if the URI names one.
    public let port: String?
    /// The database name, if the URI names one.
    public let database: String?
    /// The `sslmode`, if the URI names one.
    public let sslMode: String?

    /// The `sslmode` values libpq knows (libpq docs §34.19.2, Table 34.1).
    static let sslModes: Set<String> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// Validates `string` as a libpq URI.
    ///
    /// - Throws: `PostgresError` of kind `.invalidURL`, naming what is wrong but never quoting the URI.
    public init(_ string: String) throws(PostgresError) {
        guard string.hasPrefix("postgresql://") || string.hasPrefix("postgres://") else {
            throw .invalidURL("must start with postgresql:// or postgres://")
        }
        guard !string.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) else {
            throw .invalidURL("contains spaces or control characters; percent-encode them")
        }
        try Self.checkPercentEncoding(string)
        let parsed = try Self.parse(string)
        let options = Dictionary(parsed.map { ($0.keyword, $0.value) }, uniquingKeysWith: { _, last in last })
        if let port = options["port"] {
            for one in port.split(separator: ",", omittingEmptySubsequences: false) where !one.isEmpty {
                guard let number = Int(one), (1...65535).contains(number), one.utf8.allSatisfy(Self.isDigit) else {
                    throw .invalidURL("port must be a number from 1 to 65535")
                }
            }
        }
        if let mode = options["sslmode"], !Self.sslModes.contains(mode) {
            throw .invalidURL("sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full")
        }
        if let timeout = options["connect_timeout"] {
            guard let seconds = Int(timeout), seconds >= 0, timeout.utf8.allSatisfy(Self.isDigit) else {
                throw .invalidURL("connect_timeout must be a whole number of seconds")
            }
        }
        var secrets: [String] = []
        if let password = options["password"], !password.isEmpty {
            secrets.append(password)
            if let raw = Self.rawPassword(string), raw != password { secrets.append(raw) }
        }
        self.parameters = parsed
        self.secrets = secrets
        self.user = options["user"]
        self.host = options["host"] ?? options["hostaddr"]
        self.port = options["port"]
        self.database = options["dbname"]
        self.sslMode = options["sslmode"]
    }

    /// `postgresql://user@host:port/db`, without the password and the query.
    public var description: String {
        var text = "postgresql://"
        if let user { text += user + "@" }
        text += host ?? ""
        if let port { text += ":" + port }
        text += "/" + (database ?? "")
        if let sslMode { text += "?sslmode=" + sslMode }
        return text
    }

    /// Compares the parsed parameters.
    public static func == (lhs: PostgresURL, rhs: PostgresURL) -> Bool {
        lhs.parameters.elementsEqual(rhs.parameters) { $0.keyword == $1.keyword && $0.value == $1.value }
    }

    /// Cuts every secret out of a libpq message and joins it into one line.
    func redact(_ message: String) -> String {
        var text = message
        for secret in secrets where !secret.isEmpty {
            text = text.replacing(secret, with: "***")
        }
        return PostgresError.oneLine(text)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// libpq refuses a `%` not followed by two hex digits, and `%00` (libpq docs §34.1.1.2); say so plainly.
    private static func checkPercentEncoding(_ string: String) throws(PostgresError) {
        let bytes = Array(string.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25 {
                guard i + 2 < bytes.count, isHex(bytes[i + 1]), isHex(bytes[i + 2]) else {
                    throw .invalidURL("a % must be followed by two hex digits")
                }
                guard !(bytes[i + 1] == 0x30 && bytes[i + 2] == 0x30) else {
                    throw .invalidURL("%00 is not allowed")
                }
                i += 3
            } else {
                i += 1
            }
        }
    }

    /// The password as written between `user:` and `@`, for redaction only (libpq stops at the first `/`; so
    /// do we).
    private static func rawPassword(_ string: String) -> String? {
        guard let schemeEnd = string.firstRange(of: "://") else { return nil }
        let rest = string[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        let raw = userInfo[userInfo.index(after: colon)...]
        return raw.isEmpty ? nil : String(raw)
    }

    /// `PQconninfoParse` (libpq docs §34.1): only the options the string sets carry a value. Its error message is
    /// not passed on, because it may quote part of the URI.
    private static func parse(_ string: String) throws(PostgresError) -> [(keyword: String, value: String)] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(string, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw .invalidURL(
                "libpq cannot parse it: check the host, the port, the query parameter names, and that special "
                    + "characters in the user name and password are percent-encoded")
        }
        defer { PQconninfoFree(options) }
        var pairs: [(keyword: String, value: String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                pairs.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        return pairs
    }
}
