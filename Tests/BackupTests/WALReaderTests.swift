import Foundation
import GRDB
import SQLiteSupport
import TestFixtures
import Testing

@testable import Backup

/// The WAL reader against WAL files SQLite wrote: frames, commit boundaries, the salt change after a checkpoint, and a
/// torn or corrupted last frame.
@Suite struct WALReaderTests {
    /// A WAL database that is never checkpointed automatically or on close.
    func open(_ url: URL) throws -> DatabaseQueue {
        try DatabaseQueue(
            path: url.path, configuration: SQLiteConfiguration(disableWALAutoCheckpoint: true).grdbConfiguration)
    }

    func wal(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: url.path + "-wal"))) }

    @Test func readsFramesUpToTheLastCommit() async throws {
        try await withTemporaryDirectory { root in
            let url = root.appendingPathComponent("db.sqlite")
            let queue = try open(url)
            try queue.write { db in try db.execute(sql: "CREATE TABLE t (v TEXT)") }
            for i in 0..<3 {
                try queue.write { db in
                    try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [String(repeating: "x", count: 3000 + i)])
                }
            }
            let bytes = try wal(url)
            let header = try #require(WALReader.header(bytes[...]))
            #expect(header.pageSize == 4096 && header.offset == 32)
            let (length, end) = WALReader.committedFrames(bytes[WALReader.headerSize...], after: header)
            #expect(length == bytes.count - WALReader.headerSize)
            #expect(end.offset == bytes.count)
            var start = header
            start.offset = 0
            start.checksum = (0, 0)
            let segment = WALSegment(start: start, bytes: bytes)
            let (transactions, segmentEnd) = try segment.transactions(after: nil, object: "test")
            // journal_mode=WAL's own write, CREATE TABLE, three inserts: each one commit frame.
            #expect(transactions.count >= 4)
            #expect(segmentEnd == end)
            // The encoded payload round-trips.
            #expect(try WALSegment(decoding: segment.encoded(), object: "test") == segment)

            // A torn last frame: the last transaction is not committed.
            let frame = WALReader.frameHeaderSize + header.pageSize
            let torn = Array(bytes.dropLast(10))
            let (tornLength, _) = WALReader.committedFrames(torn[WALReader.headerSize...], after: header)
            #expect(tornLength < length && tornLength % frame == 0)
            let lastCommitBefore = transactions.dropLast().reduce(0) { $0 + $1.pages.count } * frame
            #expect(tornLength == lastCommitBefore)
            // A flipped byte in the last frame's page: its checksum fails, the same.
            var flipped = bytes
            flipped[flipped.count - 100] ^= 0xff
            #expect(WALReader.committedFrames(flipped[WALReader.headerSize...], after: header).length == lastCommitBefore)
            // Continuing from the end finds nothing new.
            #expect(WALReader.committedFrames(bytes[end.offset...], after: end).length == 0)
            try queue.close()
        }
    }

    @Test func aCheckpointedWALRestartsWithTheNextSalt() async throws {
        try await withTemporaryDirectory { root in
            let url = root.appendingPathComponent("db.sqlite")
            let queue = try open(url)
            try queue.write { db in try db.execute(sql: "CREATE TABLE t (v TEXT)") }
            let before = try #require(WALReader.header(try wal(url)[...]))
            let done = try #require(try SQLiteWriterLock.withLock(path: url.path) { checkpoint, _ in try checkpoint() })
            #expect(done.complete && done.frames > 0)
            try queue.write { db in try db.execute(sql: "INSERT INTO t VALUES ('after')") }
            let bytes = try wal(url)
            let after = try #require(WALReader.header(bytes[...]))
            #expect(after.salt1 == before.salt1 &+ 1 && after.salt2 != before.salt2)
            // Frames of the old incarnation left behind the new ones are not read as committed.
            let (length, _) = WALReader.committedFrames(bytes[WALReader.headerSize...], after: after)
            #expect(length > 0 && length % after.frameSize == 0 && length < bytes.count - WALReader.headerSize)
            // The segment continuing the old incarnation is refused against the new one.
            #expect(WALReader.committedFrames(bytes[WALReader.headerSize...], after: before).length == 0)
            try queue.close()
        }
    }
}
