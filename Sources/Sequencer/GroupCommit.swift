import Foundation

/// Group commit: callers on different threads that submit at the same time share one write.
///
/// The first caller to find no write in progress becomes the leader: it takes every pending submission (up to
/// `maxBatch`), runs `write` once for all of them, hands each caller its own output, and wakes the others. Callers
/// that arrive while a write runs queue up and go in the next one. With one caller at a time this is a plain call
/// (no waiting, no extra thread); with many, one `synchronous=FULL` commit — one fsync — covers a whole batch.
///
/// Blocking: meant for threads that may block (the actor's write critical section runs on a GRDB writer queue), not
/// for the cooperative pool.
final class GroupCommit<Item, Output>: @unchecked Sendable {
    // @unchecked: `pending` and `writing` are only touched with `condition` locked; a request's `result` is
    // written by the leader under the lock and read by its owner under the lock.
    private final class Request {
        let item: Item
        var result: Result<Output, any Error>?

        init(_ item: Item) { self.item = item }
    }

    private let condition = NSCondition()
    private var pending: [Request] = []
    private var writing = false
    private let maxBatch: Int
    private let write: ([Item]) throws -> [Output]

    /// A group commit.
    /// - Parameters:
    ///   - maxBatch: the most submissions one write may take.
    ///   - write: writes a batch, in submission order, returning one output per item; if it throws, every
    ///     submission in the batch gets the error.
    init(maxBatch: Int, write: @escaping ([Item]) throws -> [Output]) {
        precondition(maxBatch > 0)
        self.maxBatch = maxBatch
        self.write = write
    }

    /// The submissions waiting for the next write (for tests).
    var pendingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Submits `item` and blocks until the write that took it has finished.
    /// - Parameters:
    ///   - item: what to write.
    /// - Returns: its output.
    /// - Throws: the error of the write that took it.
    func submit(_ item: Item) throws -> Output {
        let request = Request(item)
        condition.lock()
        pending.append(request)
        while request.result == nil {
            if writing {
                condition.wait()
                continue
            }
            writing = true
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            condition.unlock()
            let outcome = Result { try write(batch.map(\.item)) }
            condition.lock()
            switch outcome {
            case .success(let outputs) where outputs.count == batch.count:
                for (waiting, output) in zip(batch, outputs) { waiting.result = .success(output) }
            case .success:
                preconditionFailure("GroupCommit write returned the wrong number of outputs")
            case .failure(let error):
                for waiting in batch { waiting.result = .failure(error) }
            }
            writing = false
            condition.broadcast()
        }
        let result = request.result!
        condition.unlock()
        return try result.get()
    }
}
