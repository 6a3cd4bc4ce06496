import Testing
@testable import FluxerAPI
@testable import FluxerApp
import FluxerDomain

/// One User-Agent and what it should parse to (with `isDesktopApp == false`).
struct UACase: Sendable, CustomTestStringConvertible {
    let name: String
    let userAgent: String
    let os: String
    let browser: String?
    let device: String

    var testDescription: String { name }

    var expected: ClientInfo {
        ClientInfo(os: os, browser: browser, device: device, platform: browser ?? "Unknown")
    }
}

@Suite struct ClientInfoTests {
    static let browsers: [UACase] = [
        UACase(name: "Chrome on Windows",
               userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
               os: "Windows", browser: "Chrome", device: "Desktop"),
        UACase(name: "Chrome on macOS",
               userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
               os: "macOS", browser: "Chrome", device: "Desktop"),
        UACase(name: "Chrome on Linux",
               userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
               os: "Linux", browser: "Chrome", device: "Desktop"),
        UACase(name: "Chrome on ChromeOS",
               userAgent: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
               os: "ChromeOS", browser: "Chrome", device: "Desktop"),
        UACase(name: "Chrome on an Android phone",
               userAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
               os: "Android", browser: "Chrome", device: "Mobile"),
        UACase(name: "Chrome on an Android tablet",
               userAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
               os: "Android", browser: "Chrome", device: "Tablet"),
        UACase(name: "Chrome on iPhone (CriOS)",
               userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
               os: "iOS", browser: "Chrome", device: "Mobile"),
        UACase(name: "Firefox on Windows",
               userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
               os: "Windows", browser: "Firefox", device: "Desktop"),
        UACase(name: "Firefox on Linux",
               userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
               os: "Linux", browser: "Firefox", device: "Desktop"),
        UACase(name: "Firefox on Ubuntu",
               userAgent: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
               os: "Linux", browser: "Firefox", device: "Desktop"),
        UACase(name: "Firefox on macOS",
               userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0",
               os: "macOS", browser: "Firefox", device: "Desktop"),
        UACase(name: "Firefox on iPhone (FxiOS)",
               userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
               os: "iOS", browser: "Firefox", device: "Mobile"),
        UACase(name: "Firefox on an Android phone",
               userAgent: "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
               os: "Android", browser: "Firefox", device: "Mobile"),
        UACase(name: "Safari on macOS",
               userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
               os: "macOS", browser: "Safari", device: "Desktop"),
        UACase(name: "Safari on iPhone",
               userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
               os: "iOS", browser: "Safari", device: "Mobile"),
        UACase(name: "Safari on iPad",
               userAgent: "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
               os: "iOS", browser: "Safari", device: "Tablet"),
        UACase(name: "Edge on Windows (Edg/)",
               userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
               os: "Windows", browser: "Edge", device: "Desktop"),
        UACase(name: "Edge on Android (EdgA/)",
               userAgent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
               os: "Android", browser: "Edge", device: "Mobile"),
        UACase(name: "Edge on iPhone (EdgiOS/)",
               userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.71 Mobile/15E148 Safari/605.1.15",
               os: "iOS", browser: "Edge", device: "Mobile"),
        UACase(name: "legacy EdgeHTML (Edge/)",
               userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
               os: "Windows", browser: "Edge", device: "Desktop"),
        UACase(name: "Opera on Windows (OPR/)",
               userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
               os: "Windows", browser: "Opera", device: "Desktop"),
        UACase(name: "Chrome on an Android phone made by CUBOT is not a bot",
               userAgent: "Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
               os: "Android", browser: "Chrome", device: "Mobile"),
        UACase(name: "matching is case-insensitive",
               userAgent: "MOZILLA/5.0 (WINDOWS NT 10.0; WIN64; X64) APPLEWEBKIT/537.36 (KHTML, LIKE GECKO) CHROME/124.0.0.0 SAFARI/537.36",
               os: "Windows", browser: "Chrome", device: "Desktop"),
    ]

    static let automated: [UACase] = [
        UACase(name: "curl", userAgent: "curl/8.5.0", os: "Unknown", browser: "curl", device: "Bot"),
        UACase(name: "curl, upper case", userAgent: "CURL/8.5.0", os: "Unknown", browser: "curl", device: "Bot"),
        UACase(name: "python-requests", userAgent: "python-requests/2.31.0", os: "Unknown", browser: "python-requests", device: "Bot"),
        UACase(name: "Go-http-client/1.1", userAgent: "Go-http-client/1.1", os: "Unknown", browser: "Go-http-client", device: "Bot"),
        UACase(name: "Go-http-client/2.0", userAgent: "Go-http-client/2.0", os: "Unknown", browser: "Go-http-client", device: "Bot"),
        UACase(name: "okhttp", userAgent: "okhttp/4.12.0", os: "Unknown", browser: "okhttp", device: "Bot"),
        UACase(name: "Wget", userAgent: "Wget/1.21.4", os: "Unknown", browser: "Wget", device: "Bot"),
        UACase(name: "Postman", userAgent: "PostmanRuntime/7.37.3", os: "Unknown", browser: "PostmanRuntime", device: "Bot"),
        UACase(name: "node-fetch",
               userAgent: "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
               os: "Unknown", browser: "node-fetch", device: "Bot"),
        UACase(name: "undici", userAgent: "undici", os: "Unknown", browser: "undici", device: "Bot"),
        UACase(name: "Node's built-in fetch", userAgent: "node", os: "Unknown", browser: "undici", device: "Bot"),
        UACase(name: "axios", userAgent: "axios/1.6.8", os: "Unknown", browser: "axios", device: "Bot"),
        UACase(name: "Googlebot",
               userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               os: "Unknown", browser: nil, device: "Bot"),
        UACase(name: "Googlebot smartphone",
               userAgent: "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
               os: "Android", browser: "Chrome", device: "Bot"),
        UACase(name: "bingbot",
               userAgent: "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
               os: "Unknown", browser: nil, device: "Bot"),
        UACase(name: "Baiduspider",
               userAgent: "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
               os: "Unknown", browser: nil, device: "Bot"),
        UACase(name: "a generic crawler", userAgent: "ExampleCrawler/1.0", os: "Unknown", browser: nil, device: "Bot"),
    ]

    @Test(arguments: browsers)
    func browser(_ testCase: UACase) {
        #expect(ClientInfo.parse(userAgent: testCase.userAgent, isDesktopApp: false) == testCase.expected)
    }

    @Test(arguments: automated)
    func automatedClient(_ testCase: UACase) {
        #expect(ClientInfo.parse(userAgent: testCase.userAgent, isDesktopApp: false) == testCase.expected)
    }

    static let unknown = ClientInfo(os: "Unknown", browser: nil, device: "Desktop", platform: "Unknown")

    @Test func missingUserAgent_isUnknownDesktop() {
        #expect(ClientInfo.parse(userAgent: nil, isDesktopApp: false) == Self.unknown)
    }

    @Test func emptyUserAgent_isUnknownDesktop() {
        #expect(ClientInfo.parse(userAgent: "", isDesktopApp: false) == Self.unknown)
        #expect(ClientInfo.parse(userAgent: "   ", isDesktopApp: false) == Self.unknown)
    }

    @Test func unrecognisedUserAgent_isUnknownDesktop() {
        #expect(ClientInfo.parse(userAgent: "Mozilla/5.0", isDesktopApp: false) == Self.unknown)
        // "Microsoft" contains "cros" but is not ChromeOS.
        #expect(ClientInfo.parse(userAgent: "Microsoft BITS/7.8", isDesktopApp: false) == Self.unknown)
    }

    static let electronUserAgents: [(String, String)] = [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) fluxer_desktop/0.0.8 Chrome/138.0.7204.251 Electron/37.3.1 Safari/537.36", "Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) fluxer_desktop/0.0.8 Chrome/138.0.7204.251 Electron/37.3.1 Safari/537.36", "macOS"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) fluxer_desktop/0.0.8 Chrome/138.0.7204.251 Electron/37.3.1 Safari/537.36", "Linux"),
    ]

    @Test(arguments: electronUserAgents)
    func desktopApp_isFluxerDesktop_withOSStillParsed(userAgent: String, os: String) {
        let info = ClientInfo.parse(userAgent: userAgent, isDesktopApp: true)
        #expect(info == ClientInfo(os: os, browser: "Chrome", device: "Desktop", platform: "Fluxer Desktop"))
        // The same UA without the X-Fluxer-Platform header is just Chrome.
        #expect(ClientInfo.parse(userAgent: userAgent, isDesktopApp: false).platform == "Chrome")
    }

    @Test func desktopApp_withoutUserAgent() {
        #expect(ClientInfo.parse(userAgent: nil, isDesktopApp: true)
            == ClientInfo(os: "Unknown", browser: nil, device: "Desktop", platform: "Fluxer Desktop"))
    }

    @Test func tenKilobytesOfGarbage_doesNotCrash() {
        var generator = SplitMix64(seed: 0xF1_0CE5)
        let bytes = (0..<10_240).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let info = ClientInfo.parse(userAgent: String(decoding: bytes, as: UTF8.self), isDesktopApp: false)
        #expect(["Desktop", "Mobile", "Tablet", "Bot"].contains(info.device))
        #expect(info.platform == info.browser ?? "Unknown")

        let letters = String(repeating: "x", count: 10_240)
        #expect(ClientInfo.parse(userAgent: letters, isDesktopApp: false) == Self.unknown)
    }

    @Test func invalidUTF8_doesNotCrash() {
        let invalid: [UInt8] = [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0xE2, 0x82, 0x00]
        #expect(ClientInfo.parse(userAgent: String(decoding: invalid, as: UTF8.self), isDesktopApp: false) == Self.unknown)

        // Tokens around invalid sequences are still found.
        let mixed = Array("curl/".utf8) + [0xFF, 0xC3] + Array("8.5.0".utf8)
        #expect(ClientInfo.parse(userAgent: String(decoding: mixed, as: UTF8.self), isDesktopApp: false)
            == ClientInfo(os: "Unknown", browser: "curl", device: "Bot", platform: "curl"))
    }

    @Test func everySingleByte_doesNotCrash() {
        for byte in UInt8.min...UInt8.max {
            _ = ClientInfo.parse(userAgent: String(decoding: [byte], as: UTF8.self), isDesktopApp: false)
        }
    }

    @Test func onlyTheFirst512BytesAreParsed() {
        #expect(ClientInfo.maxParsedBytes == 512)
        let token = "Firefox/"  // The token must end at or before byte 512 to count.
        let inside = String(repeating: "a", count: 512 - token.utf8.count) + token + "125.0"
        #expect(ClientInfo.parse(userAgent: inside, isDesktopApp: false).browser == "Firefox")
        let outside = String(repeating: "a", count: 512 - token.utf8.count + 1) + token + "125.0"
        #expect(ClientInfo.parse(userAgent: outside, isDesktopApp: false).browser == nil)
        // The cut may fall inside a multi-byte character.
        let cutInsideScalar = String(repeating: "a", count: 511) + "é curl/8.5.0"
        #expect(ClientInfo.parse(userAgent: cutInsideScalar, isDesktopApp: false) == Self.unknown)
    }
}

/// A tiny deterministic generator so the garbage test is reproducible.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
