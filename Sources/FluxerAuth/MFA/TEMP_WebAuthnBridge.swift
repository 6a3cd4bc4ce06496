extension Accounts {
    func verifyWebAuthnAssertion(_ user: User, credential: WebAuthnCredentialJSON, challenge: String, purpose: FactorPurpose, scope: String) throws {
        throw Self.invalidMFACode
    }
}
