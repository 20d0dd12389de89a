import ATCore
import Crypto
import NIOCore
import Synchronization

/// The result of ``BlobUpload/upload(_:declaredMimeType:maxSize:to:)``: what `trackUntetheredBlob` records.
package struct BlobUploadResult: Sendable, Equatable {
    /// The CIDv1 (`raw`, sha2-256) of the content.
    package let cid: CID
    /// The size in bytes.
    package let size: Int
    /// The sniffed MIME type, else the declared one, else `application/octet-stream`.
    package let mimeType: String
    /// The blobstore's temporary key.
    package let tempKey: BlobTempKey
}

/// The upload pipeline (reference `uploadBlob`): hash, size limit and MIME sniffing applied to the byte stream on
/// its way into ``BlobStore/putTemp(_:)``, in one pass and without buffering the blob.
package enum BlobUpload {
    /// Streams `chunks` into `store` as a temporary upload.
    /// - Parameters:
    ///   - chunks: the request body.
    ///   - declaredMimeType: the request's `Content-Type`.
    ///   - maxSize: the largest accepted size in bytes (`PDS_BLOB_UPLOAD_LIMIT`).
    ///   - store: the actor's blobstore.
    /// - Throws: ``BlobStoreError/tooLarge(limit:)`` as soon as the stream passes `maxSize` (the partial upload is
    ///   discarded by the store), or the stream's or the store's error.
    package static func upload(
        _ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        declaredMimeType: String?,
        maxSize: Int,
        to store: some BlobStore
    ) async throws -> BlobUploadResult {
        let inspector = Inspector(maxSize: maxSize)
        let tempKey = try await store.putTemp(InspectedStream(base: chunks, inspector: inspector))
        let (digest, size, head) = inspector.finish()
        return BlobUploadResult(
            cid: try CID(codec: .raw, sha256Digest: digest),
            size: size,
            mimeType: MIMESniffer.resolve(sniffed: MIMESniffer.sniff(head), declared: declaredMimeType),
            tempKey: tempKey
        )
    }

    /// The running hash, size and leading bytes, shared between the stream (consumed inside the store) and the
    /// caller.
    final class Inspector: Sendable {
        private struct State {
            var hasher = SHA256()
            var size = 0
            var head: [UInt8] = []
        }
        private let state = Mutex(State())
        let maxSize: Int

        init(maxSize: Int) { self.maxSize = maxSize }

        func observe(_ chunk: ByteBuffer) throws(BlobStoreError) {
            let maxSize = self.maxSize
            try state.withLock { (state: inout State) throws(BlobStoreError) in
                state.size += chunk.readableBytes
                guard state.size <= maxSize else { throw .tooLarge(limit: maxSize) }
                chunk.withUnsafeReadableBytes { bytes in
                    state.hasher.update(bufferPointer: bytes)
                    if state.head.count < MIMESniffer.headerLength {
                        state.head += bytes.prefix(MIMESniffer.headerLength - state.head.count)
                    }
                }
            }
        }

        func finish() -> (digest: [UInt8], size: Int, head: [UInt8]) {
            state.withLock { state in (Array(state.hasher.finalize()), state.size, state.head) }
        }
    }

    /// The request body, observed chunk by chunk.
    struct InspectedStream<Base: AsyncSequence<ByteBuffer, any Error> & Sendable>: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let base: Base
        let inspector: Inspector

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: Base.AsyncIterator
            let inspector: Inspector

            mutating func next() async throws -> ByteBuffer? {
                guard let chunk = try await base.next() else { return nil }
                try inspector.observe(chunk)
                return chunk
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: base.makeAsyncIterator(), inspector: inspector)
        }
    }
}
