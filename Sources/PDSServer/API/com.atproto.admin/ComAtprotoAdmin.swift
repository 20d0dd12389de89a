import ATCore
import ActorStore
import Foundation
import Hummingbird
import Mailer
import Sequencer
import ServiceDB

/// The `com.atproto.admin.*` methods served so far (admin Basic auth): subject status, that is takedowns of
/// accounts, records and blobs, and account deactivation; and `sendEmail` through the moderation mailer.
///
/// The other admin methods are not served yet and answer `MethodNotImplemented`.
struct ComAtprotoAdmin: Sendable {
    /// Request authentication (admin Basic).
    let auth: AuthVerifier
    /// Accounts (takedown and deactivation of accounts).
    let serviceDB: ServiceDB
    /// The per-actor stores (takedowns of records and blobs).
    let actorStore: ActorStore
    /// The `#account` event of an account subject.
    let sequencer: Sequencer
    /// The blobs of an actor (blob takedowns move bytes to and from quarantine).
    let blobs: @Sendable (DID) -> ActorBlobs
    /// The wall clock (the reference of a takedown given without one).
    let now: @Sendable () -> Date
    /// The moderators' mailer (`sendEmail`).
    let moderationMailer: ModerationMailer

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/com.atproto.admin."
        router.post("\(prefix)updateSubjectStatus") { request, _ in
            AuthHeaders.wrap(try await updateSubjectStatus(request))
        }
        router.get("\(prefix)getSubjectStatus") { request, _ in AuthHeaders.wrap(try await getSubjectStatus(request)) }
        router.post("\(prefix)sendEmail") { request, _ in AuthHeaders.wrap(try await sendEmail(request)) }
    }
}

extension ComAtprotoAdmin {
    /// A moderation subject (the `subject` union of `updateSubjectStatus` and `getSubjectStatus`).
    enum Subject {
        /// `com.atproto.admin.defs#repoRef`: an account.
        case repo(DID)
        /// `com.atproto.repo.strongRef`: a record.
        case record(uri: ATURI, did: DID, cid: CID)
        /// `com.atproto.admin.defs#repoBlobRef`: a blob of an account.
        case blob(did: DID, cid: CID)

        static let repoType = "com.atproto.admin.defs#repoRef"
        static let recordType = "com.atproto.repo.strongRef"
        static let blobType = "com.atproto.admin.defs#repoBlobRef"

        /// Parses a subject.
        /// - Throws: 400 `InvalidRequest` naming the invalid field, or the unsupported `$type`.
        init(_ value: LexValue) throws {
            let fields = try RepoInput(value)
            func field<T>(_ name: String, _ parse: (String) throws -> T) throws -> T {
                guard let raw = try? fields.requireString(name), let parsed = try? parse(raw) else {
                    throw XRPCError.invalidRequest("Input/subject/\(name) must be valid")
                }
                return parsed
            }
            switch value["$type"]?.string {
            case Self.repoType:
                self = .repo(try field("did") { try DID($0) })
            case Self.recordType:
                let uri = try field("uri") { try ATURI($0) }
                guard let did = uri.authority.did, uri.collection != nil, uri.recordKey != nil else {
                    throw XRPCError.invalidRequest("Input/subject/uri must be a record URI with a DID")
                }
                self = .record(uri: uri, did: did, cid: try field("cid") { try CID($0) })
            case Self.blobType:
                self = .blob(did: try field("did") { try DID($0) }, cid: try field("cid") { try CID($0) })
            case let type:
                throw XRPCError.invalidRequest("Unsupported subject type: \(type ?? "none")")
            }
        }
    }

    /// A `com.atproto.admin.defs#statusAttr`.
    struct StatusAttr {
        var applied: Bool
        var ref: String?

        /// Parses an optional attribute.
        /// - Throws: 400 `InvalidRequest` when present but malformed.
        static func parse(_ value: LexValue?, name: String) throws -> StatusAttr? {
            guard let value, value != .null else { return nil }
            guard case .bool(let applied)? = value["applied"] else {
                throw XRPCError.invalidRequest("Input/\(name)/applied must be a boolean")
            }
            switch value["ref"] {
            case nil, .null?: return StatusAttr(applied: applied, ref: nil)
            case .string(let ref)?: return StatusAttr(applied: applied, ref: ref)
            default: throw XRPCError.invalidRequest("Input/\(name)/ref must be a string")
            }
        }

        /// The attribute of a stored takedown reference.
        init(takedownRef: String?) {
            self.init(applied: takedownRef != nil, ref: takedownRef)
        }

        init(applied: Bool, ref: String?) {
            self.applied = applied
            self.ref = ref
        }

        /// The data-model value.
        var lexValue: LexValue {
            var fields: [String: LexValue] = ["applied": .bool(applied)]
            if let ref { fields["ref"] = .string(ref) }
            return .map(fields)
        }
    }
}
