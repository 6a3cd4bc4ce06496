internal import CFluxerShim

/// A notification received on a channel (PostgreSQL docs, SQL command `NOTIFY`).
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public let channel: String
    /// The payload (empty when none was given); at most 8000 bytes by default.
    public let payload: String
    /// The server process of the session that sent it.
    public let senderProcessID: Int32

    /// Creates a notification.
    public init(channel: String, payload: String, senderProcessID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderProcessID = senderProcessID
    }
}

extension PostgresConnection {
    /// The connection's socket, for `poll` (libpq docs §34.2 `PQsocket`); -1 when closed.
    var socket: Int32 {
        handle.map { PQsocket($0) } ?? -1
    }

    /// Reads what the server sent without blocking (`PQconsumeInput`); false when the connection broke.
    func consumeInput() -> Bool {
        guard let handle else { return false }
        return PQconsumeInput(handle) == 1 && PQstatus(handle) == CONNECTION_OK
    }

    /// The next notification already read, if any (libpq docs §34.9 `PQnotifies`).
    func nextNotification() -> PostgresNotification? {
        guard let handle, let raw = PQnotifies(handle) else { return nil }
        defer { PQfreemem(raw) }
        return PostgresNotification(
            channel: raw.pointee.relname.map { String(cString: $0) } ?? "",
            payload: raw.pointee.extra.map { String(cString: $0) } ?? "",
            senderProcessID: raw.pointee.be_pid)
    }

    /// Quotes a channel name as an SQL identifier, so `LISTEN` matches `pg_notify` with the same text exactly
    /// (PostgreSQL docs §4.1.1: doubled double quotes inside a quoted identifier).
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
