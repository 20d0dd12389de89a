import BlobStore
import Foundation
import NIOCore

/// An S3-compatible bucket target (`s3://bucket/prefix`), through the blobstore's S3 client (AWS SigV4).
package struct S3BackupTarget: BackupTarget {
    /// The client.
    let client: S3Client
    /// The key prefix, empty or ending in `/`.
    let prefix: String

    /// A target under `prefix` in the client's bucket.
    package init(client: S3Client, prefix: String) {
        self.client = client
        let trimmed = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.prefix = trimmed.isEmpty ? "" : trimmed + "/"
    }

    package var description: String { "s3://\(client.configuration.bucket)/\(prefix)" }

    package func put(_ name: String, _ bytes: [UInt8]) async throws {
        try await client.putObject(prefix + name, body: ByteBuffer(bytes: bytes))
    }

    package func get(_ name: String) async throws -> [UInt8] {
        do {
            var buffer = try await client.getObject(prefix + name, range: nil).body.collect(upTo: Int(Int32.max))
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch BlobStoreError.notFound {
            throw BackupError.missingObject(name)
        }
    }

    package func list(prefix listPrefix: String) async throws -> [String] {
        try await client.listAllObjects(prefix: prefix + listPrefix).map { String($0.key.dropFirst(prefix.count)) }
    }

    package func delete(_ names: [String]) async throws {
        var start = 0
        while start < names.count {
            let batch = names[start..<min(start + 500, names.count)].map { prefix + $0 }
            try await client.deleteObjects(Array(batch))
            start += 500
        }
    }
}
