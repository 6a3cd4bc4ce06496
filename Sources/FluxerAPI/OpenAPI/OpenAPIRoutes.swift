import FluxerCrypto
import FluxerDomain
import FluxerJSON
import HTTPServer
import Synchronization

/// `GET /openapi.json` (the document) and `GET /docs` (it rendered as one HTML page), under every prefix like
/// every route. Both are the same for every caller, so they are rendered once, on first use, and answered with a
/// strong `ETag` (a matching `If-None-Match` gets 304, RFC 9110 §13.1.2) and `Cache-Control: public`.
package enum OpenAPIRoutes {
    /// How long a client or cache may reuse an answer without asking again.
    package static let cacheControl = "public, max-age=300"

    package static func register(on router: inout Router, context: AppContext) {
        let publication = OpenAPIPublication(publicURL: context.config.publicURL)
        router.api(.GET, "/openapi.json") { request in try publication.answer(.document, to: request) }
        router.api(.GET, "/docs") { request in try publication.answer(.page, to: request) }
    }
}

/// The document and its page for one server (its public URL decides `servers`), rendered on first request.
package final class OpenAPIPublication: Sendable {
    /// What is served: the JSON document, or its HTML page.
    package enum Kind: Sendable { case document, page }

    /// One rendered answer: its bytes, their entity tag, and the headers it is sent with.
    package struct Rendered: Sendable {
        package var body: [UInt8]
        package var etag: String
        package var headers: HTTPHeaders
    }

    private let publicURL: String
    private let rendered = Mutex<[Kind: Rendered]>([:])

    package init(publicURL: String) {
        self.publicURL = publicURL
    }

    /// 200 with the rendered answer, or 304 when the request's `If-None-Match` names its ETag.
    package func answer(_ kind: Kind, to request: HTTPRequest) throws -> HTTPResponse {
        let answer = try render(kind)
        if let tags = request.headers["If-None-Match"], Self.matches(tags, etag: answer.etag) {
            return HTTPResponse(status: HTTPStatus(304), headers: ["ETag": answer.etag, "Cache-Control": OpenAPIRoutes.cacheControl])
        }
        var headers = answer.headers
        headers.add("ETag", answer.etag)
        headers.add("Cache-Control", OpenAPIRoutes.cacheControl)
        return HTTPResponse(status: .ok, headers: headers, body: answer.body)
    }

    /// The answer of `kind`, rendered on first use (500 if the embedded document could not be parsed).
    package func render(_ kind: Kind) throws -> Rendered {
        if let done = rendered.withLock({ $0[kind] }) { return done }
        guard let embedded = OpenAPIDocument.embedded else { throw APIError.internalError }
        let document = OpenAPIDocument.served(embedded, publicURL: publicURL)
        let made: Rendered
        switch kind {
        case .document:
            made = Self.rendered(document.bytes, headers: ["Content-Type": "application/json", "X-Content-Type-Options": "nosniff"])
        case .page:
            let page = APIReferencePage(document: document)
            var headers = page.securityHeaders
            headers.add("Content-Type", "text/html; charset=utf-8")
            made = Self.rendered(Array(page.html.utf8), headers: headers)
        }
        // Two first requests may both render; they render the same bytes.
        rendered.withLock { $0[kind] = made }
        return made
    }

    private static func rendered(_ body: [UInt8], headers: HTTPHeaders) -> Rendered {
        Rendered(body: body, etag: "\"" + Base64URL.encode(Array(SHA256.hash(body).prefix(18))) + "\"", headers: headers)
    }

    /// `If-None-Match` (RFC 9110 §13.1.2): `*`, or a list of entity tags compared weakly (`W/` ignored).
    package static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingASCIIWhitespace()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = String(tag.dropFirst(2)) }
            return tag == etag
        }
    }
}
