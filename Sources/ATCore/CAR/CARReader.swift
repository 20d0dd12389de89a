/// Reads CAR v1 strictly: the header must be exactly `{version: 1, roots: [links]}`, every block's data must hash to
/// its CID, nothing may be truncated, and sizes are bounded by ``Limits``.
///
/// Use ``next()`` to walk blocks one at a time, or ``read(_:limits:)`` for everything at once.
package struct CARReader {
    /// Bounds applied while reading.
    package struct Limits: Sendable {
        /// The largest block data (excluding its CID) accepted.
        package var maxBlockSize: Int
        /// The largest whole file accepted.
        package var maxTotalSize: Int
        /// The largest header accepted.
        package var maxHeaderSize: Int

        /// Creates limits.
        /// - Parameters:
        ///   - maxBlockSize: the largest block data, default 2 MiB.
        ///   - maxTotalSize: the largest file, default 1 GiB.
        ///   - maxHeaderSize: the largest header, default 64 KiB.
        package init(maxBlockSize: Int = 2 << 20, maxTotalSize: Int = 1 << 30, maxHeaderSize: Int = 64 << 10) {
            self.maxBlockSize = maxBlockSize
            self.maxTotalSize = maxTotalSize
            self.maxHeaderSize = maxHeaderSize
        }
    }

    /// One block: its CID and its verified bytes.
    package struct Block: Hashable, Sendable {
        /// The block's CID.
        package var cid: CID
        /// The block's data.
        package var bytes: [UInt8]
    }

    /// The header's roots.
    package let roots: [CID]
    private let input: [UInt8]
    private let limits: Limits
    private var position: Int

    /// Parses the header; blocks are read on demand with ``next()``.
    /// - Parameters:
    ///   - bytes: the whole CAR file.
    ///   - limits: size bounds.
    package init(_ bytes: [UInt8], limits: Limits = Limits()) throws(DataModelError) {
        guard bytes.count <= limits.maxTotalSize else { throw .tooLarge("CAR file exceeds \(limits.maxTotalSize) bytes") }
        let (length, prefix) = try CARReader.readVarint(bytes[...])
        guard length > 0, length <= UInt64(limits.maxHeaderSize) else { throw .invalidCAR("invalid header length") }
        guard length <= UInt64(bytes.count - prefix) else { throw .invalidCAR("truncated header") }
        let end = prefix + Int(length)
        let header: LexValue
        do { header = try DAGCBOR.decode(bytes[prefix..<end]) } catch { throw .invalidCAR("invalid header: \(error)") }
        guard case .map(let map) = header, map.count == 2, header["version"] == .integer(1),
            case .array(let rootValues) = header["roots"]
        else { throw .invalidCAR("header must be {version: 1, roots: [...]}") }
        var roots: [CID] = []
        roots.reserveCapacity(rootValues.count)
        for value in rootValues {
            guard case .link(let cid) = value else { throw .invalidCAR("roots must be links") }
            roots.append(cid)
        }
        self.roots = roots
        self.input = bytes
        self.limits = limits
        self.position = end
    }

    private static func readVarint(_ bytes: ArraySlice<UInt8>) throws(DataModelError) -> (UInt64, Int) {
        do { return try Varint.decode(bytes) } catch { throw .invalidCAR(bytes.isEmpty ? "truncated" : "invalid varint") }
    }

    /// The next block, or `nil` at the end of the file.
    package mutating func next() throws(DataModelError) -> Block? {
        guard position < input.count else { return nil }
        let (length, prefix) = try CARReader.readVarint(input[position...])
        let start = position + prefix
        guard length > 0 else { throw .invalidCAR("empty block section") }
        guard length <= UInt64(input.count - start) else { throw .invalidCAR("truncated block") }
        let end = start + Int(length)
        let cid: CID
        let cidLength: Int
        do { (cid, cidLength) = try CID.parsePrefix(input[start..<end]) } catch {
            throw .invalidCAR("invalid block CID: \(error)")
        }
        let data = input[(start + cidLength)..<end]
        guard data.count <= limits.maxBlockSize else { throw .tooLarge("block exceeds \(limits.maxBlockSize) bytes") }
        guard sha256(data).elementsEqual(cid.digest) else { throw .invalidCAR("block data does not match CID \(cid)") }
        position = end
        return Block(cid: cid, bytes: Array(data))
    }

    /// Reads a whole CAR file.
    /// - Parameters:
    ///   - bytes: the whole CAR file.
    ///   - limits: size bounds.
    /// - Returns: the roots and every block in file order.
    package static func read(_ bytes: [UInt8], limits: Limits = Limits()) throws(DataModelError)
        -> (roots: [CID], blocks: [Block])
    {
        var reader = try CARReader(bytes, limits: limits)
        var blocks: [Block] = []
        while let block = try reader.next() { blocks.append(block) }
        return (reader.roots, blocks)
    }
}
