import FluxerCrypto
import FoundationEssentials

/// The fields of clientDataJSON the relying party checks (WebAuthn §5.8.1 `CollectedClientData`).
///
/// Unknown members (`tokenBinding`, future additions) are ignored, as §5.8.1.2 requires.
package struct CollectedClientData: Decodable {
    package let type: String
    package let challenge: String
    package let origin: String
    package let crossOrigin: Bool?
    package let topOrigin: String?

    /// Parses clientDataJSON and runs the checks shared by both ceremonies.
    ///
    /// WebAuthn L2 §7.1 steps 5–9 / §7.2 steps 9–13: JSON, `type` (WA-01), `challenge` (WA-02),
    /// `origin` (WA-03, plus `crossOrigin`/`topOrigin`, which we do not support).
    package static func verify(_ json: [UInt8], type expectedType: String, challenge expectedChallenge: [UInt8],
                       policy: WebAuthnPolicy) throws(WebAuthnError) {
        guard json.count <= WebAuthnVerifier.maxClientDataBytes else { throw .clientDataTooLarge }
        let clientData: CollectedClientData
        do {
            clientData = try JSONDecoder().decode(CollectedClientData.self, from: Data(json))
        } catch {
            throw .malformedClientData
        }
        guard clientData.type == expectedType else { throw .wrongCeremonyType }
        // Compare decoded bytes (so the check cannot be fooled by encoding variants), in constant time.
        guard !expectedChallenge.isEmpty, let challenge = Base64URL.decode(clientData.challenge),
              ConstantTime.equals(challenge, expectedChallenge)
        else { throw .challengeMismatch }
        guard policy.origins.contains(clientData.origin) else { throw .originNotAllowed }
        guard clientData.crossOrigin != true, clientData.topOrigin == nil else { throw .crossOriginNotAllowed }
    }
}
