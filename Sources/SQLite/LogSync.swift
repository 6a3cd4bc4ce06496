#if canImport(Glibc)
import Glibc
#endif

/// Makes the write-ahead log durable after a commit, outside the writer lock, and tells each committer when
/// its commit is on stable storage.
///
/// The writer connection runs with `synchronous=NORMAL`: SQLite writes a commit's frames to the log and makes
/// them visible, but does not sync the log (it still syncs it before every checkpoint, and the database file
/// after). `Database.write` then waits here, with the writer lock released, until an `fdatasync` of the log that
/// began after its commit has returned: no call returns before its commit is durable, exactly as with
/// `synchronous=FULL`, but the next batch's bodies run on the writer while this batch's sync is in flight (on a
/// virtual disk one sync costs 0.3–1 ms, as long as the bodies of a whole batch). Syncs are grouped as commits
/// are: one that begins covers every commit recorded before it, and a caller that finds a sync running waits for
/// it, then syncs once for everything committed since.
///
/// The log is a prefix-consistent record (each frame's checksum chains to the one before, and recovery stops at
/// the first frame that does not match), so a crash before a sync loses the unsynced commits at the end and
/// nothing before them; none of those was acknowledged. What differs from `synchronous=FULL`: a reader can see
/// a commit before its sync has returned (SQLite publishes the frames on commit). Across a power loss such a
/// commit can vanish after a reader saw it; a process crash (kill -9) loses nothing, the frames being in the
/// kernel's page cache already.
///
/// A failed sync is permanent: after Linux reports a writeback error it may drop the unwritten pages and report
/// success later, so no later sync can vouch for them. Every waiting and later write then fails with
/// `DatabaseError.logSyncFailed` (reads go on); the process must be restarted so that recovery starts from what
/// is on disk (PostgreSQL reaches the same conclusion and stops).
final class LogSync: @unchecked Sendable {
    // Invariant: every `var` below is read and written only while `mutex` is held, except `fd`, which is used
    // only by the thread that set `syncing` (one at a time) and by `close`, after which no sync starts.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let synced = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Commits whose frames have been written to the log (by `write(2)`, not yet necessarily on disk).
    private var committed: UInt64 = 0
    /// Commits known to be on disk.
    private var durable: UInt64 = 0
    private var syncing = false
    private var failure: Int32 = 0
    private var closed = false
    private var syncCount: UInt64 = 0
    private var fd: Int32 = -1
    private let logPath: String

    init(databasePath: String) {
        logPath = databasePath + "-wal"
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(synced, nil)
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        pthread_cond_destroy(synced)
        pthread_mutex_destroy(mutex)
        synced.deallocate()
        mutex.deallocate()
    }

    /// Records a commit; called by the writer, under the writer lock, once `COMMIT` has returned. The result is
    /// the commit's ticket for `waitUntilDurable`.
    func recordCommit() -> UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        committed += 1
        return committed
    }

    /// The error every write gets once a sync has failed.
    var failed: DatabaseError? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return failure == 0 ? nil : .logSyncFailed(errno: failure)
    }

    /// `fdatasync` calls made so far (each covers every commit recorded before it began).
    var syncs: UInt64 {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return syncCount
    }

    /// Commits recorded and commits on disk (`durable <= committed`; equal when no sync is pending).
    var counts: (committed: UInt64, durable: UInt64) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return (committed, durable)
    }

    /// Returns once the commit with `ticket` is on disk, syncing the log itself unless a sync that covers it is
    /// already running. Called without the writer lock.
    func waitUntilDurable(_ ticket: UInt64) throws(DatabaseError) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while durable < ticket {
            if failure != 0 { throw .logSyncFailed(errno: failure) }
            if closed { throw .closed }
            if syncing {
                pthread_cond_wait(synced, mutex)
                continue
            }
            syncing = true
            // Every commit recorded so far has its frames in the kernel already: this sync covers them all.
            let target = committed
            pthread_mutex_unlock(mutex)
            let error = syncLog()
            pthread_mutex_lock(mutex)
            syncing = false
            syncCount += 1
            if error == 0 { durable = max(durable, target) } else if failure == 0 { failure = error }
            pthread_cond_broadcast(synced)
        }
    }

    /// Stops later syncs and closes the log's descriptor; waits for a running sync. `Database.close` makes every
    /// commit durable first.
    func close() {
        pthread_mutex_lock(mutex)
        while syncing { pthread_cond_wait(synced, mutex) }
        closed = true
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        pthread_cond_broadcast(synced)
        pthread_mutex_unlock(mutex)
    }

    /// `fdatasync` of the log through a descriptor of our own (SQLite's is private to it; a sync is per file, not
    /// per descriptor). The log is reopened if the path now names another file, and the first time a log file is
    /// opened its directory is synced too (`FileSystem.syncDirectory`), so that the file's name is as durable as its
    /// contents. Returns 0 or the errno of the log's own sync.
    private func syncLog() -> Int32 {
        var onDisk = stat()
        if stat(logPath, &onDisk) != 0 { return errno }
        if fd >= 0 {
            var open = stat()
            if fstat(fd, &open) != 0 || open.st_ino != onDisk.st_ino || open.st_dev != onDisk.st_dev {
                Glibc.close(fd)
                fd = -1
            }
        }
        if fd < 0 {
            let opened = Glibc.open(logPath, O_RDONLY | O_CLOEXEC)
            if opened < 0 { return errno }
            fd = opened
            FileSystem.syncDirectory(of: logPath)
        }
        while fdatasync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }
}
