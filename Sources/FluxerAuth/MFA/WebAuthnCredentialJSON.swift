/// A `PublicKeyCredential` as browsers serialize it (`toJSON()`, WebAuthn L3 §5.1.8; the shape @simplewebauthn
/// clients send): binary fields are unpadded base64url.
struct WebAuthnCredentialJSON: Decodable, Sendable {
    struct Response: Decodable, Sendable {
        var clientDataJSON: String
        var attestationObject: String?
        var authenticatorData: String?
        var signature: String?
        var userHandle: String?
    }

    var id: String
    var rawId: String?
    var type: String?
    var response: Response
}
