import ATCore
import Foundation
import NIOCore

/// A ``BlobStore`` in an S3 bucket, in the reference PDS's layout: `tmp/<did>/<key>`, `blocks/<did>/<cid>` and
/// `quarantine/<did>/<cid>`. Moves are copy-then-delete.
package struct S3BlobStore: BlobStore {
    /// The actor.
    package let did: DID
    /// The bucket client.
    package let client: S3Client
    /// Keys per `ListObjectsV2` page (1000, S3's maximum; tests use less).
    package let listPageSize: Int

    /// A store for one actor.
    /// - Parameters:
    ///   - did: the actor.
    ///   - client: the bucket client.
    ///   - listPageSize: keys per listing page.
    package init(did: DID, client: S3Client, listPageSize: Int = 1000) {
        self.did = did
        self.client = client
        self.listPageSize = listPageSize
    }

    // MARK: - Keys

    private var tempPrefix: String { "tmp/\(did.rawValue)/" }
    private var storedPrefix: String { "blocks/\(did.rawValue)/" }
    private var quarantinePrefix: String { "quarantine/\(did.rawValue)/" }
    private func tempKey(_ key: BlobTempKey) -> String { tempPrefix + key.rawValue }
    private func storedKey(_ cid: CID) -> String { storedPrefix + cid.description }
    private func quarantineKey(_ cid: CID) -> String { quarantinePrefix + cid.description }

    // MARK: - Writing

    package func putTemp(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> BlobTempKey {
        let key = BlobTempKey.random()
        try await client.upload(tempKey(key), chunks: chunks)
        return key
    }

    package func makePermanent(tempKey key: BlobTempKey, cid: CID) async throws {
        try await move(from: tempKey(key), to: storedKey(cid))
    }

    package func putPermanent(cid: CID, bytes: ByteBuffer) async throws {
        try await client.upload(storedKey(cid), chunks: BlobByteStream(buffer: bytes))
    }

    package func quarantine(_ cid: CID) async throws {
        try await move(from: storedKey(cid), to: quarantineKey(cid))
    }

    package func unquarantine(_ cid: CID) async throws {
        try await move(from: quarantineKey(cid), to: storedKey(cid))
    }

    /// Copy then delete; a missing source whose destination exists is a completed earlier move.
    private func move(from source: String, to destination: String) async throws {
        do {
            try await client.copyObject(from: source, to: destination)
        } catch BlobStoreError.notFound {
            guard try await client.headObject(destination) != nil else { throw BlobStoreError.notFound }
            return
        }
        try await client.deleteObject(source)
    }

    // MARK: - Reading

    package func get(_ cid: CID, range: BlobByteRange?) async throws -> BlobContent {
        try await client.getObject(storedKey(cid), range: range)
    }

    package func hasTemp(_ key: BlobTempKey) async throws -> Bool {
        try await client.headObject(tempKey(key)) != nil
    }

    package func hasStored(_ cid: CID) async throws -> Bool {
        try await client.headObject(storedKey(cid)) != nil
    }

    // MARK: - Deleting

    package func delete(_ cid: CID) async throws {
        try await client.deleteObject(storedKey(cid))
    }

    package func deleteMany(_ cids: [CID]) async throws {
        try await client.deleteObjects(cids.map(storedKey))
    }

    package func deleteAll() async throws {
        for prefix in [storedPrefix, tempPrefix, quarantinePrefix] {
            // Delete page by page: each page's keys are gone before the next listing.
            while true {
                let page = try await client.listObjects(prefix: prefix, maxKeys: listPageSize)
                if page.objects.isEmpty { break }
                try await client.deleteObjects(page.objects.map(\.key))
                if page.continuationToken == nil { break }
            }
        }
    }

    package func listTemp(olderThan date: Date) async throws -> [BlobTempKey] {
        let prefix = tempPrefix
        return try await client.listAllObjects(prefix: prefix, pageSize: listPageSize).compactMap { object in
            guard object.lastModified < date else { return nil }
            return try? BlobTempKey(object.key.dropFirst(prefix.count))
        }
        .sorted { $0.rawValue < $1.rawValue }
    }

    package func deleteTemp(_ key: BlobTempKey) async throws {
        try await client.deleteObject(tempKey(key))
    }
}
