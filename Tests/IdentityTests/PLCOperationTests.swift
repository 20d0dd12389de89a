import ATCore
import ATCrypto
import Foundation
import Testing

@testable import Identity

@Suite struct PLCOperationTests {
    @Test func genesisDerivesTheDIDFromTheSignedOperation() throws {
        let rotation = Secp256k1Keypair()
        let (did, operation) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        let hash = sha256(DAGCBOR.encode(operation.value))
        #expect(did.rawValue == "did:plc:" + Multibase.base32Encode(hash).prefix(24))
        #expect(did.rawValue.count == 32)
        #expect(operation.prev == nil)
        #expect(operation.signerIndex(among: [rotation.did]) == 0)
        #expect(operation.cid == CID.dagCBOR(hashing: operation.cborBytes))
        #expect(operation.cid.codec == .dagCBOR && operation.cid.version == 1)
    }

    @Test func signatureCoversTheOperationWithoutSig() throws {
        let rotation = P256Keypair()
        let (_, operation) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        let sig = try #require(operation.sig)
        let signature = try Base64.decodeURL(sig, strict: true)
        #expect(signature.count == 64)
        #expect(operation.unsignedValue["sig"] == nil)
        #expect(operation.unsignedValue["prev"] == .null)
        #expect(rotation.publicKey.verify(signature: signature, message: DAGCBOR.encode(operation.unsignedValue)))
    }

    @Test func prevIsAStringNotALink() throws {
        let rotation = Secp256k1Keypair()
        let (_, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        let update = try rotation.signedUpdate(prev: genesis.cid, PLCFixture.state(rotation: [rotation]))
        #expect(update.value["prev"] == .string(genesis.cid.description))
        let decoded = try DAGCBOR.decode(update.cborBytes)
        #expect(decoded["prev"] == .string(genesis.cid.description))
    }

    @Test func jsonRoundTripKeepsTheCID() throws {
        let rotation = Secp256k1Keypair()
        let (_, genesis) = try rotation.signedGenesis(PLCFixture.state(rotation: [rotation]))
        let tombstone = try rotation.signedTombstone(prev: genesis.cid)
        for operation in [genesis, tombstone] {
            let parsed = try PLCOperation(jsonBytes: operation.jsonValue.serialized)
            #expect(parsed == operation)
            #expect(parsed.cid == operation.cid)
        }
    }

    @Test(arguments: [
        (#"{"type":"plc_nonsense","prev":null,"sig":"x"}"#, "unknown type"),
        (#"[1,2]"#, "must be an object"),
        (#"{"type":"plc_tombstone","prev":null,"sig":"AA"}"#, "must have a prev"),
        (
            #"{"type":"plc_tombstone","prev":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm","sig":"AA"}"#,
            "64 bytes"
        ),
        (#"{"type":"plc_tombstone","prev":"not-a-cid","sig":"AA"}"#, "CIDv1"),
        (
            #"{"type":"plc_tombstone","prev":"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"}"#,
            "missing sig"
        ),
        (
            #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"sig":"AA"}"#,
            "prev must be present"
        ),
        (
            #"{"type":"plc_operation","rotationKeys":"k","verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":"AA"}"#,
            "rotationKeys must be an array"
        ),
        (
            #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"a":{"type":"t"}},"prev":null,"sig":"AA"}"#,
            "services.a"
        ),
        (
            #"{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null,"sig":"AA","extra":1}"#,
            "unexpected field 'extra'"
        ),
    ])
    func malformedOperationsAreRejectedWithAReason(json: String, reason: String) throws {
        #expect(try CID("bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm").codec == .dagCBOR)
        #expect {
            try PLCOperation(jsonBytes: Array(json.utf8))
        } throws: { error in
            guard case PLCError.malformedOperation(let message) = error else { return false }
            return message.contains(reason)
        }
    }

    @Test func signatureEncodingIsStrict() throws {
        let bytes = (0..<64).map { UInt8($0 * 3 & 0xff) }
        let encoded = Base64.encodeURL(bytes)
        #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        #expect((try? Base64.decodeURL(encoded, strict: true)) == bytes)
        #expect((try? Base64.decodeURL(encoded + "==", strict: true)) == nil)
        #expect((try? Base64.decodeURL("ab+d", strict: true)) == nil && (try? Base64.decodeURL("ab/d", strict: true)) == nil)
        // Non-zero trailing bits give a second spelling of the same bytes; it is refused.
        var mangled = Array(encoded)
        let last = mangled.removeLast()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let index = alphabet.firstIndex(of: last)!
        #expect(index & 0x0f == 0)
        mangled.append(alphabet[index | 1])
        #expect((try? Base64.decodeURL(String(mangled), strict: true)) == nil)
    }

    @Test func legacyCreateIsNormalizedAndValidated() throws {
        let signing = Secp256k1Keypair()
        let recovery = Secp256k1Keypair()
        let unsigned = PLCOperation(
            kind: .legacyCreate(
                .init(
                    signingKey: signing.did, recoveryKey: recovery.did, handle: "bob.test", service: "pds.example.com")),
            prev: nil)
        let legacy = try unsigned.signed(by: signing)
        let state = try #require(legacy.state)
        #expect(state.rotationKeys == [recovery.did, signing.did])
        #expect(state.alsoKnownAs == ["at://bob.test"])
        #expect(state.services["atproto_pds"]?.endpoint == "https://pds.example.com")
        #expect(state.verificationMethods == ["atproto": signing.did])
        // The DID comes from the legacy encoding itself; reading validates it.
        let did = legacy.derivedDID
        #expect(try PLCValidator.validateLog(did: did, operations: [legacy]) == state)
        let parsed = try PLCOperation(jsonBytes: legacy.jsonValue.serialized)
        #expect(parsed == legacy)
        // An update on top of a legacy genesis is signed by one of its normalized rotation keys.
        let update = try recovery.signedUpdate(prev: legacy.cid, PLCFixture.state(rotation: [recovery]))
        #expect(try PLCValidator.validateLog(did: did, operations: [legacy, update]) == update.state)
        // The directory does not accept new legacy operations.
        #expect(throws: PLCError.legacyOperationNotAccepted) { try PLCValidator.checkIncoming(legacy) }
    }

    @Test func stateRendersAnAtprotoDIDDocument() throws {
        let rotation = Secp256k1Keypair()
        let signing = P256Keypair()
        let state = PLCState.atproto(
            signingKey: signing.did, handle: try Handle("Alice.Test"), pdsEndpoint: "https://pds.test",
            rotationKeys: [rotation.did])
        let (did, _) = try rotation.signedGenesis(state)
        let document = state.didDocument(did: did)
        let reparsed = try DIDDocument.parse(document.jsonBytes)
        #expect(reparsed.handle?.rawValue == "alice.test")
        #expect(reparsed.pdsEndpoint == "https://pds.test")
        #expect(reparsed.signingKey?.did == signing.did)
        #expect(reparsed.verificationMethod.first?.id == "\(did.rawValue)#atproto")
        let data = state.dataJSON(did: did)
        let (parsedDID, parsedState) = try PLCState.parseData(data)
        #expect(parsedDID == did && parsedState == state)
    }

    @Test func setHandleReplacesTheFirstATURI() throws {
        var state = PLCState(
            rotationKeys: [], verificationMethods: [:], alsoKnownAs: ["https://x.example", "at://old.test"],
            services: [:])
        state.setHandle(try Handle("new.test"))
        #expect(state.alsoKnownAs == ["https://x.example", "at://new.test"])
        state.alsoKnownAs = []
        state.setHandle(try Handle("new.test"))
        #expect(state.alsoKnownAs == ["at://new.test"])
    }
}
