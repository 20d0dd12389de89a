import ATCore
import ActorStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PDSTestSupport
import Synchronization
import Testing

@testable import PDSServer
@testable import Sequencer

/// The write pipeline's guarantee (DESIGN §4, ``RepoWriter``): pipelined sequencing lets an account's next write
/// start before the previous event is durable, yet every write is acknowledged only once its event is durable, in
/// order, and a crash in between loses no acknowledged write.
@Suite struct RepoWriterTests {
    /// Holds the sequencer's writer while closed; once broken, every batch fails (a process that died).
    final class WriterGate: Sendable {
        private struct State {
            var closed = false
            var broken = false
            var waiting = 0
        }

        private let state = Mutex(State())
        private let opened = DispatchSemaphore(value: 0)

        func close() { state.withLock { $0.closed = true } }

        /// Opens the gate; `broken` makes the held batch (and every later one) fail without writing.
        func open(broken: Bool = false) {
            let waiting = state.withLock { state in
                state.closed = false
                state.broken = state.broken || broken
                defer { state.waiting = 0 }
                return state.waiting
            }
            for _ in 0..<waiting { opened.signal() }
        }

        /// Batches waiting at the gate.
        var waiting: Int { state.withLock { $0.waiting } }

        struct Crashed: Error {}

        /// The sequencer's `beforeWrite`.
        func pass() throws {
            let mustWait = state.withLock { state in
                if state.closed { state.waiting += 1 }
                return state.closed
            }
            if mustWait { opened.wait() }
            if state.withLock({ $0.broken }) { throw Crashed() }
        }
    }

    static func post(_ xrpc: XRPCTestClient, _ account: XRPCSession, _ text: String) async throws -> XRPCReply {
        try await xrpc.createRecord(account, record: XRPCTestClient.post(text))
    }

    static func rev(_ reply: XRPCReply) throws -> String {
        try #require(try reply.decode(XRPCWriteOutput.self).commit?.rev)
    }

    /// A server whose sequencer writer passes through a ``WriterGate``, with one account, and the seq before `body`.
    static func withGatedServer(
        _ body: @escaping @Sendable (PDSServices, WriterGate, XRPCTestClient, XRPCSession, Int64) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { dir in
            let gate = WriterGate()
            let services = try TestApplication.services(dataDirectory: dir, sequencerBeforeWrite: { try gate.pass() })
            try await TestApplication.make(services: services).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                try await body(services, gate, xrpc, alice, try await services.sequencer.currentSeq())
            }
        }
    }

    @Test func overlappingWritesOfOneAccountAreAcknowledgedInOrderWithConsecutiveSeqs() async throws {
        try await Self.withGatedServer { services, gate, xrpc, alice, before in
            gate.close()
            let first = Task { try await Self.post(xrpc, alice, "first") }
            try await eventually("the first event at the writer", interval: .milliseconds(5)) { gate.waiting == 1 }
            // The first write's event is not durable, yet the account's next write runs its whole critical
            // section and queues its event behind it.
            let second = Task { try await Self.post(xrpc, alice, "second") }
            try await eventually("the second event queued", interval: .milliseconds(5)) {
                services.sequencer.pipeline.queuedCount == 1
            }
            #expect(try await services.events(after: before).isEmpty)
            gate.open()

            let (one, two) = (try await first.value, try await second.value)
            #expect(one.status == .ok && two.status == .ok)
            let events = try await services.events(after: before)
            #expect(events.map(\.seq) == [before + 1, before + 2])
            #expect(events.map(\.type) == [.append, .append])
            #expect(events[0].body["rev"]?.string == (try Self.rev(one)))
            #expect(events[1].body["rev"]?.string == (try Self.rev(two)))
            #expect(events[1].body["since"]?.string == (try Self.rev(one)))
            #expect(try Self.rev(one) < (try Self.rev(two)))
        }
    }

    @Test func aWriteIsNotAcknowledgedBeforeItsEventIsDurable() async throws {
        try await Self.withGatedServer { services, gate, xrpc, alice, before in
            gate.close()
            let answered = Atomic<Bool>(false)
            let write = Task {
                let reply = try await Self.post(xrpc, alice, "held")
                answered.store(true, ordering: .releasing)
                return reply
            }
            try await eventually("the event at the writer", interval: .milliseconds(5)) { gate.waiting == 1 }
            // The actor commit is in the store, but the client has no answer while the event is not durable.
            let stored = try await services.actorStore.read(try DID(alice.did)) { try $0.record.recordCount() }
            #expect(stored == 1)
            try await Task.sleep(for: .milliseconds(50))
            let answeredEarly = answered.load(ordering: .acquiring)
            #expect(!answeredEarly)
            gate.open()
            #expect(try await write.value.status == .ok)
            #expect(try await services.events(after: before).map(\.seq) == [before + 1])
        }
    }

    @Test func aCrashBetweenTheActorCommitAndTheEventWriteLosesNoAcknowledgedWrite() async throws {
        try await withTemporaryDirectory { dir in
            let gate = WriterGate()
            let services = try TestApplication.services(dataDirectory: dir, sequencerBeforeWrite: { try gate.pass() })
            let (alice, acknowledged, inFlight) = try await TestApplication.make(services: services).test(.router) {
                client in
                let xrpc = XRPCTestClient(client)
                let alice = try await xrpc.createAccount(handle: "alice.test")
                var acknowledged: [String] = []
                for text in ["one", "two"] {
                    let reply = try await Self.post(xrpc, alice, text)
                    #expect(reply.status == .ok)
                    acknowledged.append(try reply.decode(XRPCWriteOutput.self).rkey)
                }
                gate.close()
                let inFlight = Task { try await Self.post(xrpc, alice, "in flight") }
                try await eventually("the event at the writer", interval: .milliseconds(5)) { gate.waiting == 1 }
                return (alice, acknowledged, inFlight)
            }
            // The process dies here: its last event was never written (the gate breaks the batch, as a kill would).
            gate.open(broken: true)
            _ = await inFlight.result
            await services.actorStore.close()

            // Restart over the same data directory: the start-up reconcile runs before requests are accepted.
            let restarted = try TestApplication.services(dataDirectory: dir)
            try await TestApplication.make(services: restarted).test(.router) { client in
                let xrpc = XRPCTestClient(client)
                let did = try DID(alice.did)
                let records = try await restarted.actorStore.read(did) { try $0.record.recordCount() }
                #expect(records == 3)  // both acknowledged writes, and the durable one that was never answered
                for rkey in acknowledged {
                    let reply = try await xrpc.call(
                        "com.atproto.repo.getRecord", query: "repo=\(alice.did)&collection=app.bsky.feed.post&rkey=\(rkey)")
                    #expect(reply.status == .ok)
                }
                // The firehose: the acknowledged writes' #commits, then a #sync of the root that the lost event
                // described, so relays catch up.
                let events = try await restarted.events(after: nil).filter { $0.did == did }
                let root = try #require(try await restarted.actorStore.read(did) { try $0.repo.root() })
                #expect(events.suffix(3).map(\.type) == [.append, .append, .sync])
                #expect(events.last?.body["rev"]?.string == root.rev.rawValue)
            }
        }
    }
}
