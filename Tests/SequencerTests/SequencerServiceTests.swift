import ATCore
import Foundation
import GRDB
import Logging
import SQLiteSupport
import ServiceLifecycle
import Synchronization
import TestFixtures
import Testing

@testable import Sequencer

/// The sequencer inside the server: under a `ServiceGroup`, inside another database's transaction, and retrying
/// while another process holds the write lock.
@Suite struct SequencerServiceTests {
    @Test func gracefulShutdownStopsTheServiceAndEndsLiveStreams() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir, retention: .seconds(86_400))
            let outbox = Outbox(sequencer: sequencer)
            let group = ServiceGroup(services: [sequencer], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let reader = Task {
                    var iterator = outbox.events(cursor: 0).makeAsyncIterator()
                    var seqs: [Int64] = []
                    while let item = try await iterator.next() { seqs.append(item.seq ?? -1) }
                    return seqs
                }
                try await sequencer.sequence([identityEvent(1)])
                #expect(await eventually { sequencer.liveSubscriberCount == 1 })
                try await sequencer.sequence([identityEvent(2)])
                await group.triggerGracefulShutdown()
                // The stream ends (rather than hanging) once the service has stopped.
                #expect(try await reader.value == [1, 2])
                try await tasks.waitForAll()
            }
            #expect(sequencer.liveSubscriberCount == 0)
        }
    }

    /// `sequenceBlocking` can be called from another database's critical section (it runs on that database's writer),
    /// as a reconcile does.
    @Test func sequencingFromInsideAnotherDatabasesTransaction() async throws {
        try await withTemporaryDirectory { dir in
            let sequencer = try makeSequencer(dir)
            let actor = try DatabaseQueue(path: dir.appendingPathComponent("store.sqlite").path)
            let seqs = try actor.write { db -> [Int64] in
                try db.execute(sql: "CREATE TABLE t (x)")
                try db.execute(sql: "INSERT INTO t VALUES (1)")
                return try sequencer.sequenceBlocking([identityEvent(1), identityEvent(2)])
            }
            #expect(seqs == [1, 2])
            let afterCommit = try actor.writeWithoutTransaction { db -> Int64 in
                try db.inTransaction {
                    try db.execute(sql: "INSERT INTO t VALUES (2)")
                    return .commit
                }
                return try sequencer.sequenceBlocking([identityEvent(3)])[0]
            }
            #expect(afterCommit == 3)
        }
    }

    /// Another process holds the write lock past the busy timeout: the first try fails, the retry succeeds.
    @Test func sequencingRetriesWhileTheLockIsHeld() async throws {
        try await withTemporaryDirectory { dir in
            let release = DispatchSemaphore(value: 0)
            let warnings = Mutex<[String]>([])
            let logger = Logger(label: "test") { _ in
                CallbackLogHandler { message in
                    warnings.withLock { $0.append(message) }
                    release.signal()  // the first attempt failed: let the other process finish
                }
            }
            func sequencer(retries: Int) throws -> Sequencer {
                var configuration = Sequencer.Configuration(
                    databaseURL: dir.appendingPathComponent("sequencer.sqlite"),
                    sqlite: SQLiteConfiguration(busyTimeout: .milliseconds(20), synchronousNormal: false))
                configuration.retryDelays = Array(repeating: .milliseconds(10), count: retries)
                return try Sequencer(configuration: configuration, logger: logger)
            }
            let once = try sequencer(retries: 0)
            let patient = try sequencer(retries: 4)
            let other = try DatabaseQueue(path: dir.appendingPathComponent("sequencer.sqlite").path)
            let holding = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                try? other.write { db in
                    try db.execute(sql: "UPDATE kysely_migration_lock SET is_locked = 0")
                    holding.signal()
                    release.wait()
                }
                done.signal()
            }
            holding.wait()
            // One attempt gives up after the busy timeout.
            await #expect(throws: DatabaseError.self) { try await once.sequence([identityEvent(1)]) }
            #expect(warnings.withLock { $0 }.isEmpty)
            // With retries, the first failure is logged, the log releases the lock, and a later attempt succeeds.
            let seqs = try await patient.sequence([identityEvent(1)])
            done.wait()
            #expect(seqs == [1])
            #expect(warnings.withLock { $0 }.first == "Sequencing failed, retrying")
        }
    }
}

/// A log handler that reports each message at warning level or above.
struct CallbackLogHandler: LogHandler {
    var onMessage: @Sendable (String) -> Void
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    init(_ onMessage: @escaping @Sendable (String) -> Void) {
        self.onMessage = onMessage
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if event.level >= .warning { onMessage(event.message.description) }
    }
}
