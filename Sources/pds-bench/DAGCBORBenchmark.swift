import ATCore

/// Measures DAG-CBOR encode/decode, JSON parse and CAR write/read throughput over a corpus of post-like records.
///
/// Prints one line per measurement, e.g. `dagcbor.encode  123.4 MB/s` (MB = 10^6 bytes of DAG-CBOR, best of runs).
func runDAGCBORBenchmark(recordCount: Int = 10_000, runs: Int = 5) {
    let records = makePostCorpus(count: recordCount)
    let encoded = records.map { DAGCBOR.encode($0) }
    let totalBytes = encoded.reduce(0) { $0 + $1.count }
    let blocks = encoded.map { (cid: CID.dagCBOR(hashing: $0), bytes: $0) }
    let car = CARWriter.serialize(roots: [blocks[0].cid], blocks: blocks)
    let json = records.map(\.jsonBytes)
    let jsonBytes = json.reduce(0) { $0 + $1.count }
    print("dagcbor.corpus  \(recordCount) records, \(formatted(Double(totalBytes) / 1e6)) MB cbor, \(formatted(Double(jsonBytes) / 1e6)) MB json")

    var sink = 0
    report("dagcbor.encode", bytes: totalBytes, runs: runs) {
        for record in records { sink &+= DAGCBOR.encode(record).count }
    }
    report("dagcbor.decode", bytes: totalBytes, runs: runs) {
        for bytes in encoded {
            if case .map(let m) = try! DAGCBOR.decode(bytes) { sink &+= m.count }
        }
    }
    report("dagcbor.cid", bytes: totalBytes, runs: runs) {
        for bytes in encoded { sink &+= Int(CID.dagCBOR(hashing: bytes).bytes[5]) }
    }
    report("json.parse", bytes: jsonBytes, runs: runs) {
        for bytes in json { sink &+= (try! LexValue(jsonBytes: bytes)).map!.count }
    }
    report("car.write", bytes: car.count, runs: runs) {
        var writer = CARWriter(roots: [blocks[0].cid], capacity: car.count)
        for block in blocks { try! writer.write(block.cid, block.bytes) }
        sink &+= try! writer.finish().count
    }
    report("car.read", bytes: car.count, runs: runs) {
        sink &+= try! CARReader.read(car).blocks.count
    }
    if sink == 42 { print("") }
}

private func report(_ name: String, bytes: Int, runs: Int, _ body: () -> Void) {
    let clock = ContinuousClock()
    var best = Duration.seconds(1_000_000)
    for _ in 0..<runs {
        let elapsed = clock.measure(body)
        best = min(best, elapsed)
    }
    let seconds = best.timeInterval
    let label = name.padding(toLength: 16)
    print("\(label)\(formatted(Double(bytes) / 1e6 / seconds)) MB/s")
}

private func formatted(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    return "\(Int(tenths) / 10).\(Int(tenths) % 10)"
}

extension String {
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}

/// A deterministic corpus resembling `app.bsky.feed.post` records: text, createdAt, langs, facets, image embeds
/// with blob refs, and replies.
private func makePostCorpus(count: Int) -> [LexValue] {
    var state: UInt64 = 0x1234_5678
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    let words = ["the", "atproto", "swift", "repository", "record", "hello", "world", "café", "データ", "🚀", "feed",
                 "blob", "commit", "firehose", "merkle", "search", "tree", "signed", "label", "moderation"]
    let did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    return (0..<count).map { i in
        var text = ""
        for _ in 0..<(8 + Int(next() % 40)) { text += words[Int(next() % UInt64(words.count))] + " " }
        let link = "https://example.com/\(next())"
        let start = Int64(text.utf8.count)
        text += link
        var post: [String: LexValue] = [
            "$type": "app.bsky.feed.post",
            "text": .string(text),
            "createdAt": .string("2024-0\(1 + i % 9)-1\(i % 10)T12:\(10 + i % 50):00.\(100 + i % 900)Z"),
            "langs": ["en"],
            "facets": [
                [
                    "$type": "app.bsky.richtext.facet",
                    "index": ["byteStart": .integer(start), "byteEnd": .integer(start + Int64(link.utf8.count))],
                    "features": [["$type": "app.bsky.richtext.facet#link", "uri": .string(link)]],
                ]
            ],
        ]
        if i % 3 == 0 {
            let blob = BlobRef(ref: CID.raw(hashing: Array("image \(i)".utf8)), mimeType: "image/jpeg",
                               size: Int64(50_000 + next() % 900_000))
            post["embed"] = [
                "$type": "app.bsky.embed.images",
                "images": [["alt": .string("an image of \(words[i % words.count])"), "image": blob.lexValue,
                            "aspectRatio": ["width": 1200, "height": 800]]],
            ]
        }
        if i % 4 == 0 {
            let parent: LexValue = ["uri": .string("at://\(did)/app.bsky.feed.post/3k\(next())"),
                                    "cid": .string(CID.dagCBOR(hashing: Array("p\(i)".utf8)).description)]
            post["reply"] = ["root": parent, "parent": parent]
        }
        return .map(post)
    }
}
