import FluxerPersistence
import FluxerDomain
import ArgumentParser
import FluxerAPI

#if canImport(Glibc)
import Glibc
#endif

/// `fluxer-auth outbox`: the stored emails and SMS, one JSON object per line, newest first.
struct OutboxCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Print stored emails and SMS as JSON lines, newest first; --follow then prints new ones as they arrive.")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "How many recent messages to print first (1-10000).")
    var limit = 50

    @Flag(name: .long, help: "Keep polling every 500 ms and print new messages, oldest first, until SIGINT.")
    var follow = false

    func run() throws {
        let config = common.load()
        do {
            try OutboxCommand.run(config: config, limit: limit, follow: follow) { line in
                // Unbuffered, so `--follow` output reaches a pipe as each message arrives.
                let bytes = Array((line + "\n").utf8)
                var offset = 0
                while offset < bytes.count {
                    let n = bytes.withUnsafeBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
                    if n <= 0 { if errno == EINTR { continue }; return }
                    offset += n
                }
            }
        } catch {
            fail(error.description, code: error.exitCode)
        }
    }
}
