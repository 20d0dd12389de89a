import ATCore
import Foundation
import TestFixtures
import Testing

@testable import Lexicon

/// One named case of a lexicon fixture file.
struct LexiconCase: CustomTestStringConvertible, Sendable {
    let name: String
    let value: JSONValue
    let rkey: String?
    var testDescription: String { name }

    static func load(_ file: String, field: String) throws -> [LexiconCase] {
        let root = try JSONValue(parsing: Array(Fixtures.data("lexicon/\(file)")))
        return (root.array ?? []).map { entry in
            LexiconCase(name: entry["name"]?.string ?? "?", value: entry[field] ?? .null, rkey: entry["rkey"]?.string)
        }
    }
}

@Suite struct LexiconInteropTests {
    static let catalogFiles = ["record.json", "query.json", "procedure.json", "subscription.json", "permission-set.json"]

    static func catalog() throws -> LexiconCatalog {
        var catalog = LexiconCatalog()
        for file in catalogFiles {
            catalog.add(try LexiconDocument(json: Array(Fixtures.data("lexicon/catalog/\(file)"))))
        }
        return catalog
    }

    @Test(arguments: catalogFiles)
    func catalogDocumentsParse(_ file: String) throws {
        _ = try LexiconDocument(json: Array(Fixtures.data("lexicon/catalog/\(file)")))
    }

    @Test(arguments: try LexiconCase.load("lexicon-valid.json", field: "lexicon"))
    func validLexicons(_ testCase: LexiconCase) throws {
        _ = try LexiconDocument(json: testCase.value)
    }

    @Test(arguments: try LexiconCase.load("lexicon-invalid.json", field: "lexicon"))
    func invalidLexicons(_ testCase: LexiconCase) {
        #expect(throws: LexiconError.self) { try LexiconDocument(json: testCase.value) }
    }

    func validate(_ testCase: LexiconCase) throws {
        let record = try LexValue(json: testCase.value)
        let collection = try NSID(try #require(record["$type"]?.string))
        try LexiconValidator(catalog: Self.catalog())
            .validateRecord(record, collection: collection, rkey: try RecordKey(testCase.rkey ?? "demo"))
    }

    @Test(arguments: try LexiconCase.load("record-data-valid.json", field: "data"))
    func validRecords(_ testCase: LexiconCase) throws {
        try validate(testCase)
    }

    @Test(arguments: try LexiconCase.load("record-data-invalid.json", field: "data"))
    func invalidRecords(_ testCase: LexiconCase) {
        #expect(throws: (any Error).self) { try validate(testCase) }
    }
}

@Suite struct OfficialLexiconTests {
    /// Every official lexicon JSON file in ../shared/lexicons.
    static func files() -> [String] {
        let root = Fixtures.lexiconDirectory
        let enumerator = FileManager.default.enumerator(atPath: root.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".json") { files.append(path) }
        }
        return files.sorted()
    }

    @Test func thereAreOfficialLexicons() {
        #expect(Self.files().count > 200)
    }

    @Test(arguments: files())
    func officialLexiconParses(_ path: String) throws {
        let bytes = try Data(contentsOf: Fixtures.lexiconDirectory.appendingPathComponent(path))
        let document = try LexiconDocument(json: Array(bytes))
        #expect(path.replacingOccurrences(of: "/", with: ".").hasPrefix(document.id.rawValue))
    }
}

@Suite struct LexiconValidatorTests {
    @Test(arguments: [
        ("image/png", "image/*", true), ("image/png", "*/*", true), ("video/mp4", "image/*", false),
        ("image/png", "image/png", true), ("image/pngx", "image/png", false),
    ])
    func mimePatterns(mime: String, pattern: String, matches: Bool) {
        #expect(LexiconValidator.mimeType(mime, matches: pattern) == matches)
    }

    @Test func unionTypeWithoutFragmentMeansMain() throws {
        let document = try LexiconDocument(
            json: Array(
                #"""
                {"lexicon": 1, "id": "com.example.embed",
                 "defs": {"main": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
                          "holder": {"type": "object", "properties": {"e": {"type": "union", "refs": ["com.example.embed"], "closed": true}}}}}
                """#.utf8))
        let validator = LexiconValidator(catalog: LexiconCatalog([document]))
        let holder = try validator.catalog.resolve("com.example.embed#holder")
        try validator.validate(.map(["e": .map(["$type": .string("com.example.embed"), "n": .integer(1)])]), holder, path: "x")
        #expect(throws: LexiconError.self) {
            try validator.validate(.map(["e": .map(["$type": .string("com.example.embed")])]), holder, path: "x")
        }
    }
}
