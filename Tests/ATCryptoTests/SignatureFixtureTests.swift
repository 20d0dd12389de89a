import TestFixtures
import Testing

@testable import ATCrypto

/// One entry of `crypto/signature-fixtures.json`.
struct SignatureFixture: Decodable, Sendable, CustomTestStringConvertible {
    let comment: String
    let messageBase64: String
    let algorithm: String
    let didDocSuite: String
    let publicKeyDid: String
    let publicKeyMultibase: String
    let signatureBase64: String
    let validSignature: Bool
    let tags: [String]

    var testDescription: String { comment }

    var message: [UInt8] { TestBytes.base64(messageBase64)! }
    var signature: [UInt8] { TestBytes.base64(signatureBase64)! }

    static func all() throws -> [SignatureFixture] {
        try Fixtures.json("crypto/signature-fixtures.json")
    }
}

@Suite struct SignatureFixtureTests {
    @Test func fixturesLoad() throws {
        let fixtures = try SignatureFixture.all()
        #expect(fixtures.count >= 6)
        for fixture in fixtures {
            #expect(TestBytes.base64(fixture.messageBase64) != nil)
            #expect(TestBytes.base64(fixture.signatureBase64) != nil)
        }
    }

    @Test(arguments: try SignatureFixture.all())
    func verifyWithDIDKey(_ fixture: SignatureFixture) throws {
        let key = try parseDIDKey(fixture.publicKeyDid)
        #expect(key.jwtAlgorithm == fixture.algorithm)
        #expect(key.verify(signature: fixture.signature, message: fixture.message) == fixture.validSignature)
    }

    @Test(arguments: try SignatureFixture.all())
    func verifyWithPublicKeyMultibase(_ fixture: SignatureFixture) throws {
        let key = try parseDIDDocumentKey(type: fixture.didDocSuite, publicKeyMultibase: fixture.publicKeyMultibase)
        #expect(key.jwtAlgorithm == fixture.algorithm)
        #expect(key.did == fixture.publicKeyDid)
        #expect(key.verify(signature: fixture.signature, message: fixture.message) == fixture.validSignature)
    }

    /// The high-S fixtures are the low-S ones with `s` replaced by `n - s`; normalising recovers the valid one.
    @Test(arguments: try SignatureFixture.all().filter { $0.tags.contains("high-s") })
    func normalisingHighSFixtureGivesValidSignature(_ fixture: SignatureFixture) throws {
        let key = try parseDIDKey(fixture.publicKeyDid)
        let order = LowS.order(of: key.algorithm)
        #expect(LowS.isHighS(fixture.signature, order: order))
        let normalized = LowS.normalized(fixture.signature, order: order)
        #expect(!LowS.isHighS(normalized, order: order))
        #expect(key.verify(signature: normalized, message: fixture.message))
    }
}
