internal import CFluxerShim

/// Process-wide setup for the cryptographic primitives in this module.
public enum CryptoRuntime {
    /// Runs `sodium_init` exactly once; Swift guarantees thread-safe, one-time initialisation of globals.
    private static let sodiumReady: Bool = {
        precondition(fx_sodium_init() >= 0, "sodium_init failed")
        return true
    }()

    /// Initialises libsodium. Idempotent and thread-safe; traps if libsodium cannot start.
    ///
    /// Every API in this module calls it implicitly, so calling it at startup only moves the cost.
    public static func initialize() {
        _ = sodiumReady
    }
}
