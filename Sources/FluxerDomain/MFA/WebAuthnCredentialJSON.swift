/// A `PublicKeyCredential` as browsers serialize it (`toJSON()`, WebAuthn L3 §5.1.8; the shape @simplewebauthn
/// clients send): binary fields are unpadded base64url.
package struct WebAuthnCredentialJSON: Decodable, Sendable {
    package struct Response: Decodable, Sendable {
        package var clientDataJSON: String
        package var attestationObject: String?
        package var authenticatorData: String?
        package var signature: String?
        package var userHandle: String?
    }

    package var id: String
    package var rawId: String?
    package var type: String?
    package var response: Response
}
