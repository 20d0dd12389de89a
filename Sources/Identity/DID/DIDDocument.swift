import ATCore
import ATCrypto
import Foundation

/// A DID document, reduced to what atproto reads from it.
///
/// Parsing is lenient about extra fields (documents carry JSON-LD context and more) and strict about the fields
/// atproto relies on: `id` must be a valid DID, and the atproto signing key, PDS endpoint and handle are read
/// by their well-known fragment ids.
package struct DIDDocument: Sendable, Equatable, Codable {
    /// A `verificationMethod` entry.
    package struct VerificationMethod: Sendable, Equatable, Codable {
        package var id: String
        package var type: String
        package var controller: String
        package var publicKeyMultibase: String?
    }

    /// A `service` entry.
    package struct Service: Sendable, Equatable, Codable {
        package var id: String
        package var type: String
        package var serviceEndpoint: String
    }

    /// The document's DID.
    package var id: String
    /// `at://<handle>` and other URIs.
    package var alsoKnownAs: [String]
    /// Keys.
    package var verificationMethod: [VerificationMethod]
    /// Endpoints.
    package var service: [Service]

    /// Creates a document.
    package init(id: DID, alsoKnownAs: [String], verificationMethod: [VerificationMethod], service: [Service]) {
        self.id = id.rawValue
        self.alsoKnownAs = alsoKnownAs
        self.verificationMethod = verificationMethod
        self.service = service
    }

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, alsoKnownAs, verificationMethod, service
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        guard (try? DID(id)) != nil else {
            throw IdentityError.invalidDIDDocument("id is not a valid DID: \(id)")
        }
        alsoKnownAs = try container.decodeIfPresent([String].self, forKey: .alsoKnownAs) ?? []
        verificationMethod = try container.decodeIfPresent([VerificationMethod].self, forKey: .verificationMethod) ?? []
        service = try container.decodeIfPresent([Service].self, forKey: .service) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(
            [
                "https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ], forKey: .context)
        try container.encode(id, forKey: .id)
        try container.encode(alsoKnownAs, forKey: .alsoKnownAs)
        try container.encode(verificationMethod, forKey: .verificationMethod)
        try container.encode(service, forKey: .service)
    }

    /// The DID.
    package var did: DID { get throws { try DID(id) } }

    /// The handle claimed in `alsoKnownAs` (the first valid `at://` entry), not yet verified.
    package var handle: Handle? {
        for aka in alsoKnownAs where aka.hasPrefix("at://") {
            if let handle = try? Handle(aka.dropFirst("at://".count)) { return handle }
        }
        return nil
    }

    /// The atproto signing key (`#atproto`).
    package var signingKey: (any VerifyingKey)? { verifyingKey(fragment: "atproto") }

    /// The key of the verification method `#<fragment>` (`atproto`, or `atproto_label` for a labeler), when it
    /// parses.
    package func verifyingKey(fragment: String) -> (any VerifyingKey)? {
        guard let method = entry(verificationMethod, fragment: fragment),
            let multibase = method.publicKeyMultibase
        else { return nil }
        return try? parseDIDDocumentKey(type: method.type, publicKeyMultibase: multibase)
    }

    /// The PDS endpoint (`#atproto_pds` of type `AtprotoPersonalDataServer`), when it is an http(s) URL.
    package var pdsEndpoint: String? {
        guard let service = entry(service, fragment: "atproto_pds"), service.type == "AtprotoPersonalDataServer"
        else { return nil }
        let endpoint = service.serviceEndpoint
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else { return nil }
        return endpoint
    }

    /// The entry whose id is `#<fragment>` or `<did>#<fragment>`.
    private func entry<T>(_ entries: [T], fragment: String) -> T? where T: Identifiable, T.ID == String {
        entries.first { $0.id == "#\(fragment)" || $0.id == "\(id)#\(fragment)" }
    }
}

extension DIDDocument.VerificationMethod: Identifiable {}
extension DIDDocument.Service: Identifiable {}

extension DIDDocument {
    /// Decodes a document from JSON bytes.
    /// - Parameters:
    ///   - bytes: UTF-8 JSON.
    /// - Throws: `IdentityError.invalidDIDDocument`.
    package static func parse(_ bytes: [UInt8]) throws(IdentityError) -> DIDDocument {
        do {
            return try JSONDecoder().decode(DIDDocument.self, from: Data(bytes))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .invalidDIDDocument((error as? DecodingError)?.reason ?? "not valid JSON")
        }
    }

    /// The document as JSON bytes.
    package var jsonBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }
}
