#if canImport(Glibc)
import Glibc
#endif
internal import CFluxerShim
import Synchronization

/// SQLite's own busy handler (`sqliteDefaultBusyCallback` in sqlite3.c: sleeps of 1, 2, 5, 10, 15, 20, 25, 25,
/// 25, 50, 50 and then 100 ms until the busy timeout is spent), re-done in Swift so that every wait is counted:
/// the count is the "database busy retries" an operator watches (`Database.busyWaits`).
final class BusyHandler: Sendable {
    private let timeoutMilliseconds: Int
    private let waits: Atomic<UInt64>
    private static let delays = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100]
    private static let totals = [0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228]

    init(timeoutMilliseconds: Int32) {
        self.timeoutMilliseconds = Int(timeoutMilliseconds)
        self.waits = Atomic(0)
    }

    /// Waits so far (each one a retry of a statement that found the database locked).
    var count: UInt64 { waits.load(ordering: .relaxed) }

    /// Installs the handler on `db`. `self` must outlive the connection (the connection holds it).
    func install(on db: OpaquePointer) {
        sqlite3_busy_handler(db, { context, tries in
            guard let context else { return 0 }
            return Unmanaged<BusyHandler>.fromOpaque(context).takeUnretainedValue().wait(afterTries: Int(tries)) ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Sleeps before try `tries + 1`; false (give up with SQLITE_BUSY) once the timeout would be passed.
    func wait(afterTries tries: Int) -> Bool {
        var delay: Int
        let prior: Int
        if tries < Self.delays.count {
            delay = Self.delays[tries]
            prior = Self.totals[tries]
        } else {
            delay = Self.delays[Self.delays.count - 1]
            prior = Self.totals[Self.totals.count - 1] + delay * (tries - (Self.delays.count - 1))
        }
        if prior + delay > timeoutMilliseconds {
            delay = timeoutMilliseconds - prior
            if delay <= 0 { return false }
        }
        waits.wrappingAdd(1, ordering: .relaxed)
        usleep(useconds_t(delay * 1000))
        return true
    }
}
