import ATCore
import ATCrypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PLCServer
import TestFixtures
import Testing

@testable import Identity

@Suite struct EmbeddedPLCDirectoryTests {
    let recovery = Secp256k1Keypair()
    let rotation = Secp256k1Keypair()

    @Test func storeAcceptsAChainAndRecordsNullification() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite", now: clock.function)
            let (did, genesis) = try await directory.createDID(
                state: PLCFixture.state(rotation: [recovery, rotation]), signer: rotation)
            #expect(did == genesis.derivedDID)
            clock.advance(by: 60)
            let hijack = try await directory.updateHandle(did, handle: try Handle("mallory.test"), signer: rotation)
            // Re-submitting an accepted operation is a no-op.
            try await directory.sendOperation(did, hijack)
            #expect(try await directory.getDocument(did).handle?.rawValue == "mallory.test")

            clock.advance(by: 3600)
            let restore = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
            try await directory.sendOperation(did, restore)
            let audit = try await directory.getAuditLog(did)
            #expect(audit.map(\.cid) == [genesis.cid, hijack.cid, restore.cid])
            #expect(audit.map(\.nullified) == [false, true, false])
            #expect(audit[1].createdAt.timeIntervalSince(audit[0].createdAt) == 60)
            #expect(try await directory.getOperationLog(did) == [genesis, restore])
            #expect(try await directory.getLastOperation(did) == restore)
            #expect(try await directory.getDocumentData(did) == restore.state)
        }
    }

    @Test func storeRejectsLateRecoveryWithTheInjectedClock() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite", now: clock.function)
            let (did, genesis) = try await directory.createDID(
                state: PLCFixture.state(rotation: [recovery, rotation]), signer: rotation)
            // A second later: with the clock frozen, the update would be stamped one millisecond after genesis.
            clock.advance(by: 1)
            try await directory.updatePDSEndpoint(did, endpoint: "https://evil.test", signer: rotation)
            clock.advance(by: 72 * 3600 + 5)
            let late = try recovery.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [recovery]))
            await #expect(throws: PLCError.lateRecovery(elapsedMilliseconds: (72 * 3600 + 5) * 1000)) {
                try await directory.sendOperation(did, late)
            }
        }
    }

    @Test func tombstonedDIDIsNotAvailable() async throws {
        try await withTemporaryPath { dir in
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite")
            let (did, _) = try await directory.createDID(
                state: PLCFixture.state(rotation: [rotation]), signer: rotation)
            try await directory.tombstone(did, signer: rotation)
            await #expect(throws: PLCError.notAvailable(did.rawValue)) { try await directory.getDocument(did) }
            await #expect(throws: PLCError.tombstoned) {
                try await directory.updateHandle(did, handle: try Handle("x.test"), signer: rotation)
            }
            #expect(try await directory.getOperationLog(did).last?.isTombstone == true)
        }
    }

    @Test func concurrentSubmissionsOnOnePrevAcceptExactlyOne() async throws {
        try await withTemporaryPath { dir in
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite")
            let (did, genesis) = try await directory.createDID(
                state: PLCFixture.state(rotation: [rotation]), signer: rotation)
            let rotation = self.rotation
            let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let state = PLCFixture.state(rotation: [rotation], handle: "h\(index).test")
                        guard let op = try? rotation.signedUpdate(prev: genesis.cid, state) else { return false }
                        return (try? await directory.sendOperation(did, op)) != nil
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await directory.getOperationLog(did).count == 2)
        }
    }

    // MARK: - HTTP

    @Test func routesServeTheDirectoryAPI() async throws {
        try await withTemporaryPath { dir in
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite")
            let app = directory.makeApplication(port: 0, logger: Logger(label: "test"))
            let (did, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
            try await app.test(.router) { client in
                try await client.execute(
                    uri: "/\(did)", method: .post, body: ByteBuffer(bytes: genesis.jsonValue.serialized)
                ) { #expect($0.status == .ok) }
                try await client.execute(uri: "/\(did)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/did+ld+json")
                    let document = try DIDDocument.parse(Array(response.body.readableBytesView))
                    #expect(document.id == did.rawValue && document.handle?.rawValue == "alice.test")
                }
                try await client.execute(uri: "/\(did)/data", method: .get) { response in
                    let (parsedDID, state) = try PLCState.parseData(
                        try JSONValue(parsing: response.body.readableBytesView))
                    #expect(parsedDID == did && state == genesis.state)
                }
                try await client.execute(uri: "/\(did)/log/last", method: .get) { response in
                    let last = try PLCOperation(jsonBytes: response.body.readableBytesView)
                    #expect(last == genesis)
                }
                try await client.execute(uri: "/\(did)/log/audit", method: .get) { response in
                    let json = try JSONValue(parsing: response.body.readableBytesView)
                    let entries = try (json.array ?? []).map { try PLCLogEntry(json: $0) }
                    #expect(entries.map(\.cid) == [genesis.cid])
                }
                // A forged operation gets a 400 with the reason.
                let forged = try Secp256k1Keypair().signedUpdate(
                    prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
                try await client.execute(
                    uri: "/\(did)", method: .post, body: ByteBuffer(bytes: forged.jsonValue.serialized)
                ) { response in
                    #expect(response.status == .badRequest)
                    let json = try JSONValue(parsing: response.body.readableBytesView)
                    #expect(json["message"]?.string == "Invalid signature on op")
                }
                try await client.execute(uri: "/\(did)", method: .post, body: ByteBuffer(string: "{not json")) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(uri: "/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", method: .get) { response in
                    #expect(response.status == .notFound)
                    let json = try JSONValue(parsing: response.body.readableBytesView)
                    #expect(json["message"]?.string == "DID not registered: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa")
                }
            }
        }
    }

    @Test func exportPagesJSONLines() async throws {
        try await withTemporaryPath { dir in
            let clock = TestWallClock()
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite", now: clock.function)
            var dids: [DID] = []
            for index in 0..<3 {
                clock.advance(by: 1)
                let state = PLCFixture.state(rotation: [rotation], handle: "u\(index).test")
                dids.append(try await directory.createDID(state: state, signer: rotation).did)
            }
            let app = directory.makeApplication(port: 0, logger: Logger(label: "test"))
            let allDIDs = dids
            try await app.test(.router) { client in
                let first = try await client.execute(uri: "/export?after=0&count=2", method: .get) { response in
                    #expect(response.headers[.contentType] == "application/jsonlines")
                    return try Self.lines(response.body)
                }
                #expect(first.count == 2)
                #expect(first.map { $0["type"]?.string } == ["indexed_op", "indexed_op"])
                #expect(first.map { $0["did"]?.string } == allDIDs.prefix(2).map(\.rawValue))
                guard case .number(let seq)? = first.last?["seq"] else { Issue.record("no seq"); return }
                let second = try await client.execute(uri: "/export?after=\(seq)", method: .get) {
                    try Self.lines($0.body)
                }
                #expect(second.map { $0["did"]?.string } == [allDIDs[2].rawValue])
                // The legacy, time-cursored form carries `nullified` instead of `seq`.
                let createdAt = try #require(first.first?["createdAt"]?.string)
                let legacy = try await client.execute(uri: "/export?after=\(createdAt)", method: .get) {
                    try Self.lines($0.body)
                }
                #expect(legacy.count == 2 && legacy.allSatisfy { $0["nullified"] == .bool(false) && $0["seq"] == nil })
                try await client.execute(uri: "/export?count=0", method: .get) { #expect($0.status == .badRequest) }
            }
        }
    }

    @Test func httpClientTalksToALiveDirectory() async throws {
        try await withTemporaryPath { dir in
            let directory = try EmbeddedPLCDirectory(databasePath: "\(dir)/plc.sqlite")
            let app = directory.makeApplication(port: 0, logger: Logger(label: "test"))
            try await app.test(.live) { client in
                let url = "http://127.0.0.1:\(try #require(client.port))"
                // A generous deadline for every request of this test, the PLC client's and the resolver's (whose
                // default is the production 3 s): in the first minute of the whole suite hundreds of tests share the
                // cooperative pool and the event loops, and one loopback request can take several seconds.
                let deadline = Duration.seconds(120)
                let plc = HTTPPLCClient(url: url, timeout: deadline)
                let (did, genesis) = try await plc.createDID(
                    state: PLCFixture.state(rotation: [recovery, rotation]), signer: rotation)
                let update = try await plc.updateHandle(did, handle: try Handle("bob.test"), signer: rotation)
                #expect(try await plc.getOperationLog(did) == [genesis, update])
                #expect(try await plc.getAuditLog(did).map(\.cid) == [genesis.cid, update.cid])
                #expect(try await plc.getDocument(did).handle?.rawValue == "bob.test")
                #expect(try await plc.getDocumentData(did).alsoKnownAs == ["at://bob.test"])
                // The fetched log verifies from genesis.
                #expect(
                    try PLCValidator.validateLog(did: did, operations: try await plc.getOperationLog(did))
                        == update.state)
                let forged = try Secp256k1Keypair().signedTombstone(prev: update.cid)
                await #expect(throws: PLCError.directory(status: 400, message: "Invalid signature on op")) {
                    try await plc.sendOperation(did, forged)
                }
                let unknown = try DID("did:plc:bbbbbbbbbbbbbbbbbbbbbbbb")
                await #expect(throws: PLCError.notRegistered(unknown.rawValue)) {
                    try await plc.getLastOperation(unknown)
                }

                // DID resolution through the PLC URL, with the SSRF guard on (the PLC URL is trusted config).
                let resolver = DIDResolver(configuration: .init(plcURL: url, fetch: .init(timeout: deadline)))
                let document = try await resolver.ensureResolve(did)
                #expect(document.handle?.rawValue == "bob.test")
                #expect(try await resolver.resolveAtprotoData(did).pdsEndpoint == "https://pds.test")
                #expect(try await resolver.resolve(unknown) == nil)
                try await plc.tombstone(did, signer: rotation)
                #expect(try await resolver.resolve(did) == nil)
            }
        }
    }

    static func lines(_ body: ByteBuffer) throws -> [JSONValue] {
        String(buffer: body).split(separator: "\n").map { try! JSONValue(parsing: String($0)) }
    }
}
