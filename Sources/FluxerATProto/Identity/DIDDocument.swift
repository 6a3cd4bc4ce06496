/// The parts of a DID document (W3C DID Core §5) atproto reads: the subject `id`, the handle claimed in
/// `alsoKnownAs` (`at://<handle>`), and the `#atproto_pds` service (atproto "DID" spec, "DID Documents").
struct DIDDocument: Decodable, Sendable {
    /// The service `id` fragment and `type` of an account's PDS.
    static let pdsServiceID = "#atproto_pds"
    static let pdsServiceType = "AtprotoPersonalDataServer"

    let id: String
    let alsoKnownAs: [String]
    let services: [Service]

    /// One `service` entry; entries of other shapes (an endpoint map, a type array) are kept but never match.
    struct Service: Decodable, Sendable {
        let id: String?
        let type: String?
        let endpoint: String?

        enum CodingKeys: String, CodingKey { case id, type, serviceEndpoint }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try? container.decode(String.self, forKey: .id)
            type = try? container.decode(String.self, forKey: .type)
            endpoint = try? container.decode(String.self, forKey: .serviceEndpoint)
        }
    }

    enum CodingKeys: String, CodingKey { case id, alsoKnownAs, service }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        alsoKnownAs = try container.decodeIfPresent([String].self, forKey: .alsoKnownAs) ?? []
        services = try container.decodeIfPresent([Service].self, forKey: .service) ?? []
    }

    /// The handle the document claims: the first `at://` entry of `alsoKnownAs`, if it is a valid handle
    /// (atproto "Handle" spec, "Handle Resolution": only the first `at://` URI counts).
    var claimedHandle: ATProtoHandle? {
        guard let uri = alsoKnownAs.first(where: { $0.hasPrefix("at://") }) else { return nil }
        return ATProtoHandle(String(uri.dropFirst("at://".count)))
    }

    /// The PDS endpoint: the service whose `id` is `#atproto_pds` (relative, or absolute under this DID) with type
    /// `AtprotoPersonalDataServer`, as an allowed server URL (no query, no fragment, an origin outside development).
    func pds(policy: ATProtoURLPolicy) -> ATProtoURL? {
        let service = services.first { $0.id == Self.pdsServiceID || $0.id == id + Self.pdsServiceID }
        guard let service, service.type == Self.pdsServiceType, let endpoint = service.endpoint else { return nil }
        return policy.server(endpoint)
    }
}
