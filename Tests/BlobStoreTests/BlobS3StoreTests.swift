import ATCore
import AsyncHTTPClient
import BlobStoreTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import TestFixtures
import Testing

@testable import BlobStore

/// The S3 blobstore against a real S3-compatible server (`moto_server`); each test has its own bucket. These fail
/// (never skip) when `moto_server` is missing.
@Suite struct BlobS3StoreTests {
    @Test(arguments: BlobStoreBehaviour.allCases)
    func behaviour(_ behaviour: BlobStoreBehaviour) async throws {
        let client = try await MotoServer.freshBucket()
        try await behaviour.run { S3BlobStore(did: $0, client: client, listPageSize: 2) }
    }

    /// The objects sit under the reference PDS's keys.
    @Test func referenceLayout() async throws {
        let client = try await MotoServer.freshBucket()
        let store = S3BlobStore(did: try DID("did:plc:layout"), client: client)
        let bytes = Array("layout".utf8)
        let cid = CID.raw(hashing: bytes)
        let key = try await store.putTemp(TestChunks(bytes))
        #expect(try await client.headObject("tmp/did:plc:layout/\(key)") == bytes.count)
        try await store.makePermanent(tempKey: key, cid: cid)
        #expect(try await client.headObject("tmp/did:plc:layout/\(key)") == nil)
        #expect(try await client.headObject("blocks/did:plc:layout/\(cid)") == bytes.count)
        try await store.quarantine(cid)
        #expect(try await client.headObject("quarantine/did:plc:layout/\(cid)") == bytes.count)
        #expect(try await client.headObject("blocks/did:plc:layout/\(cid)") == nil)
    }

    /// A blob larger than one part goes up as a multipart upload and comes back intact, also in ranges that cross
    /// part boundaries.
    @Test func multipartUpload() async throws {
        let client = try await MotoServer.freshBucket()
        let store = S3BlobStore(did: try DID("did:plc:multipart"), client: client)
        let partSize = client.configuration.partSize
        let bytes = testBytes(2 * partSize + 123_457, seed: 42)
        let result = try await BlobUpload.upload(
            TestChunks(bytes, chunkSize: 256 * 1024 + 3),
            declaredMimeType: nil,
            maxSize: 3 * partSize,
            to: store
        )
        #expect(result.cid == CID.raw(hashing: bytes))
        #expect(try await client.headObject("tmp/did:plc:multipart/\(result.tempKey)") == bytes.count)
        // A multipart object's ETag is "<md5 of part md5s>-<part count>".
        try await store.makePermanent(tempKey: result.tempKey, cid: result.cid)
        #expect(try await store.getBytes(result.cid).bytes == bytes)
        let first = partSize - 10
        let content = try await store.get(result.cid, range: .from(first, through: partSize + 9))
        #expect(content.range == first...(partSize + 9))
        #expect(content.size == bytes.count)
        #expect(try await collect(content.body) == Array(bytes[first...(partSize + 9)]))
    }

    /// A blob of exactly one part is a single PutObject; over the limit mid-multipart, the upload is aborted.
    @Test func multipartAbortLeavesNothing() async throws {
        let client = try await MotoServer.freshBucket()
        let store = S3BlobStore(did: try DID("did:plc:abort"), client: client)
        let partSize = client.configuration.partSize
        let exact = try await BlobUpload.upload(
            TestChunks(testBytes(partSize, seed: 1), chunkSize: 1 << 20),
            declaredMimeType: nil,
            maxSize: partSize,
            to: store
        )
        #expect(exact.size == partSize)
        await #expect(throws: BlobStoreError.tooLarge(limit: partSize + 1000)) {
            try await BlobUpload.upload(
                TestChunks(testBytes(partSize + 1001, seed: 2), chunkSize: 1 << 20),
                declaredMimeType: nil,
                maxSize: partSize + 1000,
                to: store
            )
        }
        #expect(try await store.listTemp(olderThan: .distantFuture) == [exact.tempKey])
        #expect(try await listMultipartUploads(client).isEmpty)
    }

    /// Listing pages through continuation tokens (page size 7 over 25 keys) and batch deletion of all of them.
    @Test func listPaginationAndBatchDelete() async throws {
        let client = try await MotoServer.freshBucket()
        let store = S3BlobStore(did: try DID("did:plc:pages"), client: client, listPageSize: 7)
        var keys: Set<BlobTempKey> = []
        for i in 0..<25 { keys.insert(try await store.putTemp(TestChunks(testBytes(8, seed: UInt64(i + 1))))) }
        let first = try await client.listObjects(prefix: "tmp/did:plc:pages/", maxKeys: 7)
        #expect(first.objects.count == 7)
        #expect(first.continuationToken != nil)
        #expect(Set(try await store.listTemp(olderThan: .distantFuture)) == keys)
        var cids: [CID] = []
        for i in 0..<1005 where i % 67 == 0 || i >= 1000 {
            let bytes = testBytes(4, seed: UInt64(i + 100))
            try await store.putPermanent(cid: .raw(hashing: bytes), bytes: ByteBuffer(bytes: bytes))
            cids.append(.raw(hashing: bytes))
        }
        try await store.deleteMany(cids)
        #expect(try await client.listAllObjects(prefix: "blocks/").isEmpty)
        try await store.deleteAll()
        #expect(try await client.listAllObjects(prefix: "tmp/").isEmpty)
    }

    /// S3 errors come back as `BlobStoreError`s without XML.
    @Test func errorsAreMapped() async throws {
        let endpoint = try await MotoServer.endpoint()
        let missingBucket = try S3Client(
            configuration: .init(
                bucket: "no-such-bucket-\(UUID().uuidString.lowercased().prefix(8))",
                region: "us-east-1",
                endpoint: endpoint,
                forcePathStyle: true,
                credentials: .init(accessKeyID: "testing", secretAccessKey: "testing")
            ),
            httpClient: .shared
        )
        await #expect(throws: BlobStoreError.upstream(status: 404, code: "NoSuchBucket")) {
            _ = try await missingBucket.listObjects(prefix: "x")
        }
        let unreachable = try S3Client(
            configuration: .init(
                bucket: "b",
                region: "us-east-1",
                endpoint: "http://127.0.0.1:1",
                forcePathStyle: true,
                credentials: .init(accessKeyID: "testing", secretAccessKey: "testing"),
                requestTimeout: .seconds(1)
            ),
            httpClient: .shared
        )
        // AsyncHTTPClient retries refused connections until the deadline, then reports either failure.
        let error = await #expect(throws: BlobStoreError.self) { _ = try await unreachable.headObject("k") }
        #expect(error == .unreachable || error == .timeout)
        #expect(throws: BlobStoreError.invalidEndpoint) {
            try S3Client(
                configuration: .init(bucket: "b", region: "r", endpoint: "not a url", credentials: .init(accessKeyID: "a", secretAccessKey: "b")),
                httpClient: .shared
            )
        }
    }

    @Test func addressingStyles() throws {
        let credentials = AWSSigV4.Credentials(accessKeyID: "a", secretAccessKey: "b")
        let virtual = try S3Client(
            configuration: .init(bucket: "my-bucket", region: "eu-west-1", credentials: credentials),
            httpClient: .shared
        )
        #expect(virtual.path("blocks/did:plc:x/bafy") == "/blocks/did%3Aplc%3Ax/bafy")
        #expect(virtual.path(nil) == "/")
        let pathStyle = try S3Client(
            configuration: .init(
                bucket: "my-bucket",
                region: "eu-west-1",
                endpoint: "https://minio.example:9000",
                forcePathStyle: true,
                credentials: credentials
            ),
            httpClient: .shared
        )
        #expect(pathStyle.path("tmp/k") == "/my-bucket/tmp/k")
        #expect(pathStyle.path(nil) == "/my-bucket")
    }

    @Test func xmlParsing() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
            <Contents><Key>tmp/a&amp;b</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified><Size/></Contents>
            <IsTruncated>true</IsTruncated><NextContinuationToken>t&#x2F;1</NextContinuationToken><!-- c -->
            </ListBucketResult>
            """
        let root = try S3XML.parse(Array(xml.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.child("Contents")?.text(of: "Key") == "tmp/a&b")
        #expect(root.text(of: "NextContinuationToken") == "t/1")
        #expect(S3Client.parseDate("2024-05-01T12:00:00.000Z") == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(S3Client.parseDate("2024-05-01T12:00:00Z") == Date(timeIntervalSince1970: 1_714_564_800))
        for bad in ["<a><b></a>", "<a>", "text", "<a>&bogus;</a>", "<a></a><b></b>"] {
            #expect(throws: BlobStoreError.invalidResponse) { try S3XML.parse(Array(bad.utf8)) }
        }
        #expect(S3XML.escape("<a&'\">") == "&lt;a&amp;&apos;&quot;&gt;")
    }

    /// The bucket's in-progress multipart uploads (`ListMultipartUploads`).
    private func listMultipartUploads(_ client: S3Client) async throws -> [String] {
        let response = try await client.send(.GET, key: nil, query: [("uploads", "")], timeout: .seconds(10))
        try await S3Client.check(response)
        let result = try S3XML.parse(try await S3Client.body(response))
        return result.children("Upload").compactMap { $0.text(of: "Key") }
    }
}
