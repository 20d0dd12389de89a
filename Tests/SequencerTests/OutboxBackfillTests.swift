import ATCore
import Foundation
import Synchronization
import TestFixtures
import Testing

@testable import Sequencer

/// What bounds a backfill's memory and concurrency: byte-bounded pages, the backfill gate, and the overflow signal.
@Suite struct OutboxBackfillTests {
    @Test func aRangeStopsAtTheRowThatReachesTheByteBudget() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence((1...10).map(identityEvent))
            let all = try await sequencer.requestSeqRange(after: nil, limit: 100)
            #expect(all.events.count == 10)
            #expect(!all.reachedByteBudget)
            let size = all.events[0].bodyBytes.count
            // Budget of two and a half events: the third row reaches it and is the last one read.
            let page = try await sequencer.requestSeqRange(after: nil, limit: 100, maxBytes: size * 5 / 2)
            #expect(page.events.map(\.seq) == [1, 2, 3])
            #expect(page.examined == 3)
            #expect(page.through == 3)
            #expect(page.reachedByteBudget)
            // However small the budget, a page holds one row.
            let tiny = try await sequencer.requestSeqRange(after: 3, limit: 100, maxBytes: 1)
            #expect(tiny.events.map(\.seq) == [4])
        }
    }

    /// Pages cut short by the byte budget are not mistaken for having caught up with the head: the backfill reads on
    /// and cuts over without gaps or duplicates while writers keep going.
    @Test func byteBoundedPagesBackfillEverythingThenGoLive() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence((0..<50).map(identityEvent))
            let outbox = Outbox(sequencer: sequencer, pageSize: 20, pageBytes: 1)
            let reader = Task {
                var iterator = outbox.events(cursor: 5).makeAsyncIterator()
                return try await take(95, from: &iterator).compactMap(\.seq)
            }
            for start in stride(from: 50, to: 100, by: 5) {
                try await sequencer.sequence((start..<start + 5).map(identityEvent))
            }
            #expect(try await reader.value == (6...100).map { Int64($0) })
        }
    }

    /// With one permit, a second backfill waits after its first page until the first one reaches the live stream.
    @Test func backfillsPastTheLimitWaitForAPermit() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir, maxConcurrentBackfills: 1)
            try await sequencer.sequence((0..<30).map(identityEvent))
            let gate = sequencer.backfillGate
            let outbox = Outbox(sequencer: sequencer, pageSize: 10)
            let (progress, reached) = AsyncStream.makeStream(of: Void.self)
            let (resumes, resume) = AsyncStream.makeStream(of: Void.self)
            let first = Task {
                var iterator = outbox.events(cursor: 0).makeAsyncIterator()
                var seqs = try await take(11, from: &iterator).compactMap(\.seq)  // into its second page
                reached.yield()
                for await _ in resumes { break }
                seqs += try await take(20, from: &iterator).compactMap(\.seq)  // the rest, then one live event
                return seqs
            }
            for await _ in progress { break }
            #expect(gate.running == 1)

            let second = Task {
                var iterator = outbox.events(cursor: 0).makeAsyncIterator()
                return try await take(30, from: &iterator).compactMap(\.seq)
            }
            #expect(await eventually { gate.waiting == 1 })
            #expect(gate.running == 1)

            // The first subscriber reads on into the live stream: its permit passes to the second.
            resume.yield()
            #expect(try await second.value == (1...30).map { Int64($0) })
            try await sequencer.sequence([identityEvent(31)])
            #expect(try await first.value == (1...31).map { Int64($0) })
        }
    }

    @Test func aSubscriberThatGoesAwayReturnsItsPermit() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir, maxConcurrentBackfills: 1)
            try await sequencer.sequence((0..<30).map(identityEvent))
            let outbox = Outbox(sequencer: sequencer, pageSize: 10)
            var first: OutboxEvents.Iterator? = outbox.events(cursor: 0).makeAsyncIterator()
            _ = try await take(11, from: &first!)
            #expect(sequencer.backfillGate.running == 1)
            first = nil
            #expect(sequencer.backfillGate.running == 0)
            var second = outbox.events(cursor: 0).makeAsyncIterator()
            #expect(try await take(30, from: &second).count == 30)
        }
    }

    /// A cursor with less than a page behind it never needs a permit, so it is not queued behind long backfills.
    @Test func aShortBackfillDoesNotWaitForAPermit() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir, maxConcurrentBackfills: 1)
            try await sequencer.sequence((0..<30).map(identityEvent))
            let outbox = Outbox(sequencer: sequencer, pageSize: 10)
            var long = outbox.events(cursor: 0).makeAsyncIterator()
            _ = try await take(11, from: &long)
            #expect(sequencer.backfillGate.running == 1)
            let recent = Task {
                var iterator = outbox.events(cursor: 25).makeAsyncIterator()
                return try await take(6, from: &iterator).compactMap(\.seq)
            }
            #expect(await eventually { sequencer.liveSubscriberCount == 1 })
            try await sequencer.sequence([identityEvent(31)])
            #expect(try await recent.value == [26, 27, 28, 29, 30, 31])
            #expect(sequencer.backfillGate.running == 1)
            #expect(sequencer.backfillGate.waiting == 0)
            withExtendedLifetime(long) {}
        }
    }

    /// The overflow is signalled when it happens, not when the consumer next asks (it may be stuck writing).
    @Test func anOverflowIsSignalledAtOnce() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let signals = Recorder<Void>()
            var iterator = Outbox(sequencer: sequencer)
                .events(cursor: nil, maxBuffer: 3, onOverflow: { signals.append(()) })
                .makeAsyncIterator()
            for n in 0..<3 { try await sequencer.sequence([identityEvent(n)]) }
            #expect(signals.values.count == 0)
            try await sequencer.sequence([identityEvent(3)])
            #expect(signals.values.count == 1)
            try await sequencer.sequence([identityEvent(4)])
            #expect(signals.values.count == 1)
            await #expect(throws: SequencerError.consumerTooSlow) { try await iterator.next() }
        }
    }
}
