import ATCore

/// Unpadded base64url (RFC 4648 §5), as PLC signatures use it.
///
/// Decoding is strict, as the did:plc spec requires: no padding, no standard-alphabet characters and zero trailing
/// bits, so every signature has exactly one accepted encoding.
package enum Base64URL {
    /// Encodes bytes as base64url without padding.
    /// - Parameters:
    ///   - bytes: the bytes to encode.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(Base64.encode(bytes).map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// Decodes unpadded base64url.
    /// - Parameters:
    ///   - string: the encoded text.
    /// - Returns: the bytes, or `nil` when the text is not canonical unpadded base64url.
    package static func decode(_ string: some StringProtocol) -> [UInt8]? {
        var standard = ""
        standard.reserveCapacity(string.utf8.count)
        for c in string {
            switch c {
            case "+", "/", "=": return nil
            case "-": standard.append("+")
            case "_": standard.append("/")
            default: standard.append(c)
            }
        }
        return try? Base64.decode(standard)
    }
}
