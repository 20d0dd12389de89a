import ATCore
import Dispatch
import Foundation
import GRDB
import Logging
import Synchronization

/// Pipelined sequencing: appends are queued in order without waiting, and one writer makes them durable in batches.
///
/// ``enqueue(_:)`` fixes an append's place in the sequence and returns at once; the writer (a serial queue of the
/// sequencer's own, like a database's writer thread) takes everything queued, inserts it in queue order in one
/// `synchronous=FULL` transaction — one fsync per batch — publishes it to live subscribers and completes the tickets.
/// Appends queued while a batch is being written go in the next one, so the write critical section of an actor only
/// queues its `#commit`: the next write of the same actor can start while the previous event is made durable, and
/// concurrent writes of one actor or of many share fsyncs.
///
/// Order: seqs follow queue order, so the events of one actor, queued from its critical section, are in rev order.
///
/// Failures keep the firehose gap-free: when a batch fails after the retries, its accounts are *held*. The
/// account's appends still queued behind it fail too, and later appends are refused at once
/// (``SequencerError/held(_:)``), until an append made with `clearingHold` (the `#sync` of a reconcile, which first
/// waits for the account's queued appends with ``settle(_:)``) is durable. A `#commit` is never sequenced on top of
/// a missing one.
final class SequencingPipeline: Sendable {
    /// One queued append.
    struct Entry: Sendable {
        /// The accounts of the events.
        let dids: [DID]
        /// The encoded events, in order.
        let events: [Sequencer.PreparedEvent]
        /// Work in the same transaction, given the new seqs.
        let more: (@Sendable (Database, [Int64]) throws -> Void)?
        /// Whether this append releases its accounts' hold once durable.
        let clearsHold: Bool
        /// Where the outcome goes.
        let ticket: SequencingTicket
    }

    private struct State {
        var queue: [Entry] = []
        var head = 0
        var draining = false
        var inFlight: [DID: Int] = [:]
        var held: Set<DID> = []
        var settleWaiters: [DID: [DispatchSemaphore]] = [:]
    }

    private let state = Mutex(State())
    private let writer = DispatchQueue(label: "pds.sequencer.writer", qos: .userInitiated)
    private let maxBatch: Int
    private let retryDelays: [Duration]
    private let logger: Logger
    private let write: @Sendable ([Entry]) throws -> [[Int64]]

    /// A pipeline.
    /// - Parameters:
    ///   - maxBatch: the most appends one transaction takes.
    ///   - retryDelays: the waits between tries of a batch that failed with a database error.
    ///   - logger: where retries go.
    ///   - write: inserts a batch in one transaction and publishes it; returns each entry's seqs.
    init(
        maxBatch: Int, retryDelays: [Duration], logger: Logger,
        write: @escaping @Sendable ([Entry]) throws -> [[Int64]]
    ) {
        self.maxBatch = maxBatch
        self.retryDelays = retryDelays
        self.logger = logger
        self.write = write
    }

    /// Queues `entry` (or refuses it when one of its accounts is held) without waiting for the write.
    func enqueue(_ entry: Entry) {
        let (refused, startWriter) = state.withLock { state -> (DID?, Bool) in
            if !entry.clearsHold, let held = entry.dids.first(where: { state.held.contains($0) }) {
                return (held, false)
            }
            state.queue.append(entry)
            for did in entry.dids { state.inFlight[did, default: 0] += 1 }
            if state.draining { return (nil, false) }
            state.draining = true
            return (nil, true)
        }
        if let refused {
            entry.ticket.complete(.failure(SequencerError.held(refused)))
            return
        }
        if startWriter { writer.async { self.drain() } }
    }

    /// Blocks until no append of `did` is queued or being written.
    func settle(_ did: DID) {
        let semaphore = state.withLock { state -> DispatchSemaphore? in
            guard state.inFlight[did] != nil else { return nil }
            let semaphore = DispatchSemaphore(value: 0)
            state.settleWaiters[did, default: []].append(semaphore)
            return semaphore
        }
        semaphore?.wait()
    }

    /// Whether appends of `did` are refused until a reconcile.
    func isHeld(_ did: DID) -> Bool { state.withLock { $0.held.contains(did) } }

    /// Releases `did`'s hold (a reconcile found the firehose already up to date).
    func releaseHold(_ did: DID) { _ = state.withLock { $0.held.remove(did) } }

    /// The number of queued appends (for tests).
    var queuedCount: Int { state.withLock { $0.queue.count - $0.head } }

    // MARK: - The writer

    private func drain() {
        while true {
            let batch = state.withLock { state -> [Entry] in
                let end = min(state.queue.count, state.head + maxBatch)
                let batch = Array(state.queue[state.head..<end])
                state.head = end
                if state.head == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.head = 0
                }
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            complete(batch, result: writeWithRetries(batch))
        }
    }

    private func writeWithRetries(_ batch: [Entry]) -> Result<[[Int64]], any Error> {
        var result = Result { try write(batch) }
        var attempt = 0
        while case .failure(let error as DatabaseError) = result, attempt < retryDelays.count {
            logger.warning(
                "Sequencing failed, retrying",
                metadata: ["sequencer.attempt": "\(attempt + 1)", "error": "\(error.resultCode)"])
            Thread.sleep(forTimeInterval: retryDelays[attempt].timeInterval)
            attempt += 1
            result = Result { try write(batch) }
        }
        return result
    }

    private func complete(_ batch: [Entry], result: Result<[[Int64]], any Error>) {
        var dropped: [Entry] = []
        let waiters = state.withLock { state -> [DispatchSemaphore] in
            switch result {
            case .success:
                for entry in batch where entry.clearsHold { state.held.subtract(entry.dids) }
            case .failure:
                let failed = Set(batch.flatMap(\.dids))
                state.held.formUnion(failed)
                var kept: [Entry] = []
                for entry in state.queue[state.head...] {
                    if !entry.clearsHold, entry.dids.contains(where: failed.contains) {
                        dropped.append(entry)
                    } else {
                        kept.append(entry)
                    }
                }
                state.queue = kept
                state.head = 0
            }
            var waiters: [DispatchSemaphore] = []
            for entry in batch + dropped {
                for did in entry.dids {
                    let remaining = (state.inFlight[did] ?? 1) - 1
                    if remaining > 0 {
                        state.inFlight[did] = remaining
                    } else {
                        state.inFlight[did] = nil
                        waiters += state.settleWaiters.removeValue(forKey: did) ?? []
                    }
                }
            }
            return waiters
        }
        switch result {
        case .success(let seqs):
            for (entry, entrySeqs) in zip(batch, seqs) { entry.ticket.complete(.success(entrySeqs)) }
        case .failure(let error):
            for entry in batch { entry.ticket.complete(.failure(error)) }
            for entry in dropped { entry.ticket.complete(.failure(SequencerError.held(entry.dids[0]))) }
        }
        for waiter in waiters { waiter.signal() }
    }
}
