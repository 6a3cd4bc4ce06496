/// Where a session was created from, parsed from its User-Agent (and the X-Fluxer-Platform header).
///
/// This is a deliberately small, Bowser-like classifier: it looks for well-known ASCII
/// substrings (case-insensitively) in at most the first ``ClientInfo/maxParsedBytes`` bytes
/// of the header. It never fails and never crashes, whatever the input bytes are; an unknown or
/// missing User-Agent yields os "Unknown", no browser, device "Desktop" and platform "Unknown".
public struct ClientInfo: Sendable, Equatable {
    /// The operating system: "Windows", "macOS", "Linux", "Android", "iOS" (iPhone, iPod and iPad),
    /// "ChromeOS" or "Unknown".
    public var os: String
    /// The browser or HTTP client: "Chrome", "Firefox", "Safari", "Edge", "Opera", "curl", a known
    /// HTTP library's name (e.g. "python-requests"), or nil when unknown.
    public var browser: String?
    /// The kind of device: "Desktop", "Mobile", "Tablet" or "Bot" (crawlers, curl and HTTP libraries).
    public var device: String
    /// What the sessions list shows as the client: "Fluxer Desktop" for the desktop app,
    /// otherwise the browser name, or "Unknown".
    public var platform: String

    /// How many bytes of the User-Agent are looked at; the rest is ignored, keeping parsing bounded.
    public static let maxParsedBytes = 512

    /// Creates a client description from already-known values (e.g. read back from storage).
    public init(os: String, browser: String?, device: String, platform: String) {
        self.os = os
        self.browser = browser
        self.device = device
        self.platform = platform
    }

    /// Parses a User-Agent header.
    /// - Parameters:
    ///   - userAgent: The raw User-Agent header value, or nil when the request had none.
    ///   - isDesktopApp: True when the request carried `X-Fluxer-Platform: desktop`; the platform is
    ///     then "Fluxer Desktop" while the OS, browser and device are still parsed from the User-Agent.
    /// - Returns: The parsed client description; never fails.
    public static func parse(userAgent: String?, isDesktopApp: Bool) -> ClientInfo {
        let ua = LowercasedASCII(userAgent ?? "", limit: maxParsedBytes)
        let os = detectOS(ua)
        let browser = detectBrowser(ua)
        let device = detectDevice(ua, isAutomated: browser.isAutomated)
        let platform = isDesktopApp ? "Fluxer Desktop" : (browser.name ?? "Unknown")
        return ClientInfo(os: os, browser: browser.name, device: device, platform: platform)
    }

    // MARK: - Rules

    private static func detectOS(_ ua: LowercasedASCII) -> String {
        if ua.contains("windows nt") { return "Windows" }
        if ua.contains("android") { return "Android" }  // Android UAs also say "Linux".
        if ua.contains("iphone") || ua.contains("ipod") || ua.contains("ipad") { return "iOS" }  // Also say "Mac OS X".
        if ua.contains("macintosh") || ua.contains("mac os x") { return "macOS" }
        if ua.containsWord("cros ") { return "ChromeOS" }  // A word, so "Microsoft" does not match.
        if ua.contains("linux") { return "Linux" }
        return "Unknown"
    }

    /// HTTP libraries and tools: (lowercased substring, reported name). Their device is "Bot".
    private static let automatedClients: [(token: String, name: String)] = [
        ("curl/", "curl"),
        ("python-requests", "python-requests"),
        ("go-http-client", "Go-http-client"),
        ("okhttp", "okhttp"),
        ("wget/", "Wget"),
        ("postmanruntime", "PostmanRuntime"),
        ("node-fetch", "node-fetch"),
        ("undici", "undici"),
        ("axios/", "axios"),
    ]

    private static func detectBrowser(_ ua: LowercasedASCII) -> (name: String?, isAutomated: Bool) {
        // Order matters: Edge and Opera also say "Chrome/"; Chrome also says "Safari/".
        if ua.contains("edg/") || ua.contains("edge/") || ua.contains("edga/") || ua.contains("edgios/") {
            return ("Edge", false)
        }
        if ua.contains("opr/") || ua.contains("opios/") || ua.contains("opera/") || ua.contains("opera mini") {
            return ("Opera", false)
        }
        if ua.contains("chrome/") || ua.contains("crios/") { return ("Chrome", false) }
        if ua.contains("firefox/") || ua.contains("fxios/") { return ("Firefox", false) }
        if ua.contains("safari/") && ua.contains("version/") { return ("Safari", false) }
        for client in automatedClients where ua.contains(client.token) {
            return (client.name, true)
        }
        if ua.equals("node") { return ("undici", true) }  // Node's built-in fetch.
        return (nil, false)
    }

    private static func detectDevice(_ ua: LowercasedASCII, isAutomated: Bool) -> String {
        if isAutomated || isCrawler(ua) { return "Bot" }
        if ua.contains("ipad") { return "Tablet" }
        if ua.contains("android") && !ua.contains("mobile") { return "Tablet" }
        if ua.contains("iphone") || ua.contains("ipod") || ua.contains("mobile") { return "Mobile" }
        return "Desktop"
    }

    private static func isCrawler(_ ua: LowercasedASCII) -> Bool {
        // "bot" but not the Android phone brand "CUBOT".
        ua.contains("bot", unlessPrecededBy: "cu") || ua.contains("spider") || ua.contains("crawl")
    }
}

/// The first `limit` UTF-8 bytes of a string with ASCII letters lowercased; other bytes are kept
/// as they are (a cut multi-byte sequence is harmless since every token searched for is ASCII).
private struct LowercasedASCII {
    let bytes: [UInt8]

    init(_ string: String, limit: Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, string.utf8.count))
        for byte in string.utf8.prefix(limit) {
            bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        self.bytes = bytes
    }

    /// Whether the whole (truncated) input is `token` (lowercase ASCII).
    func equals(_ token: String) -> Bool {
        bytes.elementsEqual(token.utf8)
    }

    /// Whether `token` (lowercase ASCII) occurs anywhere.
    func contains(_ token: String) -> Bool {
        firstMatch(Array(token.utf8)) { _ in true }
    }

    /// Whether `token` occurs where the byte before it (if any) is not an ASCII letter.
    func containsWord(_ token: String) -> Bool {
        firstMatch(Array(token.utf8)) { start in
            guard start > 0 else { return true }
            let previous = bytes[start - 1]
            return !(previous >= 0x61 && previous <= 0x7A)
        }
    }

    /// Whether `token` occurs somewhere not immediately preceded by `prefix` (both lowercase ASCII).
    func contains(_ token: String, unlessPrecededBy prefix: String) -> Bool {
        let prefixBytes = Array(prefix.utf8)
        return firstMatch(Array(token.utf8)) { start in
            guard start >= prefixBytes.count else { return true }
            return !bytes[(start - prefixBytes.count)..<start].elementsEqual(prefixBytes)
        }
    }

    /// Naive search; inputs are at most ``ClientInfo/maxParsedBytes`` long and tokens are short.
    private func firstMatch(_ needle: [UInt8], accept: (Int) -> Bool) -> Bool {
        guard !needle.isEmpty, needle.count <= bytes.count else { return false }
        var start = 0
        while start <= bytes.count - needle.count {
            var index = 0
            while index < needle.count && bytes[start + index] == needle[index] { index += 1 }
            if index == needle.count && accept(start) { return true }
            start += 1
        }
        return false
    }
}
