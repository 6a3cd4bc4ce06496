import Foundation
import FluxerCrypto
import FluxerJSON
import HTTPServer
import Testing
@testable import FluxerAPI
@testable import FluxerApp

/// Issue 15: our OpenAPI document (openapi/fluxer-auth.json, written by openapi/build.py) against the routes the
/// server registers, the reference it copies, what the server serves at /openapi.json and /docs, and the README.
@Suite struct OpenAPIDocumentTests {
    /// Fluxer operations the document describes that this branch does not serve yet: each is being implemented on
    /// another branch and lands in the same release. Remove an entry when its route is registered (the coverage
    /// test fails while a registered operation is still listed here, and while a listed one is not in the document).
    static let pendingReferenceOperations: Set<String> = []

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let methods = ["get", "put", "post", "patch", "delete"]

    static func read(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: repository.appendingPathComponent(relativePath)))
    }

    static func document() throws -> JSONValue { try #require(OpenAPIDocument.embedded, "the embedded document does not parse") }

    /// `"METHOD /path/{param}"` → operation, for every operation of a document.
    static func operations(_ document: JSONValue) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (path, item) in document["paths"]?.objectMembers ?? [] {
            for (method, op) in item.objectMembers where methods.contains(method) { out["\(method.uppercased()) \(path)"] = op }
        }
        return out
    }

    /// The router's routes in the document's notation (`:id` → `{id}`).
    static func registered(_ router: Router) -> Set<String> {
        Set(router.routes.map { route in
            let path = route.pattern.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) \(path)"
        })
    }

    static func isDevOnly(_ op: JSONValue) -> Bool { op["x-fluxer-auth-dev-only"]?.boolValue == true }

    // MARK: - The document

    @Test func embeddedDocument_isTheCommittedFile() throws {
        let committed = try JSONValue.parse(try Self.read("openapi/fluxer-auth.json"))
        #expect(try Self.document() == committed)
        #expect(try Self.document()["openapi"] == "3.1.0")
        #expect(try Self.document()["info"]?["version"]?.stringValue == FluxerAuthVersion.string)
    }

    @Test func committedDocument_isWhatTheBuildScriptWrites() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository.appendingPathComponent("openapi/build.py").path, "--check"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(message)")
    }

    @Test func referenceOperations_areCopiedUnchanged_withTheirSchemas() throws {
        let reference = try JSONValue.parse(try Self.read("openapi/reference/fluxer-openapi-auth.json"))
        let ours = try Self.document()
        let referenceOperations = Self.operations(reference)
        #expect(referenceOperations.count == 71)
        let documented = Self.operations(ours)
        var queue: [String] = []
        for (name, op) in referenceOperations {
            #expect(documented[name] == op, "\(name) differs from Fluxer's")
            queue += Self.refs(op)
        }
        // Every schema they use, transitively, is Fluxer's own, unchanged.
        var seen: Set<String> = []
        while let target = queue.popLast() {
            let name = String(target.dropFirst("#/components/schemas/".count))
            guard seen.insert(name).inserted else { continue }
            let theirs = try #require(reference["components"]?["schemas"]?[name], "\(name) is not Fluxer's")
            #expect(ours["components"]?["schemas"]?[name] == theirs, "schema \(name) differs from Fluxer's")
            queue += Self.refs(theirs)
        }
        #expect(seen.contains("APIErrorCode") && seen.contains("Error"))
        for (name, scheme) in reference["components"]?["securitySchemes"]?.objectMembers ?? [] {
            #expect(ours["components"]?["securitySchemes"]?[name] == scheme, "security scheme \(name)")
        }
    }

    static func refs(_ value: JSONValue) -> [String] {
        switch value {
        case .object(let members): members.flatMap { $0.0 == "$ref" ? [$0.1.stringValue ?? ""] : refs($0.1) }
        case .array(let items): items.flatMap(refs)
        default: []
        }
    }

    // MARK: - Routes against the document

    @Test func everyRoute_isDocumented_andEveryOperation_isServed() throws {
        // Tests run in dev mode with no SSO configured: every conditional route is registered (the outbox, the
        // built-in OIDC and AT Protocol providers, our AT Protocol client's documents).
        let running = try RunningApp()
        defer { running.stop() }
        let registered = Self.registered(Routes.make(running.app.context, accounts: running.app.accounts, sso: running.app.sso))
        let documented = Self.operations(try Self.document())
        let undocumented = registered.subtracting(documented.keys)
        #expect(undocumented.isEmpty, "registered but not in openapi/fluxer-auth.json: \(undocumented.sorted())")
        let unserved = Set(documented.keys).subtracting(registered)
        #expect(unserved.subtracting(Self.pendingReferenceOperations).isEmpty,
                "documented but not registered: \(unserved.subtracting(Self.pendingReferenceOperations).sorted())")
        let nowServed = Self.pendingReferenceOperations.intersection(registered)
        #expect(nowServed.isEmpty, "registered now, remove from pendingReferenceOperations: \(nowServed.sorted())")
        let unknown = Self.pendingReferenceOperations.subtracting(documented.keys)
        #expect(unknown.isEmpty, "pendingReferenceOperations not in the document: \(unknown.sorted())")
        // Pending operations are Fluxer's (copied), never ours.
        let reference = Self.operations(try JSONValue.parse(try Self.read("openapi/reference/fluxer-openapi-auth.json")))
        #expect(Self.pendingReferenceOperations.isSubset(of: Set(reference.keys)))
    }

    @Test func outsideDevMode_devOperationsAreNotServed_andTheRestAre() throws {
        let running = try RunningApp { $0.dev = false }
        defer { running.stop() }
        let registered = Self.registered(Routes.make(running.app.context, accounts: running.app.accounts, sso: running.app.sso))
        let documented = Self.operations(try Self.document())
        for (name, op) in documented {
            #expect(Self.isDevOnly(op) == name.contains(" /_dev/"), "\(name): dev-only exactly under /_dev")
            if Self.isDevOnly(op) {
                #expect(!registered.contains(name), "\(name) is served outside dev mode")
            } else if op["x-fluxer-auth-registered-when"] == nil && !Self.pendingReferenceOperations.contains(name) {
                #expect(registered.contains(name), "\(name) is not served outside dev mode")
            }
        }
        #expect(registered.isSubset(of: Set(documented.keys)))
    }

    // MARK: - Serving

    @Test(arguments: ["/api/v1/openapi.json", "/v1/openapi.json", "/openapi.json"])
    func openapiJSON_isServedUnderEveryPrefix(path: String) throws {
        let running = try RunningApp()
        defer { running.stop() }
        let response = TestClient.request(port: running.port, "GET", path)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("Cache-Control") == "public, max-age=300")
        let etag = try #require(response.header("ETag"))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 10)
        let served = try JSONValue.parse(Array(response.body.utf8))
        #expect(Self.operations(served).count == Self.operations(try Self.document()).count)
        // No public URL configured: servers stays relative.
        #expect(served["servers"]?.arrayItems.first?["url"] == "/api/v1")
        #expect(served == (try Self.document()))

        // Revalidation: the same ETag is 304 without a body; a stale one gets the document again.
        let again = TestClient.request(port: running.port, "GET", path, headers: [("If-None-Match", "\"old\", W/\(etag)")])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(again.header("ETag") == etag)
        #expect(TestClient.request(port: running.port, "GET", path, headers: [("If-None-Match", "\"old\"")]).status == 200)
        let head = TestClient.request(port: running.port, "HEAD", path)
        #expect(head.status == 200 && head.body.isEmpty && head.header("ETag") == etag)
    }

    @Test func openapiJSON_namesThePublicURL_whenOneIsConfigured() throws {
        let running = try RunningApp { $0.publicURL = "https://auth.example.com/" }
        defer { running.stop() }
        let response = TestClient.request(port: running.port, "GET", "/openapi.json")
        #expect(response.status == 200)
        let served = try JSONValue.parse(Array(response.body.utf8))
        #expect(served["servers"]?.arrayItems.first?["url"] == "https://auth.example.com/api/v1")
        // Everything else is the committed document.
        #expect(OpenAPIDocument.served(try Self.document(), publicURL: "https://auth.example.com") == served)
        #expect(served["paths"] == (try Self.document())["paths"])
    }

    @Test(arguments: ["/docs", "/api/v1/docs", "/v1/docs"])
    func docsPage_listsEveryOperationAndSchema(path: String) throws {
        let running = try RunningApp()
        defer { running.stop() }
        let response = TestClient.request(port: running.port, "GET", path)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        let html = response.body
        let document = try Self.document()
        for (name, op) in Self.operations(document) {
            let id = try #require(op["operationId"]?.stringValue)
            #expect(html.contains("id=\"op-\(id)\""), "\(name): no section")
            let path = String(name.split(separator: " ")[1])
            #expect(html.contains(WebPage.escape(path)), "\(name): path not shown")
        }
        for (name, _) in document["components"]?["schemas"]?.objectMembers ?? [] {
            #expect(html.contains("id=\"schema-\(name)\""), "schema \(name)")
        }
        // Every internal link lands on an anchor of the page.
        let ids = Set(Self.matches(of: #"id="([^"]+)""#, in: html))
        let links = Set(Self.matches(of: ##"href="#([^"]+)""##, in: html))
        #expect(links.subtracting(ids).isEmpty, "broken links: \(links.subtracting(ids).sorted().prefix(10))")

        // Strict CSP: nothing loaded, no script, the one inline style allowed by its hash.
        let csp = try #require(response.header("Content-Security-Policy"))
        #expect(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src="))
        let style = try #require(Self.matches(of: #"<style>([\s\S]*?)</style>"#, in: html).first)
        #expect(csp.contains("style-src 'sha256-\(Base64.encode(SHA256.hash(utf8: style)))'"))
        #expect(response.header("X-Frame-Options") == "DENY")
        let etag = try #require(response.header("ETag"))
        #expect(TestClient.request(port: running.port, "GET", path, headers: [("If-None-Match", etag)]).status == 304)
    }

    static func matches(of pattern: String, in text: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test func ifNoneMatch_comparesEntityTagsWeakly() {
        let tag = "\"abc\""
        #expect(OpenAPIPublication.matches("\"abc\"", etag: tag))
        #expect(OpenAPIPublication.matches("W/\"abc\"", etag: tag))
        #expect(OpenAPIPublication.matches("\"x\" , \"abc\"", etag: tag))
        #expect(OpenAPIPublication.matches("*", etag: tag))
        #expect(!OpenAPIPublication.matches("\"abcd\"", etag: tag))
        #expect(!OpenAPIPublication.matches("abc", etag: tag))
        #expect(!OpenAPIPublication.matches("", etag: tag))
    }

    // MARK: - README

    /// `METHOD /path` (or `GET/POST /path`) in the first column of the tables of README's "## API" section.
    static func readmeOperations() throws -> Set<String> {
        let text = String(decoding: try read("README.md"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "## API"), "README has no ## API section")
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
        var out: Set<String> = []
        for line in lines[(start + 1)..<end] where line.hasPrefix("| ") {
            let firstCell = line.split(separator: "|", omittingEmptySubsequences: true).first.map(String.init) ?? ""
            for span in matches(of: "`([^`]+)`", in: firstCell) {
                let words = span.split(separator: " ")
                guard words.count >= 2, words[1].hasPrefix("/") else { continue }
                let verbs = words[0].split(separator: "/").map(String.init)
                guard verbs.allSatisfy({ methods.contains($0.lowercased()) }) else { continue }
                for verb in verbs { out.insert("\(verb) \(words[1])") }
            }
        }
        return out
    }

    @Test func readmeAPITable_matchesTheDocument() throws {
        let listed = try Self.readmeOperations()
        let documented = Self.operations(try Self.document())
        #expect(listed.count > 50)
        let unknown = listed.subtracting(documented.keys)
        #expect(unknown.isEmpty, "README lists operations the document lacks: \(unknown.sorted())")
        let missing = Set(documented.filter { !Self.isDevOnly($0.value) }.keys).subtracting(listed)
        #expect(missing.isEmpty, "README's API table lacks: \(missing.sorted())")
    }

    // MARK: - Error codes

    /// Every error-code-like literal in the sources (`"UPPER_CASE"`) is in Fluxer's catalogues or ours, and each of
    /// ours is used somewhere: the catalogue neither lags nor keeps dead codes.
    @Test func errorCodesInSources_areCatalogued() throws {
        let schemas = try #require(try Self.document()["components"]?["schemas"])
        func values(_ name: String, _ key: String) -> Set<String> {
            Set((schemas[name]?[key]?.arrayItems ?? []).compactMap(\.stringValue))
        }
        let fluxer = values("APIErrorCode", "enum").union(values("ValidationErrorCodeSchema", "x-enumNames"))
        let ours = values("FluxerAuthErrorCode", "enum").union(values("FluxerAuthValidationErrorCode", "enum"))
        #expect(!ours.isEmpty)
        #expect(values("FluxerAuthErrorCode", "enum").isDisjoint(with: values("APIErrorCode", "enum")))
        // Literals that look like codes but are not answered as one.
        let notCodes: Set<String> = ["BOT_INVITE"]
        var found: [String: String] = [:]
        for directory in ["Sources/FluxerAPI", "Sources/FluxerDomain", "Sources/HTTPServer"] {
            let root = Self.repository.appendingPathComponent(directory)
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            for file in files where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                let literals = Self.matches(of: #""([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)""#, in: text)
                    + Self.matches(of: #"code: "([A-Z][A-Z0-9_]+)""#, in: text)
                for code in literals where !code.hasPrefix("FLUXER_AUTH_") && !notCodes.contains(code) {
                    found[code] = file.lastPathComponent
                }
            }
        }
        let uncatalogued = Set(found.keys).subtracting(fluxer).subtracting(ours)
        #expect(uncatalogued.isEmpty, "codes in no catalogue (add them to openapi/additions.py): \(uncatalogued.sorted().map { "\($0) (\(found[$0]!))" })")
        let unused = ours.subtracting(found.keys)
        #expect(unused.isEmpty, "catalogued codes no source answers: \(unused.sorted())")
    }
}
