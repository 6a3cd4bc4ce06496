@testable import HTTPServer
import Testing

/// Route matching without sockets.
@Suite struct RouterTests {
    static let router: Router = {
        var r = Router()
        r.add(.GET, "/users/:id") { _ in .text(.ok, "get") }
        r.add(.DELETE, "/users/:id") { _ in .noContent }
        r.add(.POST, "/oauth2/applications/:id/bot/reset-token") { _ in .text(.ok, "reset") }
        r.add(.GET, "/") { _ in .text(.ok, "root") }
        return r
    }()

    func found(_ method: HTTPMethod, _ path: String) -> (String, [String: String])? {
        if case .found(let route, let params) = Self.router.match(method, path: path) { return (route.pattern, params) }
        return nil
    }

    @Test("prefixes /api/v1 and /v1 and none all route", arguments: ["/api/v1/users/42", "/v1/users/42", "/users/42"])
    func prefixes(_ path: String) {
        let m = found(.GET, path)
        #expect(m?.0 == "/users/:id")
        #expect(m?.1 == ["id": "42"])
    }

    @Test func rootAndPrefixRoots() {
        #expect(found(.GET, "/")?.0 == "/")
        #expect(found(.GET, "/api/v1")?.0 == "/")
        #expect(found(.GET, "/v1")?.0 == "/")
    }

    @Test func notFound_cases() {
        for path in ["/users", "/users/", "/users/1/", "/users//", "/api/v2/users/1", "/v1x/users/1", "/nope", "//users/1"] {
            if case .notFound = Self.router.match(.GET, path: path) { continue }
            Issue.record("\(path) should not match")
        }
    }

    @Test func methodNotAllowed_listsAllowedWithHEAD() {
        guard case .methodNotAllowed(let allowed) = Self.router.match(.PUT, path: "/users/1") else {
            Issue.record("expected 405"); return
        }
        #expect(Set(allowed) == [.GET, .DELETE, .HEAD])
        guard case .methodNotAllowed(let onlyPost) = Self.router.match(.GET, path: "/oauth2/applications/1/bot/reset-token") else {
            Issue.record("expected 405"); return
        }
        #expect(onlyPost == [.POST])
    }

    /// RFC 9110 §9.3.2: HEAD is answered by the GET route.
    @Test func head_fallsBackToGet() {
        #expect(found(.HEAD, "/users/7")?.0 == "/users/:id")
    }

    @Test func parameters_percentDecodedLiteralsNot() {
        #expect(found(.GET, "/users/a%20b%2Fc")?.1 == ["id": "a b/c"])
        #expect(found(.GET, "/users/caf%C3%A9")?.1 == ["id": "café"])
        #expect(found(.GET, "/users/a+b")?.1 == ["id": "a+b"], "+ is not a space in a path")
        #expect(found(.POST, "/oauth2/applications/9/bot/reset-token")?.1 == ["id": "9"])
        if case .found = Self.router.match(.GET, path: "/%75sers/1") { Issue.record("literal segments are not decoded") }
    }

    /// The most specific pattern owns a path, whatever the registration order (a literal beats a parameter at
    /// the first segment where they differ); its methods are the path's methods: another method is 405 with
    /// exactly those, never a fall-through to a looser pattern. The exact-path table answers as the scan does.
    @Test func mostSpecificPattern_ownsThePath() {
        var r = Router()
        r.add(.GET, "/things/:id") { _ in .text(.ok, "param") }
        r.add(.GET, "/things/@me") { _ in .text(.ok, "static, registered later") }
        r.add(.POST, "/things/@me") { _ in .text(.ok, "static post") }
        r.add(.GET, "/users/@me") { _ in .text(.ok, "static first") }
        r.add(.GET, "/users/:id") { _ in .text(.ok, "param second") }
        func pattern(_ m: HTTPMethod, _ path: String) -> String? {
            if case .found(let route, _) = r.match(m, path: path) { return route.pattern }
            return nil
        }
        #expect(pattern(.GET, "/things/@me") == "/things/@me")
        #expect(pattern(.GET, "/things/7") == "/things/:id")
        #expect(pattern(.POST, "/things/@me") == "/things/@me")
        #expect(pattern(.GET, "/v1/users/@me") == "/users/@me")
        #expect(pattern(.GET, "/users/7") == "/users/:id")
        #expect(pattern(.HEAD, "/users/@me") == "/users/@me")
        #expect(pattern(.GET, "/users/@me/") == nil)
        guard case .methodNotAllowed(let allowed) = r.match(.DELETE, path: "/users/@me") else {
            Issue.record("expected 405"); return
        }
        #expect(Set(allowed) == [.GET, .HEAD])
        // DELETE exists only on the looser pattern: the path's owner (`/users/@me`, GET) answers 405.
        r.add(.DELETE, "/users/:id") { _ in .text(.ok, "delete") }
        guard case .methodNotAllowed(let owned) = r.match(.DELETE, path: "/users/@me") else {
            Issue.record("expected 405, not a fall-through to /users/:id"); return
        }
        #expect(owned == [.GET, .HEAD])
        #expect(pattern(.DELETE, "/users/7") == "/users/:id")
        // Literal first, at the first differing segment: /a/b/:x beats /a/:y/c for /a/b/c.
        r.add(.GET, "/a/:y/c") { _ in .text(.ok, "") }
        r.add(.GET, "/a/b/:x") { _ in .text(.ok, "") }
        #expect(pattern(.GET, "/a/b/c") == "/a/b/:x")
    }
}
