/// An account's identity as resolved: its DID, the handle (only when verified both ways), and its PDS.
struct ATProtoIdentity: Sendable, Equatable {
    let did: ATProtoDID
    let handle: ATProtoHandle?
    let pds: ATProtoURL
}

/// AT identifier → verified identity (atproto "Handle" spec, "Handle Resolution": a handle is valid only when it
/// resolves to a DID whose document claims the handle back).
struct IdentityResolver: Sendable {
    let handles: HandleResolver
    let dids: DIDResolver
    let policy: ATProtoURLPolicy

    /// The identity behind what the user typed. A handle must be claimed by its DID's document; a DID's own
    /// claimed handle is kept only when it verifies.
    func resolve(_ identifier: ATIdentifier) throws(ATProtoError) -> ATProtoIdentity {
        switch identifier {
        case let .handle(handle):
            let did = try handles.did(for: handle)
            let document = try dids.document(for: did)
            guard document.claimedHandle == handle else { throw .handleNotVerified }
            guard let pds = document.pds(policy: policy) else { throw .noPDS }
            return ATProtoIdentity(did: did, handle: handle, pds: pds)
        case let .did(did):
            return try resolve(did: did)
        }
    }

    /// The identity of `did`, its handle verified in both directions (nil when it does not verify: the spec's
    /// `handle.invalid`).
    func resolve(did: ATProtoDID) throws(ATProtoError) -> ATProtoIdentity {
        let document = try dids.document(for: did)
        guard let pds = document.pds(policy: policy) else { throw .noPDS }
        var handle: ATProtoHandle?
        if let claimed = document.claimedHandle, (try? handles.did(for: claimed)) == did { handle = claimed }
        return ATProtoIdentity(did: did, handle: handle, pds: pds)
    }
}
