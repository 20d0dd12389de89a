import ATCore
import ATCrypto
import ATRepo
import Foundation
import Identity

/// Where published Lexicon documents come from (``NetworkLexiconSource`` in the server; a fake in tests).
package protocol LexiconDocumentSource: Sendable {
    /// The Lexicon document `nsid`, as JSON, and the `at://` URI of the record it came from.
    /// - Throws: ``LexiconResolutionError`` when it cannot be found or read.
    func document(nsid: String) async throws(LexiconResolutionError) -> (uri: String, json: Data)
}

/// Why a Lexicon could not be resolved, with the step that failed and its cause.
package struct LexiconResolutionError: Error, CustomStringConvertible {
    package var nsid: String
    package var message: String
    package var cause: (any Error)?

    package init(nsid: String, _ message: String, cause: (any Error)? = nil) {
        self.nsid = nsid
        self.message = message
        self.cause = cause
    }

    package var description: String {
        "Could not resolve the Lexicon \(nsid): \(message)" + (cause.map { " (\(String(describing: $0)))" } ?? "")
    }
}

/// Resolves Lexicons from the network as atproto.com/specs/lexicon describes and the reference's `LexResolver` does:
/// the authority DID (DNS `_lexicon` TXT, or `PDS_LEXICON_AUTHORITY_DID`), that DID's PDS and signing key from its
/// document, then the `com.atproto.lexicon.schema` record whose rkey is the NSID, read with
/// `com.atproto.sync.getRecord` and accepted only when its commit is signed by the DID's key and its MST path leads to
/// it.
package struct NetworkLexiconSource: LexiconDocumentSource {
    /// The schema records' collection.
    package static let schemaCollection = "com.atproto.lexicon.schema"

    let authority: LexiconAuthorityResolver
    let dids: DIDResolver
    /// The fetch policy (SSRF guard, size and time limits).
    let fetcher: HTTPFetcher

    /// Creates the source.
    /// - Parameters:
    ///   - authority: finds an NSID's authority DID.
    ///   - dids: resolves DIDs (through the DID cache).
    ///   - fetch: the HTTP fetch policy.
    package init(authority: LexiconAuthorityResolver, dids: DIDResolver, fetch: HTTPFetcher.Configuration) {
        self.authority = authority
        self.dids = dids
        self.fetcher = HTTPFetcher(configuration: fetch)
    }

    package func document(nsid: String) async throws(LexiconResolutionError) -> (uri: String, json: Data) {
        let did: DID
        do {
            did = try await authority.resolve(nsid: nsid)
        } catch {
            throw LexiconResolutionError(nsid: nsid, "no Lexicon authority DID was found", cause: error)
        }
        let identity: AtprotoData
        do {
            identity = try await dids.resolveAtprotoData(did)
        } catch {
            throw LexiconResolutionError(nsid: nsid, "the authority \(did) does not resolve", cause: error)
        }
        guard let endpoint = identity.pdsEndpoint else {
            throw LexiconResolutionError(nsid: nsid, "the authority \(did) has no PDS")
        }
        let uri = "at://\(did.rawValue)/\(Self.schemaCollection)/\(nsid)"
        var components = URLComponents(string: endpoint.trimmingSuffix("/") + "/xrpc/com.atproto.sync.getRecord")
        components?.queryItems = [
            URLQueryItem(name: "did", value: did.rawValue),
            URLQueryItem(name: "collection", value: Self.schemaCollection), URLQueryItem(name: "rkey", value: nsid),
        ]
        guard let url = components?.string else { throw LexiconResolutionError(nsid: nsid, "bad PDS URL \(endpoint)") }
        let response: HTTPFetcher.Response
        do {
            response = try await fetcher.get(url, accept: "application/vnd.ipld.car")
        } catch {
            throw LexiconResolutionError(nsid: nsid, "fetching \(uri) failed", cause: error)
        }
        guard response.status == 200 else {
            throw LexiconResolutionError(nsid: nsid, "\(uri) answered HTTP \(response.status)")
        }
        let record: LexValue
        do {
            let (_, bytes) = try RepoVerifier.verifyRecordProof(
                car: response.body, did: did, key: identity.signingKey, path: "\(Self.schemaCollection)/\(nsid)")
            record = try DAGCBOR.decode(bytes)
        } catch {
            throw LexiconResolutionError(nsid: nsid, "the record proof for \(uri) does not verify", cause: error)
        }
        guard record["$type"]?.string == Self.schemaCollection else {
            throw LexiconResolutionError(nsid: nsid, "\(uri) is not a Lexicon schema record")
        }
        return (uri, Data(record.jsonBytes))
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast()) : self }
}
