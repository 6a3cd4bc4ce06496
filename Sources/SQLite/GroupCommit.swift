#if canImport(Glibc)
import Glibc
#endif

/// The queue of write transactions waiting for the writer, and the leader election that turns them into group
/// commits.
///
/// Every `Database.write` call queues its body and sleeps. The first caller to find no leader becomes the
/// leader: it takes every queued body (its own among them), runs them on the writer connection inside one
/// `BEGIN IMMEDIATE` … `COMMIT`, each body in its own savepoint, then wakes the batch. Bodies that arrive
/// while a batch commits queue up and form the next batch, so under load one log sync (`LogSync`) makes
/// many transactions durable at once, and with one caller a batch is that caller alone: no waiting is added.
/// This is the group commit of database servers (InnoDB's binlog group commit, PostgreSQL's commit_delay
/// siblings), done with the leader/follower hand-off rather than a dedicated thread, so an idle database costs
/// no thread and a lone write no context switch.
final class WriteQueue: @unchecked Sendable {
    // Invariant: `pending`, `leaderActive` and every `WriteRequest.state` are touched only while `mutex` is held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var pending: [WriteRequest] = []
    private var leaderActive = false
    /// The most bodies one batch takes: a bound on how long the first of them waits for its commit.
    let maxBatch: Int

    init(maxBatch: Int) {
        self.maxBatch = max(1, maxBatch)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Bodies waiting for a leader to take them (a gauge).
    var queuedCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return pending.count
    }

    /// Queues `request` and returns once a batch holding it has finished and is durable, running batches itself
    /// whenever no other thread leads. `runBatch` is called with no lock held, by one thread at a time; it returns
    /// the ticket to wait for when anything in the batch committed. `awaitDurable` (no lock held) returns once that
    /// commit is on disk, or the error every member of the batch then gets.
    ///
    /// Leadership passes to the next batch as soon as `runBatch` returns, before this batch's sync: the next batch
    /// runs its bodies while this one's log sync is in flight (see `LogSync`). Members are woken only after it.
    ///
    /// Each request sleeps on its own condition variable and is woken exactly when its batch is done, or when it
    /// is first in line to lead the next batch: one shared condition broadcast would wake every waiter at each
    /// commit, and most would only go back to sleep (a context switch each, on a 2-core machine).
    func submit(_ request: WriteRequest, runBatch: ([WriteRequest]) -> UInt64?,
                awaitDurable: (UInt64) -> (any Error)?) {
        pthread_mutex_lock(mutex)
        pending.append(request)
        while !request.finished {
            // A member of a batch in flight waits for its leader, even when another thread leads by then.
            if leaderActive || request.taken {
                pthread_cond_wait(request.condition, mutex)
                continue
            }
            leaderActive = true
            let take = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(take))
            pending.removeFirst(take)
            for member in batch { member.taken = true }
            pthread_mutex_unlock(mutex)
            let ticket = runBatch(batch)
            pthread_mutex_lock(mutex)
            // The bodies are released here, before their callers wake: `Database.write` lends its non-escaping
            // body to the request, and it must be the only holder again when the call returns.
            for member in batch { member.run = nil }
            leaderActive = false
            // The first body still queued leads the next batch, while this one waits for its sync.
            if let next = pending.first { pthread_cond_signal(next.condition) }
            if let ticket {
                pthread_mutex_unlock(mutex)
                let error = awaitDurable(ticket)
                pthread_mutex_lock(mutex)
                if let error { for member in batch where member.committed { member.fail?(error) } }
            }
            for member in batch {
                member.fail = nil
                member.finished = true
                if member !== request { pthread_cond_signal(member.condition) }
            }
        }
        pthread_mutex_unlock(mutex)
    }
}

/// One queued write: a body that records its own outcome. Created and awaited by one `Database.write` call,
/// run by whichever thread leads its batch while that call sleeps.
final class WriteRequest: @unchecked Sendable {
    // Invariant: `run` and `fail` are called by the leader only, while the submitting thread is blocked in
    // `WriteQueue.submit`, and cleared under the queue's mutex before it wakes; `finished` is read and written
    // only under that mutex.
    /// Runs the body on the writer connection inside the open transaction; the submitter keeps the value.
    var run: ((Connection) throws -> Void)?
    /// Records the error that is the outcome of this write (the body's, the commit's, or the database's).
    var fail: ((any Error) -> Void)?
    var finished = false
    /// Taken into a batch: its leader wakes it (set and read under the queue's mutex).
    var taken = false
    /// Its body committed (set by the leader, which alone reads it): a failed log sync becomes its outcome.
    var committed = false
    /// Where the submitter sleeps (with the queue's mutex).
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(run: @escaping (Connection) throws -> Void, fail: @escaping (any Error) -> Void) {
        self.run = run
        self.fail = fail
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }
}
