import Foundation

/// Detects a blob's MIME type from its first bytes (magic numbers), like the reference's `file-type`.
///
/// Only binary formats with unambiguous signatures are recognised. Text formats (SVG, JSON, HTML, plain text) are
/// deliberately not guessed: a heuristic that calls attacker-controlled text `image/svg+xml` or `text/html` is a
/// cross-site scripting risk, and the declared `Content-Type` is what the reference falls back to anyway.
package enum MIMESniffer {
    /// How many leading bytes ``sniff(_:)`` looks at.
    package static let headerLength = 4100

    /// The MIME type of content starting with `head`, or `nil` if unknown.
    /// - Parameters:
    ///   - head: the first bytes (up to ``headerLength``; fewer if the content is shorter).
    package static func sniff(_ head: some Collection<UInt8>) -> String? {
        let b = Array(head.prefix(headerLength))
        func at(_ offset: Int, _ signature: [UInt8]) -> Bool {
            offset + signature.count <= b.count && b[offset..<(offset + signature.count)].elementsEqual(signature)
        }
        func at(_ offset: Int, _ ascii: String) -> Bool { at(offset, Array(ascii.utf8)) }

        if at(0, [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if at(0, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if at(0, "GIF87a") || at(0, "GIF89a") { return "image/gif" }
        if at(0, "RIFF") {
            if at(8, "WEBP") { return "image/webp" }
            if at(8, "WAVE") { return "audio/wav" }
            if at(8, "AVI ") { return "video/vnd.avi" }
            return nil
        }
        if at(4, "ftyp"), b.count >= 12 { return ftyp(brand: String(decoding: b[8..<12], as: UTF8.self)) }
        if at(0, [0x1A, 0x45, 0xDF, 0xA3]) { return matroska(b) }
        if at(0, "OggS") {
            if at(28, "OpusHead") { return "audio/opus" }
            if at(28, [0x80]) && at(29, "theora") { return "video/ogg" }
            return "audio/ogg"
        }
        if at(0, "fLaC") { return "audio/x-flac" }
        if at(0, "ID3") { return "audio/mpeg" }
        // An MPEG audio frame header: 11 sync bits, then a version, and layer III (bits 01).
        if b.count >= 2, b[0] == 0xFF, b[1] & 0xE0 == 0xE0, b[1] & 0x06 == 0x02, b[1] & 0x18 != 0x08 {
            return "audio/mpeg"
        }
        if at(0, "%PDF-") { return "application/pdf" }
        if at(0, [0x50, 0x4B, 0x03, 0x04]) || at(0, [0x50, 0x4B, 0x05, 0x06]) { return "application/zip" }
        if at(0, [0x1F, 0x8B, 0x08]) { return "application/gzip" }
        if at(0, [0x49, 0x49, 0x2A, 0x00]) || at(0, [0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        return nil
    }

    /// ISO base media files (`ftyp` box): HEIF/AVIF images and MP4/QuickTime/3GP video.
    private static func ftyp(brand: String) -> String {
        switch brand {
        case "avif", "avis": "image/avif"
        case "heic", "heix", "heim", "heis": "image/heic"
        case "hevc", "hevx": "image/heic-sequence"
        case "mif1": "image/heif"
        case "msf1": "image/heif-sequence"
        case "qt  ": "video/quicktime"
        case "M4A ", "M4B ": "audio/x-m4a"
        case "M4V ", "M4VH", "M4VP": "video/x-m4v"
        case "crx ": "image/x-canon-cr3"
        default: brand.hasPrefix("3g2") ? "video/3gpp2" : brand.hasPrefix("3g") ? "video/3gpp" : "video/mp4"
        }
    }

    /// EBML (Matroska/WebM): the `DocType` element (ID `0x4282`) in the header names the variant.
    private static func matroska(_ b: [UInt8]) -> String {
        let window = b.prefix(64)
        var i = window.startIndex
        while i + 3 < window.endIndex {
            if window[i] == 0x42, window[i + 1] == 0x82 {
                let sizeByte = window[i + 2]
                // A one-byte EBML size has its top bit set; the value is the low 7 bits.
                if sizeByte & 0x80 != 0 {
                    let length = Int(sizeByte & 0x7F)
                    let start = i + 3
                    if start + length <= b.count {
                        let docType = String(decoding: b[start..<(start + length)], as: UTF8.self)
                        if docType == "webm" { return "video/webm" }
                        if docType == "matroska" { return "video/x-matroska" }
                    }
                }
            }
            i += 1
        }
        return "video/x-matroska"
    }

    /// The MIME type to record: the sniffed type, else the declared `Content-Type` (parameters dropped) unless it is
    /// missing, malformed or `*/*`, else `application/octet-stream`.
    /// - Parameters:
    ///   - sniffed: what ``sniff(_:)`` found.
    ///   - declared: the request's `Content-Type`.
    package static func resolve(sniffed: String?, declared: String?) -> String {
        if let sniffed { return sniffed }
        if let declared {
            let essence = declared.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            let parts = essence.split(separator: "/", omittingEmptySubsequences: false)
            if essence != "*/*", parts.count == 2, parts.allSatisfy({ isToken($0) }) { return essence }
        }
        return "application/octet-stream"
    }

    private static func isToken(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            (0x21...0x7E).contains(c) && !"()<>@,;:\\\"/[]?={}".utf8.contains(c)
        }
    }
}
