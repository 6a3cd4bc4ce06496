import FluxerCrypto

/// The relying party's WebAuthn configuration (WebAuthn §5.4, §13.4.9).
public struct WebAuthnPolicy: Sendable, Equatable {
    /// The RP ID: a registrable domain suffix of the origins, e.g. "example.org" (WebAuthn §5.1.2 "RP ID").
    public var rpID: String
    /// Exact origins accepted in clientDataJSON, e.g. "https://example.org" (WA-03); no wildcards.
    public var origins: [String]
    /// Refuse ceremonies whose UV flag is clear (WA-05), and ask for `userVerification: "required"`.
    public var requireUserVerification: Bool
    /// COSE algorithms offered in `pubKeyCredParams`, most preferred first (WA-07).
    public var algorithms: [Int]

    /// Creates a policy; by default ES256, EdDSA and RS256 are offered in that order.
    public init(rpID: String, origins: [String], requireUserVerification: Bool,
                algorithms: [Int] = [COSEKey.es256, COSEKey.edDSA, COSEKey.rs256]) {
        self.rpID = rpID
        self.origins = origins
        self.requireUserVerification = requireUserVerification
        self.algorithms = algorithms
    }
}
