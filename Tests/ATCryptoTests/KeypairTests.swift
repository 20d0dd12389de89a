import ATCore
import Crypto
import Testing

@testable import ATCrypto

@Suite struct KeypairTests {
    static let algorithms: [KeyAlgorithm] = [.secp256k1, .p256]
    static let message = Array("hello atproto".utf8)

    @Test(arguments: algorithms)
    func signVerifyRoundTrip(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let signature = try keypair.sign(Self.message)
        #expect(signature.count == 64)
        #expect(keypair.publicKey.verify(signature: signature, message: Self.message))
        #expect(keypair.publicKey.verify(signature: signature, digest: sha256(Self.message)))
        #expect(keypair.jwtAlgorithm == algorithm.rawValue)
        // Through a key parsed from the did:key, as a verifier would see it.
        #expect(try parseDIDKey(keypair.did).verify(signature: signature, message: Self.message))
    }

    /// swift-crypto yields high-S about half the time, so many signatures exercise the normalisation path.
    @Test(arguments: algorithms)
    func manySignaturesAreAllLowSAndValid(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let order = LowS.order(of: algorithm)
        for i in 0..<300 {
            let message = Array("message \(i)".utf8)
            let signature = try keypair.sign(message)
            #expect(!LowS.isHighS(signature, order: order))
            #expect(keypair.publicKey.verify(signature: signature, message: message))
            // The other encoding of the same signature is high-S, and refused.
            let high = LowS.flippedS(signature, order: order)
            #expect(LowS.isHighS(high, order: order))
            #expect(!keypair.publicKey.verify(signature: high, message: message))
        }
    }

    /// swift-crypto on its own does produce high-S signatures, and accepts them: the reason for the hand-made rule.
    @Test func swiftCryptoP256ProducesHighSWithoutNormalisation() throws {
        let key = P256.Signing.PrivateKey()
        var sawHigh = false
        for _ in 0..<64 where !sawHigh {
            let raw = Array(try key.signature(for: Self.message).rawRepresentation)
            if LowS.isHighS(raw, order: LowS.p256Order) {
                sawHigh = true
                let signature = try P256.Signing.ECDSASignature(rawRepresentation: raw)
                #expect(key.publicKey.isValidSignature(signature, for: Self.message))
                #expect(!P256VerifyingKey(key: key.publicKey).verify(signature: raw, message: Self.message))
            }
        }
        #expect(sawHigh)
    }

    @Test(arguments: algorithms)
    func tamperedMessageOrSignatureIsRejected(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let signature = try keypair.sign(Self.message)
        var otherMessage = Self.message
        otherMessage[0] ^= 1
        #expect(!keypair.publicKey.verify(signature: signature, message: otherMessage))
        for index in [0, 31, 32, 63] {
            var tampered = signature
            tampered[index] ^= 0x01
            #expect(!keypair.publicKey.verify(signature: tampered, message: Self.message))
        }
        #expect(!makeKeypair(algorithm).publicKey.verify(signature: signature, message: Self.message))
    }

    @Test func signatureDoesNotVerifyOnTheOtherCurve() throws {
        let k256 = Secp256k1Keypair()
        let p256 = try P256Keypair(privateKey: k256.exportPrivateKey())
        let signature = try k256.sign(Self.message)
        #expect(!p256.publicKey.verify(signature: signature, message: Self.message))
        #expect(!k256.publicKey.verify(signature: try p256.sign(Self.message), message: Self.message))
    }

    @Test(arguments: algorithms)
    func derSignatureIsRejected(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let signature = try keypair.sign(Self.message)
        let der = TestBytes.der(fromCompact: signature)
        #expect(der.count > 64)
        #expect(!keypair.publicKey.verify(signature: der, message: Self.message))
    }

    @Test(arguments: algorithms)
    func malformedSignaturesAndDigestsAreRejected(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let signature = try keypair.sign(Self.message)
        let digest = sha256(Self.message)
        let key = keypair.publicKey
        #expect(!key.verify(signature: [], digest: digest))
        #expect(!key.verify(signature: Array(signature.dropLast()), digest: digest))
        #expect(!key.verify(signature: signature + [0], digest: digest))
        #expect(!key.verify(signature: [UInt8](repeating: 0, count: 64), digest: digest))
        #expect(!key.verify(signature: [UInt8](repeating: 0xff, count: 64), digest: digest))
        #expect(!key.verify(signature: signature, digest: Array(digest.dropLast())))
        #expect(!key.verify(signature: signature, digest: digest + [0]))
        // r = n, s = 1: r out of range.
        #expect(
            !key.verify(signature: LowS.order(of: algorithm) + [UInt8](repeating: 0, count: 31) + [1], digest: digest))
    }

    @Test(arguments: algorithms)
    func signingAWrongLengthDigestThrows(_ algorithm: KeyAlgorithm) {
        let keypair = makeKeypair(algorithm)
        for length in [0, 31, 33, 64] {
            #expect(throws: CryptoError.invalidDigest) {
                try keypair.sign(digest: [UInt8](repeating: 7, count: length))
            }
        }
    }

    @Test(arguments: algorithms)
    func exportImportRoundTrip(_ algorithm: KeyAlgorithm) throws {
        let keypair = makeKeypair(algorithm)
        let exported = keypair.exportPrivateKey()
        #expect(exported.count == 32)
        let imported = try algorithm.importKeypair(privateKey: exported)
        #expect(type(of: imported) == type(of: keypair))
        #expect(imported.did == keypair.did)
        #expect(imported.exportPrivateKey() == exported)
        #expect(keypair.publicKey.verify(signature: try imported.sign(Self.message), message: Self.message))
    }

    @Test(arguments: algorithms)
    func invalidPrivateKeysThrow(_ algorithm: KeyAlgorithm) {
        let order = LowS.order(of: algorithm)
        let cases: [[UInt8]] = [
            [],
            [UInt8](repeating: 1, count: 31),
            [UInt8](repeating: 1, count: 33),
            [UInt8](repeating: 0, count: 32),  // zero
            order,  // n
            [UInt8](repeating: 0xff, count: 32),  // > n
        ]
        for bytes in cases {
            #expect(throws: CryptoError.invalidPrivateKey) { try algorithm.importKeypair(privateKey: bytes) }
            #expect(throws: CryptoError.invalidPrivateKey) {
                switch algorithm {
                case .secp256k1: _ = try Secp256k1Keypair(privateKey: bytes)
                case .p256: _ = try P256Keypair(privateKey: bytes)
                }
            }
        }
    }

    @Test(arguments: algorithms)
    func invalidPublicKeysThrow(_ algorithm: KeyAlgorithm) {
        for length in [0, 1, 32, 34, 64, 66] {
            #expect(throws: CryptoError.invalidPublicKey) {
                try algorithm.verifyingKey(publicKey: [UInt8](repeating: 2, count: length))
            }
        }
    }

    @Test func secp256k1SigningIsDeterministic() throws {
        let keypair = Secp256k1Keypair()
        #expect(try keypair.sign(Self.message) == keypair.sign(Self.message))
    }

    @Test(arguments: algorithms)
    func descriptionHidesThePrivateKey(_ algorithm: KeyAlgorithm) {
        let keypair = makeKeypair(algorithm)
        let hex = TestBytes.hex(keypair.exportPrivateKey())
        for text in [String(describing: keypair), String(reflecting: keypair), "\(keypair)"] {
            #expect(!text.contains(hex))
        }
        #expect(String(describing: keypair).contains(keypair.did))
    }

    /// The shared libsecp256k1 context is used from many threads at once.
    @Test func concurrentSecp256k1Use() async throws {
        let keypair = Secp256k1Keypair()
        let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    let fresh = Secp256k1Keypair()
                    let message = Array("task \(i)".utf8)
                    return try keypair.publicKey.verify(signature: keypair.sign(message), message: message)
                        && fresh.publicKey.verify(signature: fresh.sign(message), message: message)
                }
            }
            return try await group.allSatisfy { $0 }
        }
        #expect(ok)
    }
}

@Suite struct LowSTests {
    @Test(arguments: [LowS.secp256k1Order, LowS.p256Order])
    func boundaryIsHalfTheOrder(_ order: [UInt8]) {
        // n is odd, so floor(n/2) is the largest low s and floor(n/2)+1 the smallest high s.
        var half = [UInt8](repeating: 0, count: 32)
        var carry: UInt8 = 0
        for i in 0..<32 {
            half[i] = (order[i] >> 1) | (carry << 7)
            carry = order[i] & 1
        }
        var halfPlusOne = half
        for i in stride(from: 31, through: 0, by: -1) {
            halfPlusOne[i] &+= 1
            if halfPlusOne[i] != 0 { break }
        }
        let r = [UInt8](repeating: 1, count: 32)
        #expect(!LowS.isHighS(r + half, order: order))
        #expect(LowS.isHighS(r + halfPlusOne, order: order))
        #expect(!LowS.isHighS(r + [UInt8](repeating: 0, count: 31) + [1], order: order))
        #expect(LowS.isHighS(r + [UInt8](repeating: 0xff, count: 32), order: order))
        // n - (n/2 + 1) = n/2 (n odd).
        #expect(LowS.flippedS(r + halfPlusOne, order: order) == r + half)
        #expect(LowS.normalized(r + halfPlusOne, order: order) == r + half)
        #expect(LowS.normalized(r + half, order: order) == r + half)
    }

    @Test func wrongLengthsNeverTrap() {
        #expect(LowS.isHighS([1, 2, 3], order: LowS.p256Order))
        #expect(LowS.normalized([1, 2, 3], order: LowS.p256Order) == [1, 2, 3])
        #expect(LowS.flippedS([1, 2, 3], order: LowS.p256Order) == [1, 2, 3])
    }
}
