import Foundation

/// Where shipping stands in one incarnation of a database's `-wal` file: its salts and checksum byte order, the byte
/// offset just past the last shipped frame, and the running checksum there.
///
/// A WAL incarnation is identified by the two salts of its 32-byte header: after a checkpoint that backfilled every
/// frame the next writer restarts the file at offset 0 with `salt1` incremented and a new random `salt2`.
package struct WALPosition: Sendable, Equatable {
    /// The header's salts.
    package var salt1: UInt32
    package var salt2: UInt32
    /// The page size.
    package var pageSize: Int
    /// Whether checksums read the data as big-endian words (the header's magic ends in 1).
    package var bigEndianChecksum: Bool
    /// The byte offset just past the last frame read (32 when none was).
    package var offset: Int
    /// The running checksum at ``offset``.
    package var checksum: (UInt32, UInt32)

    /// The size of one frame (24-byte header and a page).
    package var frameSize: Int { 24 + pageSize }

    package static func == (a: WALPosition, b: WALPosition) -> Bool {
        a.salt1 == b.salt1 && a.salt2 == b.salt2 && a.pageSize == b.pageSize
            && a.bigEndianChecksum == b.bigEndianChecksum && a.offset == b.offset && a.checksum == b.checksum
    }
}

/// Reads SQLite write-ahead logs (<https://www.sqlite.org/fileformat2.html#walformat>): the header, then frames up to
/// the last commit frame whose salts match the header and whose checksum chain holds. Anything after that (a
/// transaction still being written, a torn frame, frames of an earlier incarnation left behind a restart) is not
/// committed and is ignored.
package enum WALReader {
    /// The header size.
    package static let headerSize = 32
    /// A frame header's size.
    package static let frameHeaderSize = 24

    /// Parses a WAL header; `nil` when `bytes` is too short or not a valid header (bad magic, version, page size or
    /// header checksum): a WAL that is absent, empty or being created.
    package static func header(_ bytes: ArraySlice<UInt8>) -> WALPosition? {
        guard bytes.count >= headerSize else { return nil }
        let base = bytes.startIndex
        let magic = word(bytes, base)
        guard magic == 0x377f_0682 || magic == 0x377f_0683, word(bytes, base + 4) == 3_007_000 else { return nil }
        let pageSize = Int(word(bytes, base + 8))
        guard pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else { return nil }
        let bigEndian = magic & 1 == 1
        let sum = checksum(bytes[base..<(base + 24)], bigEndian: bigEndian, start: (0, 0))
        guard sum.0 == word(bytes, base + 24), sum.1 == word(bytes, base + 28) else { return nil }
        return WALPosition(
            salt1: word(bytes, base + 16), salt2: word(bytes, base + 20), pageSize: pageSize,
            bigEndianChecksum: bigEndian, offset: headerSize, checksum: sum)
    }

    /// The committed frames of `bytes` (the WAL's bytes from `position.offset` on) after `position`.
    /// - Returns: how many bytes of `bytes` are committed frames (a multiple of the frame size), and the position just
    ///   past the last commit frame (`position` when there is none).
    package static func committedFrames(_ bytes: ArraySlice<UInt8>, after position: WALPosition) -> (
        length: Int, position: WALPosition
    ) {
        var running = position.checksum
        var committed = (length: 0, position: position)
        var at = bytes.startIndex
        let frameSize = position.frameSize
        while bytes.endIndex - at >= frameSize {
            guard word(bytes, at + 8) == position.salt1, word(bytes, at + 12) == position.salt2 else { break }
            running = checksum(bytes[at..<(at + 8)], bigEndian: position.bigEndianChecksum, start: running)
            running = checksum(
                bytes[(at + frameHeaderSize)..<(at + frameSize)], bigEndian: position.bigEndianChecksum, start: running)
            guard running.0 == word(bytes, at + 16), running.1 == word(bytes, at + 20) else { break }
            at += frameSize
            if word(bytes, at - frameSize + 4) != 0 {
                let length = at - bytes.startIndex
                var next = position
                next.offset = position.offset + length
                next.checksum = running
                committed = (length, next)
            }
        }
        return committed
    }

    /// SQLite's WAL checksum: over 32-bit words taken two at a time, `s1 += x0 + s2; s2 += x1 + s1`.
    package static func checksum(_ bytes: ArraySlice<UInt8>, bigEndian: Bool, start: (UInt32, UInt32)) -> (
        UInt32, UInt32
    ) {
        var (s1, s2) = start
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            let count = buffer.count - buffer.count % 8
            while i < count {
                let x0: UInt32
                let x1: UInt32
                if bigEndian {
                    x0 = UInt32(buffer[i]) << 24 | UInt32(buffer[i + 1]) << 16 | UInt32(buffer[i + 2]) << 8
                        | UInt32(buffer[i + 3])
                    x1 = UInt32(buffer[i + 4]) << 24 | UInt32(buffer[i + 5]) << 16 | UInt32(buffer[i + 6]) << 8
                        | UInt32(buffer[i + 7])
                } else {
                    x0 = UInt32(buffer[i + 3]) << 24 | UInt32(buffer[i + 2]) << 16 | UInt32(buffer[i + 1]) << 8
                        | UInt32(buffer[i])
                    x1 = UInt32(buffer[i + 7]) << 24 | UInt32(buffer[i + 6]) << 16 | UInt32(buffer[i + 5]) << 8
                        | UInt32(buffer[i + 4])
                }
                s1 = s1 &+ x0 &+ s2
                s2 = s2 &+ x1 &+ s1
                i += 8
            }
        }
        return (s1, s2)
    }

    /// The big-endian 32-bit word at `at`.
    package static func word(_ bytes: ArraySlice<UInt8>, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// Reads `path` from `offset` to its end (at most `count` bytes); an empty array when it does not exist or is
    /// shorter.
    package static func read(_ path: String, from offset: Int, count: Int? = nil) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return [] }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let size = Int(info.st_size)
        guard size > offset else { return [] }
        var bytes = [UInt8](repeating: 0, count: min(size - offset, count ?? Int.max))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            done += n
        }
        return Array(bytes.prefix(done))
    }
}
