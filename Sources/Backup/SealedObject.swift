import Crypto
import Foundation

/// The encrypted object format: every byte a backup target holds is in one of these.
///
/// ```
/// "PDSBK" | version (1 byte, 1) | header length (UInt32, big endian) | header (JSON) | nonce (12) | ciphertext | tag (16)
/// ```
/// The payload is sealed with AES-256-GCM under a fresh random 96-bit nonce (so nonces never repeat in practice for
/// one key: keep well under 2^32 objects per key), and the whole prefix up to the nonce, header included, is the
/// additional authenticated data: a header can not be altered or an object renamed without failing authentication
/// (the reader also checks that the header's file and generation match the object's name).
package struct SealedObject: Sendable {
    /// What an object says about itself (authenticated, not encrypted: no secret goes here).
    package struct Header: Codable, Sendable, Equatable {
        /// The id of the key it was sealed with (``BackupKey/id``).
        package var keyID: String
        /// The logical file (``BackupFile``), or `keycheck`.
        package var file: String
        /// The generation: when the copy was taken, in milliseconds since 1970.
        package var generation: Int64
        /// The object's index within its generation (0: whole-file copies are one object).
        package var index: Int
        /// The plaintext size.
        package var size: Int
    }

    static let magic = Array("PDSBK".utf8)
    static let version: UInt8 = 1

    /// Seals `payload` under `key`.
    /// - Parameters:
    ///   - index: the object's index in its generation (0: the copy; WAL segments from 1).
    package static func seal(_ payload: [UInt8], file: String, generation: Int64, index: Int = 0, key: BackupKey) throws
        -> [UInt8]
    {
        let header = Header(keyID: key.id, file: file, generation: generation, index: index, size: payload.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let headerBytes = Array(try encoder.encode(header))
        var prefix = magic + [version]
        let length = UInt32(headerBytes.count)
        prefix += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        prefix += headerBytes
        let box = try AES.GCM.seal(payload, using: key.symmetric, nonce: AES.GCM.Nonce(), authenticating: prefix)
        guard let combined = box.combined else { throw BackupError.corrupted(object: file, reason: "sealing failed") }
        return prefix + Array(combined)
    }

    /// Reads only the header (no key needed; not yet authenticated).
    package static func header(of bytes: [UInt8], object: String) throws -> (Header, prefixLength: Int) {
        guard bytes.count >= magic.count + 5, Array(bytes.prefix(magic.count)) == magic else {
            throw BackupError.corrupted(object: object, reason: "not a backup object")
        }
        guard bytes[magic.count] == version else {
            throw BackupError.corrupted(object: object, reason: "unknown format version \(bytes[magic.count])")
        }
        let at = magic.count + 1
        let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        let end = at + 4 + length
        guard bytes.count >= end + 28 else { throw BackupError.corrupted(object: object, reason: "truncated") }
        do {
            return (try JSONDecoder().decode(Header.self, from: Data(bytes[(at + 4)..<end])), end)
        } catch {
            throw BackupError.corrupted(object: object, reason: "unreadable header: \(error)")
        }
    }

    /// Authenticates and decrypts an object.
    /// - Parameters:
    ///   - bytes: the object.
    ///   - object: its name (for errors).
    ///   - key: the key.
    ///   - file: the logical file its name says it holds, checked against the header.
    ///   - generation: the generation its name says, checked against the header.
    ///   - index: the index in the generation its name says, checked against the header.
    /// - Throws: ``BackupError/wrongKey(expected:found:)`` when sealed with another key; ``BackupError/corrupted(object:reason:)``
    ///   when authentication fails or the header does not match the name.
    package static func open(
        _ bytes: [UInt8], object: String, key: BackupKey, file: String? = nil, generation: Int64? = nil,
        index: Int? = nil
    ) throws -> (Header, [UInt8]) {
        let (header, prefixLength) = try Self.header(of: bytes, object: object)
        guard header.keyID == key.id else { throw BackupError.wrongKey(expected: header.keyID, found: key.id) }
        if let file, header.file != file {
            throw BackupError.corrupted(object: object, reason: "it holds \(header.file), not \(file)")
        }
        if let generation, header.generation != generation {
            throw BackupError.corrupted(object: object, reason: "it holds generation \(header.generation)")
        }
        if let index, header.index != index {
            throw BackupError.corrupted(object: object, reason: "it holds object \(header.index) of its generation")
        }
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[prefixLength...])
            plaintext = try AES.GCM.open(box, using: key.symmetric, authenticating: bytes[..<prefixLength])
        } catch {
            throw BackupError.corrupted(object: object, reason: "authentication failed")
        }
        guard plaintext.count == header.size else {
            throw BackupError.corrupted(object: object, reason: "size \(plaintext.count), header says \(header.size)")
        }
        return (header, Array(plaintext))
    }
}
