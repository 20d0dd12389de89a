import Foundation
import TestFixtures
import Testing

@testable import Sequencer

/// The subscribers' positions behind the firehose lag metrics.
@Suite struct SubscriberRegistryTests {
    @Test func ticketsTrackPositionsUntilReleased() {
        let registry = SubscriberRegistry()
        var first: SubscriberTicket? = registry.register()
        let second = registry.register()
        #expect(registry.count == 2)
        #expect(registry.lags(head: 10).isEmpty)  // positions not known yet
        first?.delivered(4)
        second.delivered(9)
        #expect(registry.lags(head: 10).sorted() == [1, 6])
        first = nil
        #expect(registry.count == 1)
        #expect(registry.lags(head: 12) == [3])
    }

    @Test func anOutboxMovesItsTicketAsItDelivers() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            try await sequencer.sequence((1...5).map(identityEvent))
            let ticket = sequencer.subscribers.register()
            var iterator = Outbox(sequencer: sequencer).events(cursor: 0, ticket: ticket).makeAsyncIterator()
            _ = try await take(2, from: &iterator)
            #expect(sequencer.subscribers.lags(head: sequencer.headSeq) == [3])
            _ = try await take(3, from: &iterator)
            #expect(sequencer.subscribers.lags(head: sequencer.headSeq) == [0])
            try await sequencer.sequence([identityEvent(6), identityEvent(7)])
            #expect(sequencer.headSeq == 7)
            #expect(sequencer.subscribers.lags(head: sequencer.headSeq) == [2])
        }
    }
}
