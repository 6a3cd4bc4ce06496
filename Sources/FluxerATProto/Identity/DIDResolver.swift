/// DID → DID document (atproto "DID" spec): `did:plc` from the configured PLC directory (`GET <plc>/<did>`),
/// `did:web` from `https://<host>/.well-known/did.json` (`http` for `localhost`, as the atproto reference resolver
/// allows for development).
struct DIDResolver: Sendable {
    let fetcher: ATProtoFetcher
    let plcDirectory: ATProtoURL

    func document(for did: ATProtoDID) throws(ATProtoError) -> DIDDocument {
        let url: String
        switch did.method {
        case .plc:
            url = plcDirectory.base + "/" + did.string
        case .web:
            guard let (host, port) = did.webHost else { throw .invalidIdentifier }
            url = (host == "localhost" ? "http" : "https") + "://" + host + (port.map { ":\($0)" } ?? "") + "/.well-known/did.json"
        }
        let response = try fetcher.get(url, step: .resolveDID, accept: "application/did+json, application/json")
        switch response.status {
        case 200: break
        // PLC answers 410 for a tombstoned DID: it existed and is gone.
        case 404, 410: throw .didNotFound
        default: throw .badStatus(.resolveDID, response.status)
        }
        let document = try ATProtoJSON.decode(DIDDocument.self, from: response.body, step: .resolveDID)
        // A document about another subject is not this DID's document (DID Core §5.1.1).
        guard document.id == did.string else { throw .malformed(.resolveDID) }
        return document
    }
}
