internal import CFluxerShim

extension COSEKey {
    /// True when `signature` is a valid signature of `message` under this key, verified by OpenSSL.
    ///
    /// * ES256: ECDSA P-256 with SHA-256; `signature` is the ASN.1 DER `Ecdsa-Sig-Value` WebAuthn
    ///   assertions carry (WebAuthn §6.5.5), not the raw r ‖ s of JOSE.
    /// * EdDSA: pure Ed25519 (RFC 8032 §5.1), no pre-hash.
    /// * RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
    ///
    /// Returns false, never traps, for keys OpenSSL refuses (an EC point off the curve) and for
    /// malformed signatures.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let key = loadPublicKey() else { return false }
        defer { EVP_PKEY_free(key) }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let digest: OpaquePointer? = if case .ed25519 = self { nil } else { EVP_sha256() }
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = withNonNullBytes(signature) { signaturePointer, signatureCount in
            withNonNullBytes(message) { messagePointer, messageCount in
                EVP_DigestVerify(
                    context,
                    signaturePointer.assumingMemoryBound(to: UInt8.self), signatureCount,
                    messagePointer.assumingMemoryBound(to: UInt8.self), messageCount
                )
            }
        }
        // A malformed signature leaves decoding errors on the thread's queue; do not leak them to later callers.
        ERR_clear_error()
        return status == 1
    }

    /// True when OpenSSL accepts the key material (for EC2, the point lies on P-256).
    public var isLoadable: Bool {
        guard let key = loadPublicKey() else { return false }
        EVP_PKEY_free(key)
        return true
    }

    /// An owned `EVP_PKEY`, or nil; the caller frees it.
    private func loadPublicKey() -> OpaquePointer? {
        let der = SubjectPublicKeyInfo.der(self)
        let key = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        if key == nil { ERR_clear_error() }
        return key
    }
}
