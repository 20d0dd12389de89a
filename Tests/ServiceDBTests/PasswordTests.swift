import ATCore
import Testing

@testable import ServiceDB

@Suite struct PasswordTests {
    // Vectors computed independently with Python's hashlib.scrypt (OpenSSL), n=16384, r=8, p=1, dklen=64.
    @Test func matchesTheReferenceFormat() throws {
        let stored = try Password.hash("hunter2-correct-horse", salt: "0123456789abcdef0123456789abcdef")
        #expect(
            stored == "0123456789abcdef0123456789abcdef:"
                + "6488f211fcea3b2b52fec9315bd2f53114e4954005e65b3d3241b8a2aa9af5d5"
                + "d9f61fa8f122769d24c1a351d00707ce332ab4afcd37b78019494b31f93c4abe")
        #expect(try Password.verify("hunter2-correct-horse", stored: stored))
        #expect(try !Password.verify("hunter2-correct-horsE", stored: stored))
    }

    @Test func appPasswordsUseTheDeterministicDIDSalt() throws {
        let did = try DID("did:plc:abcdefghijklmnopqrstuvwx")
        let stored = try Password.hashAppPassword("abcd-efgh-ijkl-mnop", did: did)
        #expect(
            stored == "e253131024780eb99e0d600853180dac:"
                + "4d57b17fa65b9c1561e5c4c56864fc7610f79b7984335ea36be39716bbd469aa"
                + "3b220e34c764ca025ac867f0727365a05561db772b3be2d55105e839df71bd1a")
    }

    @Test func randomSaltsDiffer() throws {
        let a = try Password.hash("same")
        let b = try Password.hash("same")
        #expect(a != b)
        #expect(try Password.verify("same", stored: a))
        #expect(try Password.verify("same", stored: b))
    }

    @Test(arguments: ["", "nocolon", "salt:abc", "a:b:c"])
    func malformedStoredHashesAreRejected(_ stored: String) {
        #expect(throws: ServiceDBError.invalidPasswordHash) { try Password.verify("x", stored: stored) }
    }

    @Test func offloadedDerivationsGiveTheSameResultsAndErrors() async throws {
        let stored = try Password.hash("correct horse", salt: "0123456789abcdef0123456789abcdef")
        // More calls than derivation slots: the extra ones wait for a slot, and every result is right.
        let count = BlockingPool.shared.cpuSlots * 2
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<count {
                group.addTask {
                    try await Password.offloaded {
                        try Password.verify(n.isMultiple(of: 2) ? "correct horse" : "wrong", stored: stored)
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == count / 2)
        await #expect(throws: ServiceDBError.invalidPasswordHash) {
            try await Password.offloaded { try Password.verify("x", stored: "nocolon") }
        }
    }
}
