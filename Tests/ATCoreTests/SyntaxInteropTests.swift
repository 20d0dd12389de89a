import TestFixtures
import Testing

@testable import ATCore

/// Every `syntax/*_valid.txt` line must parse and every `*_invalid.txt` line must throw ``SyntaxError``.
@Suite struct SyntaxInteropTests {
    // MARK: - DID

    @Test(arguments: try Fixtures.lines("syntax/did_syntax_valid.txt"))
    func validDID(_ line: String) throws {
        let did = try DID(line)
        #expect(did.rawValue == line)
        #expect(did.isSafePathComponent)
        #expect("did:\(did.method):\(did.identifier)" == line)
    }

    @Test(arguments: try Fixtures.lines("syntax/did_syntax_invalid.txt"))
    func invalidDID(_ line: String) {
        #expect(throws: SyntaxError.self) { try DID(line) }
    }

    // MARK: - Handle

    @Test(arguments: try Fixtures.lines("syntax/handle_syntax_valid.txt"))
    func validHandle(_ line: String) throws {
        #expect(try Handle(line).rawValue == line.lowercased())
    }

    @Test(arguments: try Fixtures.lines("syntax/handle_syntax_invalid.txt"))
    func invalidHandle(_ line: String) {
        #expect(throws: SyntaxError.self) { try Handle(line) }
    }

    // MARK: - NSID

    @Test(arguments: try Fixtures.lines("syntax/nsid_syntax_valid.txt"))
    func validNSID(_ line: String) throws {
        let nsid = try NSID(line)
        #expect("\(nsid.authority).\(nsid.name)" == line)
    }

    @Test(arguments: try Fixtures.lines("syntax/nsid_syntax_invalid.txt"))
    func invalidNSID(_ line: String) {
        #expect(throws: SyntaxError.self) { try NSID(line) }
    }

    // MARK: - Record key

    @Test(arguments: try Fixtures.lines("syntax/recordkey_syntax_valid.txt"))
    func validRecordKey(_ line: String) throws { _ = try RecordKey(line) }

    @Test(arguments: try Fixtures.lines("syntax/recordkey_syntax_invalid.txt"))
    func invalidRecordKey(_ line: String) {
        #expect(throws: SyntaxError.self) { try RecordKey(line) }
    }

    // MARK: - TID

    @Test(arguments: try Fixtures.lines("syntax/tid_syntax_valid.txt"))
    func validTID(_ line: String) throws {
        let tid = try TID(line)
        #expect(TID(timestampMicroseconds: tid.timestampMicroseconds, clockID: tid.clockID) == tid)
    }

    @Test(arguments: try Fixtures.lines("syntax/tid_syntax_invalid.txt"))
    func invalidTID(_ line: String) {
        #expect(throws: SyntaxError.self) { try TID(line) }
    }

    // MARK: - AT URI and AT identifier

    @Test(arguments: try Fixtures.lines("syntax/aturi_syntax_valid.txt"))
    func validATURI(_ line: String) throws { #expect(try ATURI(line).rawValue == line) }

    @Test(arguments: try Fixtures.lines("syntax/aturi_syntax_invalid.txt"))
    func invalidATURI(_ line: String) {
        #expect(throws: SyntaxError.self) { try ATURI(line) }
    }

    @Test(arguments: try Fixtures.lines("syntax/atidentifier_syntax_valid.txt"))
    func validATIdentifier(_ line: String) throws { _ = try ATIdentifier(line) }

    @Test(arguments: try Fixtures.lines("syntax/atidentifier_syntax_invalid.txt"))
    func invalidATIdentifier(_ line: String) {
        #expect(throws: SyntaxError.self) { try ATIdentifier(line) }
    }

    // MARK: - Datetime

    @Test(arguments: try Fixtures.lines("syntax/datetime_syntax_valid.txt"))
    func validDatetime(_ line: String) throws {
        try Datetime.checkSyntax(line)
        _ = try Datetime(line)
    }

    @Test(arguments: try Fixtures.lines("syntax/datetime_syntax_invalid.txt"))
    func invalidDatetime(_ line: String) {
        #expect(throws: SyntaxError.self) { try Datetime.checkSyntax(line) }
        #expect(throws: SyntaxError.self) { try Datetime(line) }
    }

    /// Syntactically fine, but not a real instant.
    @Test(arguments: try Fixtures.lines("syntax/datetime_parse_invalid.txt"))
    func unparseableDatetime(_ line: String) throws {
        try Datetime.checkSyntax(line)
        #expect(throws: SyntaxError.self) { try Datetime(line) }
    }

    // MARK: - Language

    @Test(arguments: try Fixtures.lines("syntax/language_syntax_valid.txt"))
    func validLanguage(_ line: String) throws {
        _ = try Language(line)
        _ = try Language(valid: line)
    }

    @Test(arguments: try Fixtures.lines("syntax/language_syntax_invalid.txt"))
    func invalidLanguage(_ line: String) {
        #expect(throws: SyntaxError.self) { try Language(line) }
    }

    /// Well-formed, so accepted as Lexicon syntax, but not valid per RFC 5646.
    @Test(arguments: try Fixtures.lines("syntax/language_parse_invalid.txt"))
    func wellFormedButInvalidLanguage(_ line: String) throws {
        let language = try Language(line)
        #expect(language.hasDuplicateSubtags)
        #expect(throws: SyntaxError.self) { try Language(valid: line) }
    }

    // MARK: - CID and URI strings

    @Test(arguments: try Fixtures.lines("syntax/cid_syntax_valid.txt"))
    func validCIDString(_ line: String) throws { _ = try CIDString(line) }

    @Test(arguments: try Fixtures.lines("syntax/cid_syntax_invalid.txt"))
    func invalidCIDString(_ line: String) {
        #expect(throws: SyntaxError.self) { try CIDString(line) }
    }

    @Test(arguments: try Fixtures.lines("syntax/uri_syntax_valid.txt"))
    func validURIString(_ line: String) throws { _ = try URIString(line) }

    @Test(arguments: try Fixtures.lines("syntax/uri_syntax_invalid.txt"))
    func invalidURIString(_ line: String) {
        #expect(throws: SyntaxError.self) { try URIString(line) }
    }
}
