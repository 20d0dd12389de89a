import ATCore
import TestFixtures
import Testing

@testable import ATCrypto

/// One entry of `crypto/w3c_didkey_K256.json` (hex private key) or `w3c_didkey_P256.json` (base58 private key).
struct DIDKeyFixture: Decodable, Sendable, CustomTestStringConvertible {
    let privateKeyBytesHex: String?
    let privateKeyBytesBase58: String?
    let publicDidKey: String

    var testDescription: String { publicDidKey }

    var privateKey: [UInt8] {
        if let hex = privateKeyBytesHex { return TestBytes.hex(hex) }
        return try! Multibase.base58Decode(privateKeyBytesBase58!)
    }
}

@Suite struct DIDKeyTests {
    static let k256 = (try? Fixtures.json("crypto/w3c_didkey_K256.json", as: [DIDKeyFixture].self)) ?? []
    static let p256 = (try? Fixtures.json("crypto/w3c_didkey_P256.json", as: [DIDKeyFixture].self)) ?? []

    @Test func fixturesLoad() {
        #expect(Self.k256.count == 5)
        #expect(Self.p256.count == 1)
    }

    @Test(arguments: k256)
    func secp256k1PrivateKeyToDIDKey(_ fixture: DIDKeyFixture) throws {
        let keypair = try Secp256k1Keypair(privateKey: fixture.privateKey)
        #expect(keypair.did == fixture.publicDidKey)
        #expect(keypair.exportPrivateKey() == fixture.privateKey)
    }

    @Test(arguments: p256)
    func p256PrivateKeyToDIDKey(_ fixture: DIDKeyFixture) throws {
        let keypair = try P256Keypair(privateKey: fixture.privateKey)
        #expect(keypair.did == fixture.publicDidKey)
        #expect(keypair.exportPrivateKey() == fixture.privateKey)
    }

    @Test(arguments: k256 + p256)
    func parseThenFormatIsIdentity(_ fixture: DIDKeyFixture) throws {
        let key = try parseDIDKey(fixture.publicDidKey)
        #expect(key.did == fixture.publicDidKey)
        #expect(key.compressedPublicKey.count == 33)
        #expect("did:key:" + key.multikey == fixture.publicDidKey)
        #expect(try parseMultikey(key.multikey).did == fixture.publicDidKey)
        #expect(try parseDIDDocumentKey(type: "Multikey", publicKeyMultibase: key.multikey).did == fixture.publicDidKey)
        let expected: KeyAlgorithm = fixture.publicDidKey.hasPrefix("did:key:zQ3s") ? .secp256k1 : .p256
        #expect(key.algorithm == expected)
    }

    @Test(arguments: [KeyAlgorithm.secp256k1, .p256])
    func uncompressedPointParsesAndFormatsCompressed(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let uncompressed: [UInt8] =
            switch algorithm {
            case .secp256k1: (keypair.publicKey as! Secp256k1VerifyingKey).uncompressedPublicKey
            case .p256: (keypair.publicKey as! P256VerifyingKey).uncompressedPublicKey
            }
        #expect(uncompressed.count == 65 && uncompressed[0] == 0x04)
        let multikey = "z" + Multibase.base58Encode(Varint.encode(algorithm.multicodec) + uncompressed)
        let key = try parseMultikey(multikey)
        #expect(key.did == keypair.did)
        let legacy = "z" + Multibase.base58Encode(uncompressed)
        #expect(
            try parseDIDDocumentKey(type: algorithm.legacyDIDDocumentSuite, publicKeyMultibase: legacy).did
                == keypair.did)
    }

    @Test func didKeyPrefixesAreTheKnownOnes() {
        #expect(Secp256k1Keypair().did.hasPrefix("did:key:zQ3s"))
        #expect(P256Keypair().did.hasPrefix("did:key:zDna"))
    }

    // MARK: - hostile input

    static let validK256 = "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"

    @Test(arguments: [
        "",
        "did:key:",
        "did:key:z",
        "did:web:example.com",
        "did:key:QmNotMultibase",
        "did:key:bafyreie",  // base32, not base58btc
        "did:key:z0OIl",  // characters outside the base58 alphabet
        "DID:KEY:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
        "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme\u{0}",
        "did:key:z" + String(repeating: "2", count: 10_000),
    ])
    func malformedDIDKeyThrows(_ did: String) {
        #expect(throws: CryptoError.self) { try parseDIDKey(did) }
    }

    @Test func unsupportedMulticodecThrows() {
        // 0xed = ed25519-pub, a valid did:key key type that atproto does not use.
        let ed25519 = "did:key:z" + Multibase.base58Encode(Varint.encode(0xed) + [UInt8](repeating: 1, count: 32))
        #expect(throws: CryptoError.unsupportedKeyType("multicodec 0xed")) { try parseDIDKey(ed25519) }
    }

    @Test(arguments: [KeyAlgorithm.secp256k1, .p256])
    func badPointBytesThrow(_ algorithm: KeyAlgorithm) throws {
        let good = makeKeypair(algorithm).publicKey.compressedPublicKey
        let prefix = Varint.encode(algorithm.multicodec)
        let cases: [[UInt8]] = [
            [],
            Array(good.dropLast()),  // truncated
            good + [0],  // too long
            [0x05] + good.dropFirst(),  // bad SEC1 tag
            [0x04] + good.dropFirst(),  // uncompressed tag on 33 bytes
            [0x02] + [UInt8](repeating: 0xff, count: 32),  // x ≥ p: not a field element
        ]
        for bytes in cases {
            let did = "did:key:z" + Multibase.base58Encode(prefix + bytes)
            #expect(throws: CryptoError.self) { try parseDIDKey(did) }
            #expect(throws: CryptoError.self) {
                try parseDIDDocumentKey(
                    type: algorithm.legacyDIDDocumentSuite,
                    publicKeyMultibase: "z" + Multibase.base58Encode(bytes))
            }
        }
    }

    @Test func unknownVerificationMethodTypeThrows() {
        #expect(throws: CryptoError.unsupportedKeyType("Ed25519VerificationKey2020")) {
            try parseDIDDocumentKey(
                type: "Ed25519VerificationKey2020",
                publicKeyMultibase: String(Self.validK256.dropFirst(8)))
        }
    }

    @Test func truncatedVarintThrows() {
        #expect(throws: CryptoError.self) { try parseMultikey("z" + Multibase.base58Encode([0x80])) }
    }
}

/// A fresh keypair on `algorithm`'s curve.
func makeKeypair(_ algorithm: KeyAlgorithm) -> any Keypair {
    algorithm.generateKeypair()
}
