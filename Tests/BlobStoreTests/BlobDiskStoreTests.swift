import ATCore
import Foundation
import NIOCore
import TestFixtures
import Testing

@testable import BlobStore

@Suite struct BlobDiskStoreTests {
    @Test(arguments: BlobStoreBehaviour.allCases)
    func behaviour(_ behaviour: BlobStoreBehaviour) async throws {
        try await withTemporaryDirectory { directory in
            let locations = DiskBlobStore.Locations(location: directory.appendingPathComponent("blobs"))
            try await behaviour.run { DiskBlobStore(did: $0, locations: locations) }
        }
    }

    /// The files sit where the reference PDS puts them, and no hidden partial files remain.
    @Test func referenceLayout() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("blobs")
            let did = try DID("did:plc:layout")
            let store = DiskBlobStore(did: did, locations: .init(location: root))
            let bytes = Array("layout".utf8)
            let cid = CID.raw(hashing: bytes)
            let key = try await store.putTemp(TestChunks(bytes))
            let fm = FileManager.default
            #expect(fm.contents(atPath: root.path + "/tempt/did:plc:layout/\(key.rawValue)") == Data(bytes))
            try await store.makePermanent(tempKey: key, cid: cid)
            #expect(fm.contents(atPath: root.path + "/did:plc:layout/\(cid)") == Data(bytes))
            try await store.quarantine(cid)
            #expect(fm.fileExists(atPath: root.path + "/quarantine/did:plc:layout/\(cid)"))
            #expect(!fm.fileExists(atPath: root.path + "/did:plc:layout/\(cid)"))
            for sub in ["tempt/did:plc:layout", "did:plc:layout", "quarantine/did:plc:layout"] {
                let names = (try? fm.contentsOfDirectory(atPath: root.path + "/" + sub)) ?? []
                #expect(names.allSatisfy { !$0.hasPrefix(".") }, "\(sub): \(names)")
            }
        }
    }

    /// A separate temp location (`PDS_BLOBSTORE_DISK_TMP_LOCATION`) works, even as a sibling tree.
    @Test func separateTempLocation() async throws {
        try await withTemporaryDirectory { directory in
            let locations = DiskBlobStore.Locations(
                location: directory.appendingPathComponent("blobs"),
                tempLocation: directory.appendingPathComponent("elsewhere/tmp")
            )
            let store = DiskBlobStore(did: try DID("did:plc:tmploc"), locations: locations)
            let bytes = testBytes(1234)
            let key = try await store.putTemp(TestChunks(bytes))
            #expect(FileManager.default.fileExists(atPath: directory.path + "/elsewhere/tmp/did:plc:tmploc/\(key)"))
            try await store.makePermanent(tempKey: key, cid: .raw(hashing: bytes))
            #expect(try await store.getBytes(.raw(hashing: bytes)).bytes == bytes)
        }
    }

    /// Only old temp files are listed (modification time), and foreign or partial files are ignored.
    @Test func listTempUsesModificationTimeAndIgnoresStrayFiles() async throws {
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("blobs")
            let store = DiskBlobStore(did: try DID("did:plc:gc"), locations: .init(location: root))
            let old = try await store.putTemp(TestChunks(testBytes(10)))
            let fresh = try await store.putTemp(TestChunks(testBytes(11)))
            let tempDirectory = root.path + "/tempt/did:plc:gc"
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000)],
                ofItemAtPath: tempDirectory + "/" + old.rawValue
            )
            _ = FileManager.default.createFile(atPath: tempDirectory + "/.stray.part", contents: Data([1]))
            _ = FileManager.default.createFile(atPath: tempDirectory + "/NOT-A-KEY", contents: Data([1]))
            let cutoff = Date(timeIntervalSince1970: 2_000_000)
            #expect(try await store.listTemp(olderThan: cutoff) == [old])
            #expect(Set(try await store.listTemp(olderThan: .distantFuture)) == [old, fresh])
        }
    }

    @Test func tempKeyValidation() throws {
        _ = try BlobTempKey("abcdefghijklmnopqrstuvwxyz234567")
        for bad in [
            "", "short", "../../../../etc/passwd", "abcdefghijklmnopqrstuvwxyz23456/", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "abcdefghijklmnopqrstuvwxyz2345.7", String(repeating: "a", count: 65),
        ] {
            #expect(throws: BlobStoreError.invalidTempKey) { try BlobTempKey(bad) }
        }
        let keys = Set((0..<100).map { _ in BlobTempKey.random() })
        #expect(keys.count == 100)
        for key in keys { #expect(try BlobTempKey(key.rawValue) == key) }
    }

    /// Every path stays under the configured roots: DIDs are validated, CIDs are base32 and keys are validated.
    @Test func pathsStayUnderRoots() async throws {
        #expect(throws: (any Error).self) { try DID("did:plc:../../etc") }
        #expect(throws: (any Error).self) { try DID("../did:plc:x") }
        try await withTemporaryDirectory { directory in
            let root = directory.appendingPathComponent("blobs")
            let did = try DID("did:web:example.com%3A8080")
            let store = DiskBlobStore(did: did, locations: .init(location: root))
            let bytes = testBytes(64)
            try await store.putPermanent(cid: .raw(hashing: bytes), bytes: ByteBuffer(bytes: bytes))
            let enumerator = FileManager.default.enumerator(atPath: directory.path)
            var files: [String] = []
            while let path = enumerator?.nextObject() as? String { files.append(path) }
            #expect(files.contains("blobs/did:web:example.com%3A8080/\(CID.raw(hashing: bytes))"))
            #expect(files.allSatisfy { $0.hasPrefix("blobs") })
        }
    }

    @Test func rangeHeaderParsing() {
        #expect(BlobByteRange(header: "bytes=0-99") == .from(0, through: 99))
        #expect(BlobByteRange(header: "bytes=100-") == .from(100, through: nil))
        #expect(BlobByteRange(header: "bytes=-5") == .suffix(5))
        #expect(BlobByteRange(header: "bytes=5-1") == nil)
        #expect(BlobByteRange(header: "bytes=0-1,4-5") == nil)
        #expect(BlobByteRange(header: "items=0-1") == nil)
        #expect(BlobByteRange(header: "bytes=-0") == nil)
        #expect(BlobByteRange.from(3, through: nil).headerValue == "bytes=3-")
    }
}
