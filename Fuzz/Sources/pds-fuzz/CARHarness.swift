import ATCore

/// CAR v1 reading: the header, then every block (the reader checks each against its CID's digest), each block
/// decoded as DAG-CBOR when its CID says it is.
enum CARHarness {
    static func run(_ input: [UInt8]) {
        let limits = CARReader.Limits(maxBlockSize: 64 << 10, maxTotalSize: 1 << 20, maxHeaderSize: 4 << 10)
        guard var reader = try? CARReader(input, limits: limits) else { return }
        while let block = try? reader.next() {
            if block.cid.codec == .dagCBOR { _ = try? DAGCBOR.decode(block.bytes) }
        }
    }
}
