import Foundation
import PLCBundle
import Testing

@Suite struct PLCBundleTests {
    /// The facts file's worked example.
    static let example = [
        #"{"did":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa","operation":{"type":"plc_tombstone","prev":"bafyreia","sig":"x"},"cid":"bafyreib","nullified":false,"createdAt":"2024-01-01T00:00:00.000Z"}"#,
        #"{"did":"did:plc:bbbbbbbbbbbbbbbbbbbbbbbb","operation":{"type":"plc_tombstone","prev":"bafyreic","sig":"y"},"cid":"bafyreid","nullified":false,"createdAt":"2024-01-01T00:00:01.000Z"}"#,
        #"{"did":"did:plc:cccccccccccccccccccccccc","operation":{"type":"plc_tombstone","prev":"bafyreie","sig":"z"},"cid":"bafyreif","nullified":true,"createdAt":"2024-01-02T00:00:00.000Z"}"#,
    ]

    @Test func hashesMatchTheWorkedExample() {
        let first = PLCBundleHashing.serialise(Self.example[0...1])
        #expect(first.count == 364)
        let firstContent = PLCBundleHashing.hash(first)
        #expect(firstContent == "1c230979658aca3937a93cfff1d0875832d8e017e3eccfd58296bc43fe9ff940")
        let firstHash = PLCBundleHashing.chainHash(parent: nil, contentHash: firstContent)
        #expect(firstHash == "f12a59d0a02e38c6b428153314be91f2938288bb3931c3194be6684e8d246fba")
        let second = PLCBundleHashing.serialise(Self.example[2...2])
        #expect(second.count == 181)
        let secondContent = PLCBundleHashing.hash(second)
        #expect(secondContent == "9aefda592753f30eaaaa0784b79c5bf0ddac1ac0291799b045f50dd739696687")
        #expect(
            PLCBundleHashing.chainHash(parent: firstHash, contentHash: secondContent)
                == "b52db502eabb32ed0214095e8f7923e2f279995945b30a0782f32e0b0a056971")
        #expect(PLCBundleHashing.fileName(1) == "000001.jsonl.zst")
    }

    @Test func zstdRoundTrips() throws {
        let input = Array(String(repeating: "plcbundle line\n", count: 5000).utf8)
        let compressed = try Zstd.compress(input)
        #expect(compressed.count < input.count / 10)
        #expect(Array(compressed.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])  // the zstd frame magic
        #expect(try Zstd.decompress(compressed, maxSize: 1 << 20) == input)
        #expect(throws: Zstd.Failure.self) { try Zstd.decompress(Array(compressed.dropLast(3)), maxSize: 1 << 20) }
    }

    /// Lines for `count` operations of three DIDs, a millisecond apart.
    static func lines(_ count: Int) -> [PLCBundleLine] {
        (0..<count).map { index in
            let did = "did:plc:" + String(repeating: ["a", "b", "c"][index % 3], count: 24)
            let createdAt = String(format: "2024-01-01T00:00:%02d.%03dZ", index / 1000, index % 1000)
            let line = #"{"did":"\#(did)","operation":{"n":\#(index)},"createdAt":"\#(createdAt)"}"#
            return PLCBundleLine(line: line, did: did, createdAt: createdAt)
        }
    }

    @Test func createIsIncrementalAndVerifyFindsTheFirstBrokenLink() async throws {
        try await withTemporaryPath { dir in
            let directory = URL(fileURLWithPath: dir)
            let all = Self.lines(23)
            let available = LockedBox(9)
            let source: PLCBundleWriter.Source = { offset, limit in
                Array(all.prefix(available.value).dropFirst(offset).prefix(limit))
            }
            let writer = PLCBundleWriter(directory: directory, operationsPerBundle: 4)
            let first = try await writer.create(from: source)
            #expect(first.added.map(\.bundleNumber) == [1, 2])  // the ninth operation waits for a full bundle
            available.value = 23
            let second = try await writer.create(from: source)
            #expect(second.added.map(\.bundleNumber) == [3, 4, 5])
            let index = try #require(try PLCBundleIndex.load(from: directory))
            #expect(index.version == "1.0" && index.lastBundle == 5 && index.bundles.count == 5)
            #expect(index.totalSizeBytes == index.bundles.reduce(0) { $0 + $1.compressedSize })
            let entry = index.bundles[1]
            #expect(entry.parent == index.bundles[0].hash && entry.cursor == index.bundles[0].endTime)
            #expect(entry.startTime == all[4].createdAt && entry.endTime == all[7].createdAt)
            #expect(entry.operationCount == 4 && entry.didCount == 3)
            #expect(entry.uncompressedSize == PLCBundleHashing.serialise(all[4..<8].map(\.line)).count)
            #expect(entry.contentHash == PLCBundleHashing.hash(PLCBundleHashing.serialise(all[4..<8].map(\.line))))
            #expect(index.bundles[0].parent == "" && index.bundles[0].cursor == "")

            let verifier = PLCBundleVerifier(directory: directory)
            #expect(verifier.verify(index).firstBroken == nil)

            // One changed byte inside bundle 3's content (recompressed so the file still decompresses).
            let url = directory.appendingPathComponent("000003.jsonl.zst")
            var content = try Zstd.decompress([UInt8](try Data(contentsOf: url)), maxSize: 1 << 20)
            content[10] ^= 0x01
            try Data(try Zstd.compress(content)).write(to: url)
            let report = verifier.verify(index)
            #expect(report.firstBroken == 3)
            #expect(report.bundles.map(\.chainIntact) == [true, true, false, false, false])
            #expect(report.bundles[2].problems.contains("content_hash mismatch"))
            #expect(report.bundles[2].problems.contains("compressed_hash mismatch"))
            #expect(report.bundles[3].problems == ["chain hash does not match the recomputed chain"])
        }
    }
}

/// A tiny lock-protected box for test sources.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    func modify<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}
