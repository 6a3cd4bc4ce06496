import FluxerPersistence
import FluxerDomain
import FluxerAPI
internal import CFluxerShim

/// Process signal handling for `serve`: SIGINT/SIGTERM are blocked in every thread and awaited by the main
/// thread with sigwait, so shutdown runs in ordinary code rather than in a signal handler.
public enum Signals {
    /// Blocks SIGINT and SIGTERM; call before any thread is started so every thread inherits the mask.
    public static func blockTermination() {
        _ = fx_block_term_signals()
        fx_ignore_sigpipe()
    }

    /// Waits for SIGINT or SIGTERM and returns its number.
    public static func waitForTermination() -> Int32 {
        fx_wait_term_signal()
    }
}
