import FluxerJSON

/// Our OpenAPI 3.1 document: `openapi/fluxer-auth.json` (written by `openapi/build.py` from Fluxer's document and
/// our additions), compiled into the binary by the FluxerEmbed plugin, so a copied binary serves it with no file
/// beside it.
package enum OpenAPIDocument {
    /// The embedded document, parsed once per process in document order; nil only if the build embedded a text
    /// that is not strict JSON (a test parses it, so such a build never passes).
    package static let embedded: JSONValue? = try? JSONValue.parse(Array(EmbeddedOpenAPI.json.utf8))

    /// The path every API route is documented under in `servers` (the guide's prefix; `/v1` and unprefixed work too).
    package static let apiPrefix = "/api/v1"

    /// The document as this server serves it: `servers` names the public URL when one is configured, else stays
    /// relative (`/api/v1`), which a client resolves against the URL it fetched the document from.
    package static func served(_ document: JSONValue, publicURL: String) -> JSONValue {
        guard !publicURL.isEmpty, case .object(var members) = document,
              let index = members.firstIndex(where: { $0.0 == "servers" }),
              case .array(let servers) = members[index].1, case .object(var first)? = servers.first,
              let url = first.firstIndex(where: { $0.0 == "url" })
        else { return document }
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        first[url].1 = .string(base + apiPrefix)
        members[index].1 = .array([.object(first)] + servers.dropFirst())
        return .object(members)
    }
}
