import FluxerCrypto

/// Test hooks: accounts, handle changes, faults and client registration.
extension ATProtoMockServer {
    /// Adds an account (or returns the existing one's DID when the handle is taken). Without `did`, a `did:plc` is
    /// derived from the handle; without `pds`, the main PDS. Returns the DID.
    @discardableResult
    public func createAccount(handle: String, did: String? = nil, pds: String? = nil, email: String? = nil,
                              emailConfirmed: Bool = true) -> String {
        let handle = handle.lowercased()
        let did = did ?? Self.plcDID(for: handle)
        let account = ATProtoMockAccount(handle: handle, did: did, pds: pds ?? pdsURL, email: email, emailConfirmed: emailConfirmed)
        return state.withLock { state in
            if let existing = state.account(handle: handle) { return existing.did }
            state.accounts.removeAll { $0.did == did }
            state.accounts.append(account)
            return did
        }
    }

    /// Moves `did` to a new handle: its DID document, TXT record, well-known and resolver all follow, and the old
    /// handle resolves no more.
    public func changeHandle(did: String, to handle: String) {
        state.withLock { state in
            guard let index = state.accounts.firstIndex(where: { $0.did == did }) else { return }
            state.accounts[index].handle = handle.lowercased()
        }
    }

    /// Every account, in creation order.
    public var accounts: [ATProtoMockAccount] { state.withLock { $0.accounts } }

    /// The faults in force.
    public var faults: ATProtoMockFaults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }

    /// Changes the faults in force.
    public func updateFaults(_ change: (inout ATProtoMockFaults) -> Void) {
        state.withLock { change(&$0.faults) }
    }

    /// Registers a client from its metadata document and its JWKS (what the mock would otherwise fetch from
    /// `client_id` and `jwks_uri`). False when the documents break the atproto client rules.
    @discardableResult
    public func registerClient(metadata: [UInt8], jwks: [UInt8]?) -> Bool {
        guard let client = MockClientRegistry.client(metadata: metadata, clientID: nil, jwks: jwks) else { return false }
        state.withLock { $0.clients[client.clientID] = client }
        return true
    }

    /// A deterministic `did:plc` for a handle: 24 characters of lower-case base32 of a hash.
    static func plcDID(for handle: String) -> String {
        "did:plc:" + String(Base32.encode(SHA256.hash("fluxer-atproto-mock:" + handle)).lowercased().prefix(ATProtoDID.plcIdentifierLength))
    }
}
