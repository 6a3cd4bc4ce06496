/// Holds one `Connection` inside the `Sendable` `Database`.
///
/// Invariant (why `@unchecked Sendable` is sound): the connection is touched only by the thread
/// that currently holds its lease — the writer slot under `Database`'s writer mutex, a reader slot
/// only after its index was taken from the free list (and until it is put back).
final class ConnectionSlot: @unchecked Sendable {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }
}
