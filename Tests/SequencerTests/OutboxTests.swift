import ATCore
import Foundation
import TestFixtures
import Testing

@testable import Sequencer

/// The subscribeRepos stream: cursor rules, backfill → live cut-over, backpressure, the poll backstop.
@Suite struct OutboxTests {
    @Test func withoutACursorOnlyLiveEventsArrive() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence([identityEvent(1), identityEvent(2)])
            var iterator = Outbox(sequencer: sequencer).events(cursor: nil).makeAsyncIterator()
            #expect(sequencer.liveSubscriberCount == 1)
            try await sequencer.sequence([identityEvent(3)])
            try await sequencer.sequence([identityEvent(4), identityEvent(5)])
            let items = try await take(3, from: &iterator)
            #expect(items.map(\.seq) == [3, 4, 5])
        }
    }

    @Test func backfillPagesThenGoesLive() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            for start in stride(from: 0, to: 1_234, by: 100) {
                try await sequencer.sequence((start..<min(start + 100, 1_234)).map(identityEvent))
            }
            var iterator = Outbox(sequencer: sequencer).events(cursor: 10).makeAsyncIterator()
            let backfill = try await take(1_224, from: &iterator)
            #expect(backfill.map(\.seq) == (11...1_234).map { Int64($0) })
            try await sequencer.sequence([identityEvent(1)])
            let live = try await take(1, from: &iterator)
            #expect(live.map(\.seq) == [1_235])
            #expect(sequencer.liveSubscriberCount == 1)
        }
    }

    @Test func cursorAtTheHeadIsLive() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence([identityEvent(1), identityEvent(2)])
            let outbox = Outbox(sequencer: sequencer)
            let reader = Task {
                var iterator = outbox.events(cursor: 2).makeAsyncIterator()
                return try await take(1, from: &iterator)
            }
            #expect(await eventually { sequencer.liveSubscriberCount == 1 })
            try await sequencer.sequence([identityEvent(3)])
            #expect(try await reader.value.map(\.seq) == [3])
        }
    }

    /// Writers keep sequencing while consumers backfill and cut over: every consumer sees every seq after its
    /// cursor exactly once, in order.
    @Test func cutoverUnderConcurrentWritersHasNoGapsOrDuplicates() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let outbox = Outbox(sequencer: sequencer)
            for start in stride(from: 0, to: 700, by: 50) {
                try await sequencer.sequence((start..<start + 50).map(identityEvent))
            }
            for iteration in 0..<12 {
                let head = try await sequencer.currentSeq()
                let cursors: [Int64] = [head - 650, head - 120, head - 1, head]
                let writes = 3 * 60
                let final = head + Int64(writes)
                try await withThrowingTaskGroup(of: [Int64].self) { group in
                    for cursor in cursors {
                        group.addTask {
                            try await Self.collect(outbox.events(cursor: cursor, maxBuffer: 100_000), through: final)
                        }
                    }
                    group.addTask {
                        // Three writers on GCD threads (`sequence` blocks), small batches and single events.
                        await withTaskGroup(of: Void.self) { writers in
                            for writer in 0..<3 {
                                writers.addTask {
                                    await withCheckedContinuation { continuation in
                                        DispatchQueue.global().async {
                                            var written = 0
                                            while written < 60 {
                                                let size = min(1 + (written + writer) % 3, 60 - written)
                                                _ = try? sequencer.sequenceBlocking(
                                                    (0..<size).map { identityEvent(writer * 100 + $0) })
                                                written += size
                                            }
                                            continuation.resume()
                                        }
                                    }
                                }
                            }
                        }
                        return []
                    }
                    var collected: [[Int64]] = []
                    for try await seqs in group where !seqs.isEmpty { collected.append(seqs) }
                    #expect(collected.count == cursors.count, "iteration \(iteration)")
                    for seqs in collected {
                        guard let first = seqs.first else { continue }
                        #expect(seqs == Array(first...final), "iteration \(iteration): gap or duplicate")
                        #expect(cursors.contains(first - 1))
                    }
                }
                #expect(try await sequencer.currentSeq() == final)
            }
        }
    }

    /// Reads `events` until `final`; gives up (returning what it has) if that takes unreasonably long, so a lost
    /// event fails the test instead of hanging it.
    static func collect(_ events: OutboxEvents, through final: Int64) async throws -> [Int64] {
        try await withThrowingTaskGroup(of: [Int64]?.self) { group in
            group.addTask {
                var seqs: [Int64] = []
                var iterator = events.makeAsyncIterator()
                while seqs.last != final, let item = try await iterator.next() {
                    if let seq = item.seq { seqs.append(seq) }
                }
                return seqs
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(120))
                return nil
            }
            while let result = try await group.next() {
                if let seqs = result {
                    group.cancelAll()
                    return seqs
                }
                group.cancelAll()
            }
            return []
        }
    }

    @Test func aCursorInTheFutureIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence([identityEvent(1), identityEvent(2), identityEvent(3)])
            var iterator = Outbox(sequencer: sequencer).events(cursor: 4).makeAsyncIterator()
            await #expect(throws: SequencerError.futureCursor) { try await iterator.next() }
            #expect(try await iterator.next() == nil)
            #expect(
                SequencerError.futureCursor.subscriptionFrame
                    == .error(name: "FutureCursor", message: "Cursor in the future."))

            // After a restore, cursors up to the raised counter are accepted.
            try sequencer.ensureSeqAtLeast(10)
            let outbox = Outbox(sequencer: sequencer)
            let reader = Task {
                var accepted = outbox.events(cursor: 10).makeAsyncIterator()
                return try await take(1, from: &accepted)
            }
            #expect(await eventually { sequencer.liveSubscriberCount == 1 })
            try await sequencer.sequence([identityEvent(4)])
            #expect(try await reader.value.map(\.seq) == [11])
        }
    }

    @Test func anOutdatedCursorGetsInfoThenTheWindow() async throws {
        try await withTemporaryDirectory { dir in
            let clock = TestWallClock()
            let sequencer = try makeSequencer(dir, clock: clock, backfillLimit: .seconds(86_400))
            for n in 0..<5 { try await sequencer.sequence([identityEvent(n)]) }  // 1...5, two days old
            clock.advance(by: .seconds(2 * 86_400))
            for n in 5..<8 { try await sequencer.sequence([identityEvent(n)]) }  // 6...8, now
            let outbox = Outbox(sequencer: sequencer)

            var outdated = outbox.events(cursor: 2).makeAsyncIterator()
            let items = try await take(4, from: &outdated)
            #expect(items.first == .outdatedCursor)
            #expect(items.dropFirst().map(\.seq) == [6, 7, 8])
            guard case .message("#info", let body) = try SubscriptionFrame(bytes: items[0].frameBytes) else {
                Issue.record("not an #info frame")
                return
            }
            #expect(body["name"]?.string == "OutdatedCursor")

            // A cursor inside the window: no #info.
            var recent = outbox.events(cursor: 6).makeAsyncIterator()
            #expect(try await take(2, from: &recent).map(\.seq) == [7, 8])

            // Nothing at all inside the window: #info, then live.
            clock.advance(by: .seconds(2 * 86_400))
            let before = sequencer.liveSubscriberCount
            let reader = Task {
                var stale = outbox.events(cursor: 0).makeAsyncIterator()
                return try await take(2, from: &stale)
            }
            #expect(await eventually { sequencer.liveSubscriberCount == before + 1 })
            try await sequencer.sequence([identityEvent(9)])
            let staleItems = try await reader.value
            #expect(staleItems.first == .outdatedCursor)
            #expect(staleItems.dropFirst().map(\.seq) == [9])
        }
    }

    @Test func aConsumerThatDoesNotReadIsCutOff() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            var iterator = Outbox(sequencer: sequencer).events(cursor: nil, maxBuffer: 5).makeAsyncIterator()
            for n in 0..<5 { try await sequencer.sequence([identityEvent(n)]) }
            #expect(sequencer.liveSubscriberCount == 1)
            try await sequencer.sequence([identityEvent(6)])  // the sixth undelivered event overflows the buffer
            #expect(sequencer.liveSubscriberCount == 0)
            await #expect(throws: SequencerError.consumerTooSlow) { try await iterator.next() }
            #expect(try await iterator.next() == nil)

            // A consumer that keeps up with the same bound is fine.
            var reader = Outbox(sequencer: sequencer).events(cursor: nil, maxBuffer: 5).makeAsyncIterator()
            for n in 0..<20 {
                try await sequencer.sequence([identityEvent(n)])
                #expect(try await reader.next()?.seq == Int64(7 + n))
            }
        }
    }

    @Test func framesAreTheEncodedMessages() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence([identityEvent(1)])
            var frames = Outbox(sequencer: sequencer).frames(cursor: 0).makeAsyncIterator()
            let bytes = try #require(try await frames.next())
            guard case .message("#identity", let body) = try SubscriptionFrame(bytes: bytes) else {
                Issue.record("not an #identity frame")
                return
            }
            #expect(body["seq"]?.integer == 1)
            #expect(body["did"]?.string == testDID(1).rawValue)
            #expect(body["handle"]?.string == "user1.test")
            #expect(body["time"]?.string.map { (try? Datetime($0)) != nil } == true)
        }
    }

    /// Rows another process inserted reach live subscribers: through the poll backstop, or ahead of the next
    /// in-process insert.
    @Test func rowsFromAnotherProcessAreDelivered() async throws {
        try await withTemporaryDirectory { dir in
            let server = try makeSequencer(dir)
            let cli = try makeSequencer(dir)  // a second connection to the file, like the admin CLI
            let outbox = Outbox(sequencer: server)

            // Without the poll: the server's own next insert sends the CLI's rows first.
            var iterator = outbox.events(cursor: nil).makeAsyncIterator()
            try await cli.sequence([identityEvent(1), identityEvent(2)])
            try await server.sequence([identityEvent(3)])
            #expect(try await take(3, from: &iterator).map(\.seq) == [1, 2, 3])

            // With the poll backstop running.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                try await cli.sequence([identityEvent(4)])
                try await cli.sequence([identityEvent(5), identityEvent(6)])
                #expect(try await take(3, from: &iterator).map(\.seq) == [4, 5, 6])
                try await server.sequence([identityEvent(7)])
                try await cli.sequence([identityEvent(8)])
                #expect(try await take(2, from: &iterator).map(\.seq) == [7, 8])
                group.cancelAll()
            }
            // The service stopped: live streams end.
            #expect(try await iterator.next() == nil)
        }
    }

    @Test func cancellingTheConsumerEndsTheStream() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let outbox = Outbox(sequencer: sequencer)
            let consumer = Task {
                var iterator = outbox.events(cursor: nil).makeAsyncIterator()
                return try await iterator.next()
            }
            #expect(await eventually { sequencer.liveSubscriberCount == 1 })
            consumer.cancel()
            #expect(try await consumer.value == nil)
            #expect(await eventually { sequencer.liveSubscriberCount == 0 })
        }
    }
}
