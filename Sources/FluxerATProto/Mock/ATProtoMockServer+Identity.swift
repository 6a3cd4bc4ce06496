import FluxerJSON

/// The identity side: PLC directory, handle resolver, DNS TXT, the handle hosts' `atproto-did` and `did:web` hosts.
extension ATProtoMockServer: ATProtoTXTResolver {
    /// `_atproto.<handle>` → `did=<DID>` for known handles (atproto "Handle" spec, "DNS TXT Method").
    public func txtRecords(_ name: String) -> [String] {
        guard name.hasPrefix("_atproto.") else { return [] }
        let handle = String(name.dropFirst("_atproto.".count)).lowercased()
        return state.withLock { $0.account(handle: handle) }.map { ["did=" + $0.did] } ?? []
    }

    /// Requests to hosts outside the base URL that the network would serve: `https://<handle>/.well-known/atproto-did`
    /// and `https://<host>/.well-known/did.json` for `did:web` accounts. Nil when the mock has nothing there.
    public func handleExternal(method: String, host: String, port: Int?, path: String) -> ATProtoHTTPResponse? {
        guard method == "GET" else { return nil }
        switch path {
        case "/.well-known/atproto-did":
            guard let account = state.withLock({ $0.account(handle: host.lowercased()) }) else { return nil }
            if let status = failure(.atprotoDID) { return MockResponse.json(status, [:]) }
            return applyOutputFaults(.atprotoDID, ATProtoHTTPResponse(status: 200, headers: [("Content-Type", "text/plain")],
                                                                       body: Array(account.did.utf8)))
        case "/.well-known/did.json":
            let did = "did:web:" + host + (port.map { "%3A\($0)" } ?? "")
            guard let account = state.withLock({ $0.account(did: did) }) else { return nil }
            if let status = failure(.didWeb) { return MockResponse.json(status, [:]) }
            return applyOutputFaults(.didWeb, MockResponse.json(200, Self.didDocument(account)))
        default:
            return nil
        }
    }

    /// `GET /plc/<did>`: the document of a known `did:plc`, else 404 as plc.directory answers.
    func plcDocument(_ did: String) -> ATProtoHTTPResponse {
        guard did.hasPrefix("did:plc:"), let account = state.withLock({ $0.account(did: did) }) else {
            return MockResponse.json(404, ["message": .string("DID not registered: \(did.prefix(64))")])
        }
        return MockResponse.json(200, Self.didDocument(account))
    }

    /// `com.atproto.identity.resolveHandle`: `{"did"}`, or 400 `InvalidRequest` as the PDS answers.
    func resolveHandle(_ request: MockRequest) -> ATProtoHTTPResponse {
        guard let parameters = MockRequest.parameters(request.query), let handle = parameters["handle"] else {
            return MockResponse.json(400, ["error": "InvalidRequest", "message": "handle is required"])
        }
        guard let account = state.withLock({ $0.account(handle: handle.lowercased()) }) else {
            return MockResponse.json(400, ["error": "InvalidRequest", "message": "Unable to resolve handle"])
        }
        return MockResponse.json(200, ["did": .string(account.did)])
    }

    /// A DID document (W3C DID Core §5) with the handle in `alsoKnownAs` and the `#atproto_pds` service.
    static func didDocument(_ account: ATProtoMockAccount) -> JSONValue {
        [
            "@context": ["https://www.w3.org/ns/did/v1"],
            "id": .string(account.did),
            "alsoKnownAs": [.string("at://" + account.handle)],
            "verificationMethod": [],
            "service": [["id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": .string(account.pds)]],
        ]
    }
}
