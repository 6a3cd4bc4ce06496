import FluxerPersistence
import HTTPServer
import SQLite

/// The answer channel of a deferred handler: work may continue on another thread (the hash pool), and any
/// error thrown along the way is rendered exactly like a synchronous handler's (storage failures → 503).
package struct Reply: Sendable {
    package let writer: ResponseWriter

    /// Sends the response.
    package func callAsFunction(_ response: HTTPResponse) { writer.respond(response) }

    /// Runs a step; a thrown error becomes the response.
    package func run(_ body: () throws -> Void) {
        do { try body() } catch { fail(error) }
    }

    /// Renders an error as the response.
    package func fail(_ error: any Error) {
        let mapped = StorageFailure.map(error)
        writer.respond { throw mapped }
    }
}

extension ResponseWriter {
    /// Starts a deferred handler body with its `Reply`.
    package func respondAsync(_ body: (Reply) throws -> Void) {
        let reply = Reply(writer: self)
        reply.run { try body(reply) }
    }
}

/// Storage failures a client can retry: a full disk, an I/O error or a write lock held past the busy timeout
/// become 503 `SERVICE_UNAVAILABLE` (the transaction has rolled back); so does a snowflake worker-id lease that
/// could not be renewed (the next heartbeat, within 10 s, renews or replaces it). Anything else passes through.
package enum StorageFailure {
    package static func map(_ error: any Error) -> any Error {
        if DataStore.isUnavailable(error) { return APIError.serviceUnavailable() }
        if error is WorkerLeaseError {
            return APIError.serviceUnavailable(retryAfterSeconds: Int(WorkerLeasePolicy.standard.heartbeatMilliseconds / 1000))
        }
        return error
    }
}
