/// The transport as the protocol steps use it: transport failures become `ATProtoError.transport` for the step,
/// and every request names what it accepts.
struct ATProtoFetcher: Sendable {
    let transport: any ATProtoTransport

    /// `GET url` accepting `accept`.
    func get(_ url: String, step: ATProtoStep, accept: String = "application/json",
             headers: [(String, String)] = []) throws(ATProtoError) -> ATProtoHTTPResponse {
        try send(ATProtoHTTPRequest(method: "GET", url: url, headers: [("Accept", accept)] + headers), step: step)
    }

    /// Sends `request`, mapping transport failures to the step.
    func send(_ request: ATProtoHTTPRequest, step: ATProtoStep) throws(ATProtoError) -> ATProtoHTTPResponse {
        do {
            return try transport.send(request)
        } catch {
            throw .transport(step, error)
        }
    }
}
