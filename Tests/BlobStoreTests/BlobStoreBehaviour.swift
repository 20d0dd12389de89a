import ATCore
import Foundation
import NIOCore
import Testing

@testable import BlobStore

/// The behaviour every ``BlobStore`` must have; the disk and S3 suites run each case against their backend.
enum BlobStoreBehaviour: String, CaseIterable, Sendable {
    case tempThenPermanent
    case makePermanentIsIdempotent
    case putPermanentAndOverwrite
    case quarantineAndUnquarantine
    case deleteAndDeleteMany
    case deleteAllOnlyTouchesOneActor
    case rangeReads
    case listTempAndDeleteTemp
    case uploadPipeline
    case uploadExactlyAtLimit
    case uploadOverLimitLeavesNothing
    case failedStreamLeavesNothing
    case multiMegabyteStreaming

    /// Runs the case; `store` makes the store of a DID (two DIDs are used to check isolation).
    func run(_ store: (DID) -> any BlobStore) async throws {
        let alice = store(try DID("did:plc:alice7iza6de2dwap2sbkpav7"))
        let bob = store(try DID("did:web:bob.example%3A8443"))
        switch self {
        case .tempThenPermanent:
            let bytes = testBytes(100_000)
            let cid = CID.raw(hashing: bytes)
            let key = try await alice.putTemp(TestChunks(bytes))
            #expect(key.rawValue.count == 32)
            #expect(try await alice.hasTemp(key))
            #expect(try await !alice.hasStored(cid))
            await #expect(throws: BlobStoreError.notFound) { try await alice.getBytes(cid) }
            try await alice.makePermanent(tempKey: key, cid: cid)
            #expect(try await !alice.hasTemp(key))
            #expect(try await alice.hasStored(cid))
            #expect(try await alice.getBytes(cid).bytes == bytes)
            #expect(try await collect(alice.getStream(cid)) == bytes)
            let content = try await alice.get(cid, range: nil)
            #expect(content.size == bytes.count && content.range == nil && content.contentLength == bytes.count)
            #expect(try await !bob.hasStored(cid))

        case .makePermanentIsIdempotent:
            let bytes = Array("idempotent".utf8)
            let cid = CID.raw(hashing: bytes)
            let key = try await alice.putTemp(TestChunks(bytes))
            try await alice.makePermanent(tempKey: key, cid: cid)
            try await alice.makePermanent(tempKey: key, cid: cid)  // temp gone, permanent there: no-op
            #expect(try await alice.getBytes(cid).bytes == bytes)
            let missing = CID.raw(hashing: Array("never uploaded".utf8))
            await #expect(throws: BlobStoreError.notFound) {
                try await alice.makePermanent(tempKey: .random(), cid: missing)
            }

        case .putPermanentAndOverwrite:
            let bytes = testBytes(3000)
            let cid = CID.raw(hashing: bytes)
            try await alice.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
            try await alice.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
            #expect(try await alice.getBytes(cid).bytes == bytes)
            let empty = CID.raw(hashing: [UInt8]())
            try await alice.putPermanent(cid: empty, bytes: ByteBuffer())
            #expect(try await alice.getBytes(empty).readableBytes == 0)

        case .quarantineAndUnquarantine:
            let bytes = testBytes(5000, seed: 7)
            let cid = CID.raw(hashing: bytes)
            try await alice.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
            try await alice.quarantine(cid)
            #expect(try await !alice.hasStored(cid))
            await #expect(throws: BlobStoreError.notFound) { try await alice.get(cid, range: nil) }
            try await alice.quarantine(cid)  // already quarantined: no-op
            try await alice.unquarantine(cid)
            try await alice.unquarantine(cid)  // already back: no-op
            #expect(try await alice.getBytes(cid).bytes == bytes)
            let missing = CID.raw(hashing: Array("missing".utf8))
            await #expect(throws: BlobStoreError.notFound) { try await alice.quarantine(missing) }
            await #expect(throws: BlobStoreError.notFound) { try await alice.unquarantine(missing) }

        case .deleteAndDeleteMany:
            var cids: [CID] = []
            for i in 0..<5 {
                let bytes = testBytes(100 + i, seed: UInt64(i + 1))
                let cid = CID.raw(hashing: bytes)
                try await alice.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
                cids.append(cid)
            }
            try await alice.delete(cids[0])
            try await alice.delete(cids[0])  // missing: not an error
            #expect(try await !alice.hasStored(cids[0]))
            try await alice.deleteMany(Array(cids[1..<4]) + [CID.raw(hashing: Array("absent".utf8))])
            for cid in cids[0..<4] { #expect(try await !alice.hasStored(cid)) }
            #expect(try await alice.hasStored(cids[4]))
            try await alice.deleteMany([])

        case .deleteAllOnlyTouchesOneActor:
            let stored = testBytes(200, seed: 11)
            let quarantined = testBytes(300, seed: 12)
            try await alice.putPermanent(cid: .raw(hashing: stored), bytes: ByteBuffer(bytes: stored))
            try await alice.putPermanent(cid: .raw(hashing: quarantined), bytes: ByteBuffer(bytes: quarantined))
            try await alice.quarantine(.raw(hashing: quarantined))
            let temp = try await alice.putTemp(TestChunks(testBytes(400, seed: 13)))
            try await bob.putPermanent(cid: .raw(hashing: stored), bytes: ByteBuffer(bytes: stored))
            let bobTemp = try await bob.putTemp(TestChunks(testBytes(10)))
            try await alice.deleteAll()
            #expect(try await !alice.hasStored(.raw(hashing: stored)))
            #expect(try await !alice.hasTemp(temp))
            await #expect(throws: BlobStoreError.notFound) { try await alice.unquarantine(.raw(hashing: quarantined)) }
            #expect(try await bob.hasStored(.raw(hashing: stored)))
            #expect(try await bob.hasTemp(bobTemp))
            try await alice.deleteAll()  // nothing left: not an error

        case .rangeReads:
            let bytes = testBytes(1000, seed: 5)
            let cid = CID.raw(hashing: bytes)
            try await alice.putPermanent(cid: cid, bytes: ByteBuffer(bytes: bytes))
            let cases: [(BlobByteRange, ClosedRange<Int>?)] = [
                (.from(0, through: 9), 0...9),
                (.from(990, through: nil), 990...999),
                (.from(500, through: 5000), 500...999),
                (.suffix(10), 990...999),
                (.suffix(5000), nil),
                (.from(0, through: nil), nil),
            ]
            for (range, expected) in cases {
                let content = try await alice.get(cid, range: range)
                #expect(content.size == 1000, "\(range)")
                #expect(content.range == expected, "\(range)")
                let slice = Array(bytes[expected ?? 0...999])
                #expect(try await collect(content.body) == slice, "\(range)")
                #expect(content.contentLength == slice.count)
            }
            await #expect(throws: BlobStoreError.rangeNotSatisfiable(size: 1000)) {
                try await alice.get(cid, range: .from(1000, through: nil))
            }

        case .listTempAndDeleteTemp:
            var keys: [BlobTempKey] = []
            for i in 0..<3 { keys.append(try await alice.putTemp(TestChunks(testBytes(10 + i)))) }
            _ = try await bob.putTemp(TestChunks(testBytes(10)))
            let old = try await alice.listTemp(olderThan: Date().addingTimeInterval(3600))
            #expect(Set(old) == Set(keys))
            #expect(try await alice.listTemp(olderThan: Date(timeIntervalSince1970: 0)).isEmpty)
            try await alice.deleteTemp(keys[0])
            try await alice.deleteTemp(keys[0])  // missing: not an error
            #expect(try await !alice.hasTemp(keys[0]))
            #expect(Set(try await alice.listTemp(olderThan: .distantFuture)) == Set(keys[1...]))

        case .uploadPipeline:
            var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            png += testBytes(70_000, seed: 3)
            let result = try await BlobUpload.upload(
                TestChunks(png, chunkSize: 3),
                declaredMimeType: "application/octet-stream",
                maxSize: 1_000_000,
                to: alice
            )
            #expect(result.cid == CID.raw(hashing: png))
            #expect(result.cid.codec == .raw)
            #expect(result.size == png.count)
            #expect(result.mimeType == "image/png")
            try await alice.makePermanent(tempKey: result.tempKey, cid: result.cid)
            #expect(try await alice.getBytes(result.cid).bytes == png)
            let text = try await BlobUpload.upload(
                TestChunks(Array("plain words".utf8)),
                declaredMimeType: "text/plain; charset=utf-8",
                maxSize: 100,
                to: alice
            )
            #expect(text.mimeType == "text/plain")
            let empty = try await BlobUpload.upload(TestChunks([]), declaredMimeType: "*/*", maxSize: 100, to: alice)
            #expect(empty.size == 0 && empty.cid == CID.raw(hashing: [UInt8]()))
            #expect(empty.mimeType == "application/octet-stream")

        case .uploadExactlyAtLimit:
            let bytes = testBytes(4096, seed: 21)
            let result = try await BlobUpload.upload(TestChunks(bytes, chunkSize: 1000), declaredMimeType: nil, maxSize: 4096, to: alice)
            #expect(result.size == 4096)
            #expect(try await alice.hasTemp(result.tempKey))

        case .uploadOverLimitLeavesNothing:
            let bytes = testBytes(4097, seed: 22)
            await #expect(throws: BlobStoreError.tooLarge(limit: 4096)) {
                try await BlobUpload.upload(TestChunks(bytes, chunkSize: 1000), declaredMimeType: nil, maxSize: 4096, to: alice)
            }
            #expect(try await alice.listTemp(olderThan: .distantFuture).isEmpty)

        case .failedStreamLeavesNothing:
            await #expect(throws: FailingChunks.Dropped.self) {
                try await alice.putTemp(FailingChunks(before: testBytes(1000)))
            }
            #expect(try await alice.listTemp(olderThan: .distantFuture).isEmpty)

        case .multiMegabyteStreaming:
            let bytes = testBytes(3 * 1024 * 1024 + 17, seed: 99)
            let result = try await BlobUpload.upload(
                TestChunks(bytes, chunkSize: 64 * 1024),
                declaredMimeType: "video/mp4",
                maxSize: 4 * 1024 * 1024,
                to: alice
            )
            #expect(result.cid == CID.raw(hashing: bytes))
            #expect(result.size == bytes.count)
            try await alice.makePermanent(tempKey: result.tempKey, cid: result.cid)
            var received = 0
            var chunks = 0
            for try await chunk in try await alice.getStream(result.cid) {
                received += chunk.readableBytes
                chunks += 1
            }
            #expect(received == bytes.count)
            #expect(chunks > 1)
        }
    }
}
