import Testing

@testable import BlobStore

@Suite struct BlobMIMESnifferTests {
    static func bytes(_ prefix: [UInt8], ascii: String = "", padTo: Int = 64) -> [UInt8] {
        var out = prefix + Array(ascii.utf8)
        if out.count < padTo { out += [UInt8](repeating: 0, count: padTo - out.count) }
        return out
    }
    static func ftyp(_ brand: String) -> [UInt8] { [0, 0, 0, 0x20] + Array("ftyp\(brand)".utf8) + [0, 0, 0, 0] }
    static func riff(_ form: String) -> [UInt8] { Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array(form.utf8) }
    static func ebml(docType: String) -> [UInt8] {
        [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x80 | UInt8(docType.utf8.count)]
            + Array(docType.utf8)
    }

    @Test(arguments: [
        (bytes([0xFF, 0xD8, 0xFF, 0xE0]), "image/jpeg"),
        (bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "image/png"),
        (bytes([], ascii: "GIF89a"), "image/gif"),
        (bytes([], ascii: "GIF87a"), "image/gif"),
        (bytes(riff("WEBP")), "image/webp"),
        (bytes(riff("WAVE")), "audio/wav"),
        (bytes(ftyp("avif")), "image/avif"),
        (bytes(ftyp("heic")), "image/heic"),
        (bytes(ftyp("mif1")), "image/heif"),
        (bytes(ftyp("isom")), "video/mp4"),
        (bytes(ftyp("mp42")), "video/mp4"),
        (bytes(ftyp("qt  ")), "video/quicktime"),
        (bytes(ftyp("M4A ")), "audio/x-m4a"),
        (bytes(ftyp("3gp5")), "video/3gpp"),
        (bytes(ebml(docType: "webm")), "video/webm"),
        (bytes(ebml(docType: "matroska")), "video/x-matroska"),
        (bytes([], ascii: "ID3\u{03}"), "audio/mpeg"),
        (bytes([0xFF, 0xFB, 0x90, 0x64]), "audio/mpeg"),
        (bytes([], ascii: "OggS"), "audio/ogg"),
        (bytes([], ascii: "OggS" + String(repeating: "\u{0}", count: 24) + "OpusHead"), "audio/opus"),
        (bytes([], ascii: "fLaC"), "audio/x-flac"),
        (bytes([], ascii: "%PDF-1.7"), "application/pdf"),
        (bytes([0x50, 0x4B, 0x03, 0x04]), "application/zip"),
        (bytes([0x1F, 0x8B, 0x08, 0x00]), "application/gzip"),
        (bytes([0x49, 0x49, 0x2A, 0x00]), "image/tiff"),
    ])
    func sniffs(_ head: [UInt8], expected: String) {
        #expect(MIMESniffer.sniff(head) == expected)
    }

    @Test(arguments: [
        Array("<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".utf8),
        Array("{\"a\": 1}".utf8),
        Array("<!DOCTYPE html><html>".utf8),
        Array("hello".utf8),
        [],
        [0xFF, 0xD8],  // truncated JPEG signature
        [0xFF, 0xF1, 0x50, 0x80],  // AAC ADTS, not MP3
        Array("RIFF\u{0}\u{0}\u{0}\u{0}XXXX".utf8),
    ])
    func unknownOrTextIsNil(_ head: [UInt8]) {
        #expect(MIMESniffer.sniff(head) == nil)
    }

    @Test func fallback() {
        #expect(MIMESniffer.resolve(sniffed: "image/png", declared: "text/plain") == "image/png")
        #expect(MIMESniffer.resolve(sniffed: nil, declared: "Image/SVG+xml; charset=utf-8") == "image/svg+xml")
        #expect(MIMESniffer.resolve(sniffed: nil, declared: "*/*") == "application/octet-stream")
        #expect(MIMESniffer.resolve(sniffed: nil, declared: nil) == "application/octet-stream")
        #expect(MIMESniffer.resolve(sniffed: nil, declared: "garbage") == "application/octet-stream")
        #expect(MIMESniffer.resolve(sniffed: nil, declared: "text/<x>") == "application/octet-stream")
    }
}
