import ATCore
import Foundation
import TestFixtures
import Testing

@testable import ActorStore

@Suite struct ActorLocationTests {
    let actors = URL(fileURLWithPath: "/pds/actors")

    @Test func shardsByTheFirstByteOfTheDIDHash() throws {
        let did = try DID("did:plc:ewvi7nxzyoun6zhxrhs64oiz")
        let location = ActorLocation(did: did, actorsDirectory: actors)
        let shard = Hex.encode(sha256(Array(did.rawValue.utf8)).prefix(1))
        #expect(location.directory.path == "/pds/actors/\(shard)/did:plc:ewvi7nxzyoun6zhxrhs64oiz")
        #expect(location.database.lastPathComponent == "store.sqlite")
        #expect(location.key.lastPathComponent == "key")
        #expect(location.didOperation.lastPathComponent == "did-op")
    }

    @Test(arguments: try Fixtures.lines("syntax/did_syntax_valid.txt"))
    func everyValidDIDStaysInsideTheActorsDirectory(_ line: String) throws {
        let location = ActorLocation(did: try DID(line), actorsDirectory: actors)
        let resolved = location.directory.standardizedFileURL.path
        #expect(resolved.hasPrefix("/pds/actors/"))
        #expect(location.directory.deletingLastPathComponent().deletingLastPathComponent().path == "/pds/actors")
    }

    @Test(arguments: ["did:plc:../../etc", "did:web:../x", "../did:plc:abc", "did:plc:a/b"])
    func traversalAttemptsAreNotDIDs(_ input: String) {
        #expect(throws: SyntaxError.self) { try DID(input) }
    }
}
