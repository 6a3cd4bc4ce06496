import Foundation
import Glibc
import Testing
@testable import FluxerAPI
@testable import FluxerApp
@testable import HTTPServer

/// `log.format` / `--log-format`: logfmt text or one JSON object per line with the same fields, both with the
/// same redaction (no query string, header value, token or code), and JSON strings escaped for anything.
@Suite struct LogFormatTests {
    static func object(_ line: some StringProtocol) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }

    /// The keys of a flat JSON object in the order they appear (JSONSerialization forgets it).
    static func keys(_ line: String) -> [String] {
        line.matches(of: #/[{,]"([a-z_]+)":/#).map { String($0.1) }
    }

    // MARK: - Escaping

    @Test(arguments: [
        "plain", "", "quote \" and backslash \\", "new\nline\r\ttab", "nul \u{0}, bell \u{7}, esc \u{1B}, del \u{7F}",
        "c1 \u{85} \u{9F}", "separators \u{2028} \u{2029}", "unicode é 中 🎉", "</script><script>",
        String(decoding: [0x61, 0xFF, 0xFE, 0x62, 0xC3], as: UTF8.self),  // not UTF-8: replaced by U+FFFD when decoded
    ])
    func jsonString_roundTripsAndEscapesEveryControl(value: String) throws {
        let literal = JSONLog.string(value)
        // Valid UTF-8, and a JSON parser gives the value back.
        #expect(String(validating: Array(literal.utf8), as: UTF8.self) != nil)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8), options: []) as? [String])
        #expect(parsed == [value])
        // No raw control character, DEL, C1 control or line separator is left in the line.
        #expect(!literal.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 })
    }

    @Test func jsonString_exactEscapes() {
        #expect(JSONLog.string("a\"b\\c\nd\re\tf\u{1}g\u{7F}h\u{2028}") == #""a\"b\\c\nd\re\tf\u0001g\u007fh\u2028""#)
        #expect(JSONLog.string("ok-ascii_1.2") == #""ok-ascii_1.2""#)
        #expect(JSONLog.string("\u{FFFD}") == "\"\u{FFFD}\"")
    }

    // MARK: - Lines

    @Test func accessLine_json_hasTheLogfmtFieldsInOrder() throws {
        let record = RequestLogRecord(method: "GET", route: "/users/@me", status: 401, durationNanoseconds: 1_234_567,
                                      requestID: "1a2b", remoteAddress: "127.0.0.1", unexpectedError: nil)
        var out: [UInt8] = []
        AccessLog.appendJSON(record, to: &out)
        let line = String(decoding: out, as: UTF8.self)
        #expect(Self.keys(line) == ["time", "level", "msg", "method", "route", "status", "duration_ms", "request_id", "remote"])
        let object = try #require(Self.object(line))
        #expect(object["level"] as? String == "info")
        #expect(object["msg"] as? String == "request")
        #expect(object["method"] as? String == "GET")
        #expect(object["route"] as? String == "/users/@me")
        #expect(object["status"] as? Int == 401)
        #expect(object["duration_ms"] as? Double == 1.234)
        #expect(object["request_id"] as? String == "1a2b")
        #expect(object["remote"] as? String == "127.0.0.1")
        #expect((object["time"] as? String)?.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/#) != nil)
        // The same fields as the logfmt line, value for value (time aside).
        let text = String(decoding: AccessLog.line(record), as: UTF8.self)
        let pairs = text.split(separator: " ").dropFirst().map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        #expect(pairs.map { $0[0] } == Array(Self.keys(line).dropFirst()))

        var odd = RequestLogRecord(method: "-", route: "a b=\"c\"\n", status: 500, durationNanoseconds: 5_000,
                                   requestID: "", remoteAddress: "::1", unexpectedError: CancellationError())
        out = []
        AccessLog.append(odd, format: .json, to: &out)
        let oddObject = try #require(Self.object(String(decoding: out, as: UTF8.self)))
        #expect(oddObject["route"] as? String == "a b=\"c\"\n")
        #expect(oddObject["duration_ms"] as? Double == 0.005)
        #expect(oddObject["error"] as? String == "CancellationError")
        odd.unexpectedError = nil
        out = []
        AccessLog.append(odd, format: .text, to: &out)
        #expect(String(decoding: out, as: UTF8.self).contains("status=500"))
    }

    @Test func applicationLine_json_sortsMetadataAndEscapes() throws {
        let bytes = JSONLogLine.line(time: "2026-12-06T10:00:00.000Z", level: "error", message: "bad \"thing\"\n",
                                        metadata: ["zeta": "1", "alpha": "x\u{1}y", "route": "/a"])
        let line = String(decoding: bytes, as: UTF8.self)
        #expect(line == #"{"time":"2026-12-06T10:00:00.000Z","level":"error","msg":"bad \"thing\"\n","alpha":"x\u0001y","route":"/a","zeta":"1"}"#)
        #expect(Self.object(line)?["alpha"] as? String == "x\u{1}y")
    }

    // MARK: - Configuration

    @Test func config_logFormat_fromFileEnvironmentAndFlag_andUnknownIsRefused() throws {
        #expect(try ConfigLoader.load(file: nil, environment: [:]).logFormat == .text)
        #expect(try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_LOG_FORMAT": "json"]).logFormat == .json)
        #expect(try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_LOG_FORMAT": "json"], flags: ["log.format": "text"]).logFormat == .text)
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("c.toml", "[log]\nformat = \"json\"\n")
        #expect(try ConfigLoader.load(file: dir.file("c.toml"), environment: [:]).logFormat == .json)
        for bad in ["xml", "JSON", "", "text "] {
            let error = #expect(throws: ConfigError.self) {
                try ConfigLoader.load(file: nil, environment: ["FLUXER_AUTH_LOG_FORMAT": bad])
            }
            #expect(error?.key == "log.format")
            #expect(error?.description.contains("\n") == false)
            #expect(error?.description.contains("text or json") == true)
        }
        dir.write("bad.toml", "[log]\nformat = \"yaml\"\n")
        let error = #expect(throws: ConfigError.self) { try ConfigLoader.load(file: dir.file("bad.toml"), environment: [:]) }
        #expect(error?.key == "log.format")
    }

    // MARK: - Over a real socket

    @Test func jsonFormat_accessAndApplicationLines_areObjects_withoutSecrets() throws {
        let running = try RunningApp { $0.logFormat = .json }
        defer { running.stop() }
        let secret = "flx_SECRETsecretSECRETsecret"
        _ = TestClient.request(port: running.port, "GET", "/healthz?token=\(secret)&code=abc123",
                               headers: [("Authorization", "Bearer \(secret)")])
        _ = TestClient.request(port: running.port, "GET", "/no-such-route?client_secret=\(secret)")
        let log = running.log()
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(Self.object(line) != nil, "not one JSON object: \(line)")
        }
        let requests = lines.compactMap { Self.object($0) }.filter { $0["msg"] as? String == "request" }
        #expect(requests.count == 2)
        #expect(requests.first?["route"] as? String == "/healthz")
        #expect(requests.first?["status"] as? Int == 200)
        #expect(requests.last?["route"] as? String == "-")
        #expect(requests.last?["status"] as? Int == 404)
        #expect(lines.contains { Self.object($0)?["msg"] as? String == "listening" })
        #expect(!log.contains(secret))
        #expect(!log.contains("abc123"))
        #expect(!log.contains("token="))
    }

    @Test func textFormat_staysLogfmt() throws {
        let running = try RunningApp()
        defer { running.stop() }
        _ = TestClient.request(port: running.port, "GET", "/healthz")
        let lines = running.log().split(separator: "\n")
        #expect(lines.contains { $0.contains("msg=request") && $0.contains("route=/healthz") })
        #expect(!lines.contains { $0.hasPrefix("{") })
    }
}
