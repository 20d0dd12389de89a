import Foundation

/// One shipped run of committed WAL frames: the payload of a segment object (before sealing).
///
/// ```
/// "PDSWAL01" | page size (UInt32) | salt1 | salt2 | start offset (UInt64) | checksum1 | checksum2 | big-endian (1) |
/// 3 zero bytes | bytes
/// ```
/// (integers big-endian). `bytes` are the WAL's bytes from the start offset on: the 32-byte WAL header when the
/// offset is 0 (the segment opens a new WAL incarnation), then whole frames ending with a commit frame. The checksum is
/// the running checksum at the start offset, so a segment verifies on its own and chains with the one before it.
package struct WALSegment: Sendable, Equatable {
    /// Where the segment starts: the incarnation's salts and the running checksum at ``WALPosition/offset``.
    package var start: WALPosition
    /// The WAL bytes.
    package var bytes: [UInt8]

    static let magic = Array("PDSWAL01".utf8)
    static let prefixSize = 8 + 4 + 4 + 4 + 8 + 4 + 4 + 4

    /// A segment.
    package init(start: WALPosition, bytes: [UInt8]) {
        self.start = start
        self.bytes = bytes
    }

    /// The payload.
    package func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(Self.prefixSize + bytes.count)
        func put32(_ value: UInt32) { out += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
        put32(UInt32(start.pageSize))
        put32(start.salt1)
        put32(start.salt2)
        let offset = UInt64(start.offset)
        put32(UInt32(offset >> 32))
        put32(UInt32(offset & 0xffff_ffff))
        put32(start.checksum.0)
        put32(start.checksum.1)
        out += [start.bigEndianChecksum ? 1 : 0, 0, 0, 0]
        out += bytes
        return out
    }

    /// Parses a payload.
    /// - Throws: ``BackupError/corrupted(object:reason:)``.
    package init(decoding payload: [UInt8], object: String) throws {
        guard payload.count >= Self.prefixSize, Array(payload.prefix(8)) == Self.magic else {
            throw BackupError.corrupted(object: object, reason: "not a WAL segment")
        }
        let slice = payload[...]
        let word = { (at: Int) in WALReader.word(slice, at) }
        let offset = Int(UInt64(word(20)) << 32 | UInt64(word(24)))
        start = WALPosition(
            salt1: word(12), salt2: word(16), pageSize: Int(word(8)), bigEndianChecksum: payload[36] == 1,
            offset: offset, checksum: (word(28), word(32)))
        bytes = Array(payload[Self.prefixSize...])
    }

    /// Checks the segment and returns its committed transactions, each the pages it wrote (page number and the offset
    /// of the page in ``bytes``) and the database size in pages after it.
    /// - Parameters:
    ///   - previous: where the segment before it in the generation ended (`nil` for the first after the snapshot).
    /// - Throws: ``BackupError/corrupted(object:reason:)`` when a header, salt or checksum does not verify, the
    ///   segment does not continue `previous`, or it ends inside a transaction.
    package func transactions(after previous: WALPosition?, object: String) throws -> (
        [(pages: [(UInt32, Int)], databasePages: UInt32)], end: WALPosition
    ) {
        var position = start
        var body = bytes[...]
        if start.offset == 0 {
            guard let header = WALReader.header(bytes[...]) else {
                throw BackupError.corrupted(object: object, reason: "bad WAL header")
            }
            guard header.salt1 == start.salt1, header.salt2 == start.salt2, header.pageSize == start.pageSize else {
                throw BackupError.corrupted(object: object, reason: "WAL header does not match the segment")
            }
            position = header
            body = bytes[WALReader.headerSize...]
        } else if let previous, previous != start {
            throw BackupError.corrupted(
                object: object, reason: "does not continue the previous segment (a segment is missing)")
        }
        let (length, end) = WALReader.committedFrames(body, after: position)
        guard length == body.count else {
            throw BackupError.corrupted(
                object: object, reason: "checksum or salt mismatch, or a transaction cut off, at WAL offset \(end.offset)")
        }
        var transactions: [(pages: [(UInt32, Int)], databasePages: UInt32)] = []
        var pages: [(UInt32, Int)] = []
        var at = body.startIndex
        while at < body.endIndex {
            pages.append((WALReader.word(body, at), at + WALReader.frameHeaderSize))
            let size = WALReader.word(body, at + 4)
            if size != 0 {
                transactions.append((pages, size))
                pages = []
            }
            at += start.frameSize
        }
        return (transactions, end)
    }

    /// Applies the segment's transactions to the database file open at `fd` (each page written at
    /// `(pgno - 1) × pageSize`, the file truncated to the size after each commit).
    /// - Returns: where the segment ended.
    @discardableResult
    package func apply(to fd: Int32, after previous: WALPosition?, object: String) throws -> WALPosition {
        let (transactions, end) = try transactions(after: previous, object: object)
        let pageSize = start.pageSize
        try bytes.withUnsafeBytes { raw in
            for transaction in transactions {
                for (pgno, at) in transaction.pages {
                    var done = 0
                    while done < pageSize {
                        let n = pwrite(fd, raw.baseAddress! + at + done, pageSize - done, off_t((Int(pgno) - 1) * pageSize + done))
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                        }
                        done += n
                    }
                }
                guard ftruncate(fd, off_t(Int(transaction.databasePages) * pageSize)) == 0 else {
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
            }
        }
        return end
    }
}
