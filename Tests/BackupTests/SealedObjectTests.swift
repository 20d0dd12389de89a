import Foundation
import Testing

@testable import Backup

@Suite struct SealedObjectTests {
    let key = BackupKey(bytes: Array(repeating: 7, count: 32))
    let other = BackupKey(bytes: Array(repeating: 8, count: 32))

    @Test func roundTripsAndAuthenticatesTheHeader() throws {
        let payload = Array("hello, repo".utf8)
        let sealed = try SealedObject.seal(payload, file: "actors/did:plc:abc/store.sqlite", generation: 42, key: key)
        let (header, opened) = try SealedObject.open(
            sealed, object: "x", key: key, file: "actors/did:plc:abc/store.sqlite", generation: 42)
        #expect(opened == payload)
        #expect(header.generation == 42 && header.size == payload.count && header.keyID == key.id)
        // The plaintext is not in the object.
        #expect(!String(decoding: sealed, as: UTF8.self).contains("hello, repo"))
    }

    @Test func freshNonceEveryTime() throws {
        let a = try SealedObject.seal([1, 2, 3], file: "f", generation: 1, key: key)
        let b = try SealedObject.seal([1, 2, 3], file: "f", generation: 1, key: key)
        #expect(a != b)
    }

    @Test func wrongKeyIsNamed() throws {
        let sealed = try SealedObject.seal([1, 2, 3], file: "f", generation: 1, key: key)
        #expect {
            try SealedObject.open(sealed, object: "x", key: other)
        } throws: { error in
            guard case BackupError.wrongKey(let expected, let found) = error else { return false }
            return expected == key.id && found == other.id
        }
    }

    @Test func tamperingFailsAuthentication() throws {
        let sealed = try SealedObject.seal(Array(repeating: 9, count: 100), file: "f", generation: 1, key: key)
        var flipped = sealed
        flipped[flipped.count - 40] ^= 1
        #expect(throws: BackupError.self) { try SealedObject.open(flipped, object: "x", key: key) }
        // A header edited to claim another generation fails too (the header is authenticated data).
        let (_, prefixLength) = try SealedObject.header(of: sealed, object: "x")
        let text = String(decoding: sealed[10..<prefixLength], as: UTF8.self).replacingOccurrences(
            of: "\"generation\":1", with: "\"generation\":2")
        #expect(text.utf8.count == prefixLength - 10)
        let edited = Array(sealed[..<10]) + Array(text.utf8) + Array(sealed[prefixLength...])
        #expect {
            try SealedObject.open(edited, object: "x", key: key)
        } throws: { error in
            if case BackupError.corrupted = error { return true }
            return false
        }
    }

    @Test func objectNamedForAnotherFileIsRefused() throws {
        let sealed = try SealedObject.seal([1], file: "actors/did:plc:a/key", generation: 5, key: key)
        #expect(throws: BackupError.self) {
            try SealedObject.open(sealed, object: "x", key: key, file: "actors/did:plc:b/key", generation: 5)
        }
        #expect(throws: BackupError.self) {
            try SealedObject.open(sealed, object: "x", key: key, file: "actors/did:plc:a/key", generation: 6)
        }
    }

    @Test func keyParsing() throws {
        #expect(throws: BackupError.self) { try BackupKey(hex: "abcd") }
        #expect(throws: BackupError.self) { try BackupKey(hex: String(repeating: "z", count: 64)) }
        let parsed = try BackupKey(hex: String(repeating: "07", count: 32))
        #expect(parsed.id == key.id)
    }

    @Test func catalogPointInTimeAndRetention() {
        let names = [
            BackupVersion(file: "account.sqlite", generation: 100, size: 10).objectName,
            BackupVersion(file: "account.sqlite", generation: 200, size: 11).objectName,
            BackupVersion(file: "account.sqlite", generation: 300, size: 12).objectName,
            BackupVersion(file: "actors/did:plc:a/key", generation: 50, size: 1).objectName,
            "v1/keycheck", "unrelated",
        ]
        let catalog = BackupCatalog(objectNames: names)
        #expect(catalog.versions.count == 2)
        #expect(catalog.version(of: "account.sqlite", at: 250)?.generation == 200)
        #expect(catalog.version(of: "account.sqlite", at: 99) == nil)
        #expect(catalog.newest("account.sqlite")?.size == 12)
        // Retention at 250 drops 100 (200 is still needed to restore at 250); the key's only version stays.
        #expect(catalog.expired(before: 250).map(\.generation) == [100])
        #expect(BackupVersion(objectName: names[1]) == BackupVersion(file: "account.sqlite", generation: 200, size: 11))
    }

    @Test func durations() {
        #expect(BackupConfiguration.parseDuration("500ms") == .milliseconds(500))
        #expect(BackupConfiguration.parseDuration("1s") == .seconds(1))
        #expect(BackupConfiguration.parseDuration("5m") == .seconds(300))
        #expect(BackupConfiguration.parseDuration("7d") == .seconds(7 * 86_400))
        #expect(BackupConfiguration.parseDuration("2") == .seconds(2))
        #expect(BackupConfiguration.parseDuration("x") == nil)
    }
}
