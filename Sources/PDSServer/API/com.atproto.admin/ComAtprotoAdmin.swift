import ATCore
import ActorStore
import Foundation
import Hummingbird
import Mailer
import Sequencer
import ServiceDB

/// The `com.atproto.admin.*` methods (reference §a.6).
///
/// The `moderator` methods accept admin Basic auth or a service JWT from `PDS_MOD_SERVICE_DID`
/// (``AuthVerifier/moderator(_:lxm:)``): subject status, account info, invite codes. The `adminToken` methods accept
/// only admin Basic auth: updateAccountEmail, updateAccountHandle, updateAccountPassword, deleteAccount and sendEmail
/// (the moderation mailer).
struct ComAtprotoAdmin: Sendable {
    /// Request authentication (admin Basic, mod-service JWTs).
    let auth: AuthVerifier
    /// Accounts and invite codes.
    let serviceDB: ServiceDB
    /// The per-actor stores (takedowns of records and blobs).
    let actorStore: ActorStore
    /// The `#account` event of an account subject.
    let sequencer: Sequencer
    /// The blobs of an actor (blob takedowns move bytes to and from quarantine).
    let blobs: @Sendable (DID) -> ActorBlobs
    /// Handle changes (the PLC operation and `#identity`).
    let updater: IdentityUpdater
    /// The wall clock (the reference of a takedown given without one).
    let now: @Sendable () -> Date
    /// The moderators' mailer (`sendEmail`).
    let moderationMailer: ModerationMailer
    /// Removes accounts (`deleteAccount`).
    let deleter: AccountDeleter

    /// Registers this namespace's methods on the router.
    func register(on router: some RouterMethods<some RequestContext>) {
        let prefix = "/xrpc/com.atproto.admin."
        router.post("\(prefix)updateSubjectStatus") { request, _ in
            AuthHeaders.wrap(try await updateSubjectStatus(request))
        }
        router.get("\(prefix)getSubjectStatus") { request, _ in AuthHeaders.wrap(try await getSubjectStatus(request)) }
        router.post("\(prefix)sendEmail") { request, _ in AuthHeaders.wrap(try await sendEmail(request)) }
        router.get("\(prefix)getAccountInfo") { request, _ in AuthHeaders.wrap(try await getAccountInfo(request)) }
        router.get("\(prefix)getAccountInfos") { request, _ in AuthHeaders.wrap(try await getAccountInfos(request)) }
        router.get("\(prefix)getInviteCodes") { request, _ in AuthHeaders.wrap(try await getInviteCodes(request)) }
        router.post("\(prefix)enableAccountInvites") { request, _ in
            try await enableAccountInvites(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)disableAccountInvites") { request, _ in
            try await disableAccountInvites(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)disableInviteCodes") { request, _ in
            try await disableInviteCodes(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)updateAccountEmail") { request, _ in
            try await updateAccountEmail(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)updateAccountHandle") { request, context in
            try await updateAccountHandle(request, logger: context.logger)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)updateAccountPassword") { request, _ in
            try await updateAccountPassword(request)
            return AuthHeaders.empty()
        }
        router.post("\(prefix)deleteAccount") { request, context in
            try await deleteAccount(request, logger: context.logger)
            return AuthHeaders.empty()
        }
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
