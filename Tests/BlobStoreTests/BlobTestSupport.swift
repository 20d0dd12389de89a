import ATCore
import Foundation
import NIOCore
import Testing

@testable import BlobStore

/// Bytes delivered in fixed-size chunks, as a request body would be.
struct TestChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunkSize: Int

    init(_ bytes: [UInt8], chunkSize: Int = 16 * 1024) {
        self.bytes = bytes
        self.chunkSize = chunkSize
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let chunkSize: Int
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + chunkSize, bytes.count)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, chunkSize: chunkSize) }
}

/// A stream that yields some bytes and then fails, like a dropped connection.
struct FailingChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    struct Dropped: Error {}
    let before: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [UInt8]?
        mutating func next() async throws -> ByteBuffer? {
            guard let bytes = remaining else { throw Dropped() }
            remaining = nil
            return ByteBuffer(bytes: bytes)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: before) }
}

/// Deterministic pseudo-random bytes (xorshift), so large blobs need no fixtures.
func testBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        out[i] = UInt8(truncatingIfNeeded: state)
    }
    return out
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}

func collect(_ stream: BlobByteStream) async throws -> [UInt8] {
    var out: [UInt8] = []
    for try await chunk in stream { out += chunk.readableBytesView }
    return out
}
