import Synchronization

/// Delivers a deferred handler's response to its connection's event loop, exactly once.
public final class ResponseWriter: Sendable {
    private let deliver: @Sendable (HTTPResponse, (any Error)?) -> Void
    private let used = Atomic<Bool>(false)

    init(_ deliver: @escaping @Sendable (HTTPResponse, (any Error)?) -> Void) {
        self.deliver = deliver
    }

    /// Sends the response; only the first call has an effect.
    public func respond(_ response: HTTPResponse) {
        guard !used.exchange(true, ordering: .acquiringAndReleasing) else { return }
        deliver(response, nil)
    }

    /// Runs `body` and sends its response, or the error's rendering (a bare 500 for errors that do not render).
    public func respond(_ body: () throws -> HTTPResponse) {
        do {
            respond(try body())
        } catch let error as HTTPResponseError {
            respond(error.response)
        } catch {
            guard !used.exchange(true, ordering: .acquiringAndReleasing) else { return }
            deliver(HTTPServer.internalErrorResponse, error)
        }
    }

    deinit {
        // A handler that forgot to answer must not leave the connection hanging.
        if !used.load(ordering: .acquiring) { deliver(HTTPServer.internalErrorResponse, DeferredHandlerDroppedResponse()) }
    }
}

/// Reported when a deferred handler released its writer without answering.
public struct DeferredHandlerDroppedResponse: Error {}
