import ATCore
import ATCrypto
import Foundation
import Testing

@testable import Identity

@Suite struct DIDDocumentTests {
    // The shape the PLC directory serves for a did:plc account.
    static let plcDocument = """
        {
          "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                       "https://w3id.org/security/suites/secp256k1-2019/v1"],
          "id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
          "alsoKnownAs": ["at://atproto.com"],
          "verificationMethod": [{
            "id": "did:plc:ewvi7nxzyoun6zhxrhs64oiz#atproto",
            "type": "Multikey",
            "controller": "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
            "publicKeyMultibase": "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w"
          }],
          "service": [{
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://enoki.us-east.host.bsky.network"
          }]
        }
        """

    func decode(_ json: String) throws -> DIDDocument {
        try JSONDecoder().decode(DIDDocument.self, from: Data(json.utf8))
    }

    @Test func readsTheAtprotoFields() throws {
        let document = try decode(Self.plcDocument)
        #expect(try document.did.rawValue == "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
        #expect(document.handle?.rawValue == "atproto.com")
        #expect(document.pdsEndpoint == "https://enoki.us-east.host.bsky.network")
        let key = try #require(document.signingKey)
        #expect(key.did == "did:key:zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w")
    }

    @Test func encodeDecodeRoundTrip() throws {
        let document = try decode(Self.plcDocument)
        let again = try JSONDecoder().decode(DIDDocument.self, from: JSONEncoder().encode(document))
        #expect(again == document)
    }

    @Test func missingOrWrongFieldsGiveNil() throws {
        let document = try decode(
            """
            {"id": "did:web:example.com", "alsoKnownAs": ["https://example.com", "at://not_a handle"],
             "verificationMethod": [{"id": "#other", "type": "Multikey", "controller": "did:web:example.com",
                                     "publicKeyMultibase": "zQ3shunBKsXixLxKtC5qeSG9E4J5RkGN57im31pcTzbNQnm5w"}],
             "service": [{"id": "#atproto_pds", "type": "SomethingElse", "serviceEndpoint": "https://pds.example"}]}
            """)
        #expect(document.handle == nil)
        #expect(document.signingKey == nil)
        #expect(document.pdsEndpoint == nil)
    }

    @Test(arguments: ["{}", #"{"id": "not a did"}"#, #"{"id": "did:plc:abc/../x"}"#])
    func invalidDocumentsAreRejected(_ json: String) {
        #expect(throws: (any Error).self) { try decode(json) }
    }
}
