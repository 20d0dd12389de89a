/// A Lexicon `cid` string: a syntax check of a CID's text form, not a decode.
///
/// Accepts 8–256 characters from `A-Z a-z 0-9 + =` (multibase alphabets used for CIDv1) and rejects legacy
/// CIDv0 strings (`Qm…`). Use the binary `CID` type in `ATCore/Data` to actually parse one.
package struct CIDString: ValidatedString {
    /// The CID string.
    package let rawValue: String

    /// Checks the syntax of a CID string.
    ///
    /// - Parameters:
    ///   - string: For example `bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm`.
    package init(_ string: some StringProtocol) throws(SyntaxError) {
        let raw = String(string)
        let bytes = raw.utf8
        guard (8...256).contains(bytes.count) else { throw .invalidCID("must be 8 to 256 characters") }
        guard bytes.allSatisfy({ SyntaxASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "=") })
        else { throw .invalidCID("disallowed character") }
        guard !raw.hasPrefix("Qm") else { throw .invalidCID("CIDv0 is not supported") }
        self.rawValue = raw
    }
}
