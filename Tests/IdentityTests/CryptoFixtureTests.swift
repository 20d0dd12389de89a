import ATCore
import ATCrypto
import Foundation
import TestFixtures
import Testing

@testable import Identity

/// did:key and DID-document key parsing against `../shared/interop/crypto`.
@Suite struct CryptoFixtureTests {
    struct K256Key: Decodable, Sendable, CustomTestStringConvertible {
        var privateKeyBytesHex: String
        var publicDidKey: String
        var testDescription: String { publicDidKey }
    }

    struct P256Key: Decodable, Sendable, CustomTestStringConvertible {
        var privateKeyBytesBase58: String
        var publicDidKey: String
        var testDescription: String { publicDidKey }
    }

    struct SignatureFixture: Decodable, Sendable, CustomTestStringConvertible {
        var comment: String
        var messageBase64: String
        var didDocSuite: String
        var publicKeyDid: String
        var publicKeyMultibase: String
        var signatureBase64: String
        var validSignature: Bool
        var testDescription: String { comment }
    }

    static let k256: [K256Key] = (try? Fixtures.json("crypto/w3c_didkey_K256.json")) ?? []
    static let p256: [P256Key] = (try? Fixtures.json("crypto/w3c_didkey_P256.json")) ?? []
    static let signatures: [SignatureFixture] = (try? Fixtures.json("crypto/signature-fixtures.json")) ?? []

    @Test func fixturesAreLoaded() {
        #expect(!Self.k256.isEmpty && !Self.p256.isEmpty && !Self.signatures.isEmpty)
    }

    /// A DID document holding `key` as its `#atproto` method, in the form plc.directory renders.
    static func document(multikey: String, type: String = "Multikey") throws -> DIDDocument {
        let did = try DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz")
        let json = """
            {"id": "\(did)", "alsoKnownAs": [],
             "verificationMethod": [{"id": "\(did)#atproto", "type": "\(type)", "controller": "\(did)",
                                     "publicKeyMultibase": "\(multikey)"}],
             "service": []}
            """
        return try DIDDocument.parse(Array(json.utf8))
    }

    @Test(arguments: k256)
    func k256KeysRoundTripThroughPLCAndDIDDocuments(_ fixture: K256Key) throws {
        let keypair = try Secp256k1Keypair(privateKey: Hex.decode(fixture.privateKeyBytesHex))
        #expect(keypair.did == fixture.publicDidKey)
        #expect(try parseDIDKey(fixture.publicDidKey).did == fixture.publicDidKey)
        let multikey = String(fixture.publicDidKey.dropFirst("did:key:".count))
        #expect(try Self.document(multikey: multikey).signingKey?.did == fixture.publicDidKey)
        try assertPLCRoundTrip(keypair)
    }

    @Test(arguments: p256)
    func p256KeysRoundTripThroughPLCAndDIDDocuments(_ fixture: P256Key) throws {
        let keypair = try P256Keypair(privateKey: Multibase.base58Decode(fixture.privateKeyBytesBase58))
        #expect(keypair.did == fixture.publicDidKey)
        let multikey = String(fixture.publicDidKey.dropFirst("did:key:".count))
        #expect(try Self.document(multikey: multikey).signingKey?.did == fixture.publicDidKey)
        try assertPLCRoundTrip(keypair)
    }

    /// The fixture key signs a genesis operation as rotation key and is the atproto key of the rendered document.
    func assertPLCRoundTrip(_ keypair: some Keypair) throws {
        let state = PLCState.atproto(
            signingKey: keypair.did, handle: try Handle("fixture.test"), pdsEndpoint: "https://pds.test",
            rotationKeys: [keypair.did])
        let (did, genesis) = try PLCOperation.genesis(state: state, signer: keypair)
        try PLCValidator.checkIncoming(genesis)
        #expect(try PLCValidator.validateLog(did: did, operations: [genesis]) == state)
        let rendered = try DIDDocument.parse(state.didDocument(did: did).jsonBytes)
        #expect(rendered.signingKey?.did == keypair.did)
    }

    @Test(arguments: signatures)
    func legacyAndMultikeyDocumentKeysVerifyFixtureSignatures(_ fixture: SignatureFixture) throws {
        // Legacy suite form: the bare point, curve given by the type.
        let legacy = try #require(
            try Self.document(multikey: fixture.publicKeyMultibase, type: fixture.didDocSuite).signingKey)
        #expect(legacy.did == fixture.publicKeyDid)
        // Multikey form: the did:key body.
        let multikey = String(fixture.publicKeyDid.dropFirst("did:key:".count))
        let key = try #require(try Self.document(multikey: multikey).signingKey)
        #expect(key.did == fixture.publicKeyDid)
        let message = try Base64.decode(fixture.messageBase64)
        let signature = try Base64.decode(fixture.signatureBase64)
        #expect(key.verify(signature: signature, message: message) == fixture.validSignature)
    }

    @Test func unknownSuiteGivesNoSigningKey() throws {
        let fixture = try #require(Self.signatures.first)
        #expect(
            try Self.document(multikey: fixture.publicKeyMultibase, type: "Ed25519VerificationKey2020").signingKey
                == nil)
    }
}
