/// Handle → DID (atproto "Handle" spec, "Handle Resolution").
///
/// With a configured `handle_resolver`, its `com.atproto.identity.resolveHandle` XRPC answers alone (the operator
/// delegated resolution, and a development stack has no DNS for `.test`). Otherwise the DNS TXT method
/// (`_atproto.<handle>` → `did=<DID>`) and then the HTTPS well-known method (`https://<handle>/.well-known/atproto-did`).
struct HandleResolver: Sendable {
    /// The longest `atproto-did` body read: one DID and some whitespace.
    static let maxWellKnownBytes = ATProtoDID.maxLength + 64

    let fetcher: ATProtoFetcher
    let txt: any ATProtoTXTResolver
    let xrpcService: ATProtoURL?

    func did(for handle: ATProtoHandle) throws(ATProtoError) -> ATProtoDID {
        if let xrpcService { return try resolveWithXRPC(handle, service: xrpcService) }
        if let did = try resolveWithDNS(handle) { return did }
        return try resolveWithWellKnown(handle)
    }

    /// `GET /xrpc/com.atproto.identity.resolveHandle?handle=` → `{"did": …}`; 400 (`HandleNotFound`) and 404 mean
    /// the handle does not resolve; other failures are the resolver's.
    private func resolveWithXRPC(_ handle: ATProtoHandle, service: ATProtoURL) throws(ATProtoError) -> ATProtoDID {
        struct Output: Decodable { var did: String }
        let url = service.base + "/xrpc/com.atproto.identity.resolveHandle?handle=" + FormEncoding.percentEncode(handle.string)
        let response = try fetcher.get(url, step: .resolveHandle)
        switch response.status {
        case 200:
            let output = try ATProtoJSON.decode(Output.self, from: response.body, step: .resolveHandle)
            guard let did = ATProtoDID(output.did) else { throw .handleNotResolved }
            return did
        case 400, 404: throw .handleNotResolved
        default: throw .badStatus(.resolveHandle, response.status)
        }
    }

    /// "DNS TXT Method": records starting `did=`; more than one distinct DID is ambiguous and fails.
    private func resolveWithDNS(_ handle: ATProtoHandle) throws(ATProtoError) -> ATProtoDID? {
        let records = (try? txt.txtRecords(handle.txtName)) ?? []
        let dids = Set(records.filter { $0.hasPrefix("did=") }.map { String($0.dropFirst(4)) })
        guard !dids.isEmpty else { return nil }
        guard dids.count == 1, let did = ATProtoDID(dids.first!) else { throw .handleNotResolved }
        return did
    }

    /// "HTTPS well-known Method": a 200 whose body, trimmed, is a DID. Any failure here means the handle does
    /// not resolve: the host is the user's, not a service we depend on.
    private func resolveWithWellKnown(_ handle: ATProtoHandle) throws(ATProtoError) -> ATProtoDID {
        let url = "https://\(handle.string)/.well-known/atproto-did"
        guard let response = try? fetcher.get(url, step: .resolveHandle, accept: "text/plain"),
              response.status == 200, response.body.count <= Self.maxWellKnownBytes,
              let text = String(validating: response.body, as: UTF8.self)
        else { throw .handleNotResolved }
        let trimmed = text.trimmingASCIIWhitespace
        guard let did = ATProtoDID(trimmed) else { throw .handleNotResolved }
        return did
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, CR and LF.
    var trimmingASCIIWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
