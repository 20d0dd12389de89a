import ActorStore
import BlobStore
import ATCore
import ATCrypto
import ATRepo
import Foundation
import HTTPGuard
import Hummingbird
import Identity
import ServiceDB

/// The one place where domain errors become XRPC errors (names and statuses as the reference uses them).
extension XRPCError {
    /// Maps any error: known domain errors get their XRPC name, everything else is `nil` (a generic 500).
    /// - Parameters:
    ///   - error: the error a handler threw.
    static func mapping(_ error: any Error) -> XRPCError? {
        switch error {
        case let error as XRPCError: error
        case let error as AuthError: XRPCError(error)
        case let error as ServiceDBError: XRPCError(error)
        case let error as PLCError: XRPCError(error)
        case let error as RepoError: XRPCError(error)
        case let error as ActorStoreError: XRPCError(error)
        case let error as BlobStoreError: XRPCError(error)
        case let error as PipethroughError: XRPCError(error)
        case let error as UpstreamError: error.xrpcError
        case let error as PushServiceError: XRPCError(error)
        default:
            ConnectionGuardError.clientFault(error).map {
                XRPCError(
                    status: HTTPResponse.Status(code: $0.status),
                    name: $0.status == 408 ? "RequestTimeout" : XRPCErrorName.invalidRequest, message: $0.message)
            }
        }
    }

    /// Auth failures: 400 `InvalidToken`/`ExpiredToken`, 401 `AuthMissing`/`AuthenticationRequired`.
    init(_ error: AuthError) {
        switch error {
        case .invalidToken(let message): self = .invalidRequest(message, name: XRPCErrorName.invalidToken)
        case .expiredToken: self = .invalidRequest("Token has expired", name: XRPCErrorName.expiredToken)
        case .authRequired(let message): self = .authRequired(message)
        case .authMissing: self = .authRequired("Authentication Required", name: XRPCErrorName.authMissing)
        case .serviceAuth(let name, let message): self = .authRequired(message, name: name)
        }
    }

    /// Account-database failures.
    init(_ error: ServiceDBError) {
        switch error {
        case .handleTaken: self = .invalidRequest("Handle already taken", name: XRPCErrorName.handleNotAvailable)
        case .emailTaken: self = .invalidRequest("Email already taken")
        case .emailTokenInvalid: self = .invalidRequest("Token is invalid", name: XRPCErrorName.invalidToken)
        case .emailTokenExpired: self = .invalidRequest("Token is expired", name: XRPCErrorName.expiredToken)
        case .accountExists: self = .invalidRequest("Account already exists", name: XRPCErrorName.alreadyExists)
        case .accountNotFound: self = .init(status: .badRequest, name: XRPCErrorName.accountNotFound, message: "Account not found")
        case .inviteCodeUnavailable:
            self = .invalidRequest("Provided invite code not available", name: XRPCErrorName.invalidInviteCode)
        case .appPasswordExists:
            self = .invalidRequest("An app password with this name already exists")
        case .invalidPasswordHash, .corruptRow: self = .internalServerError
        }
    }

    /// PLC directory failures: `UpstreamFailure` for directory/network trouble, else `InvalidRequest` with the
    /// directory's reason, as the reference maps `PlcClientError`.
    init(_ error: PLCError) {
        switch error {
        case .directory(let status, let message) where status >= 500:
            self = .init(status: .badGateway, name: XRPCErrorName.upstreamFailure, message: message)
        case .directory(_, let message): self = .invalidRequest(message)
        default: self = .invalidRequest("\(error)")
        }
    }
}

extension XRPCError {
    /// Repository write failures, with the reference's names and messages (`InvalidSwap` for swap mismatches).
    init(_ error: RepoError) {
        switch error {
        case .badCommitSwap(let current): self = .invalidRequest("Commit was at \(current)", name: XRPCErrorName.invalidSwap)
        case .badRecordSwap(let current):
            self = .invalidRequest("Record was at \(current.map(\.description) ?? "null")", name: XRPCErrorName.invalidSwap)
        case .tooManyWrites(let max): self = .invalidRequest("Too many writes. Max: \(max)")
        case .commitTooLarge: self = .invalidRequest("Too many writes. Max event size: 2MB")
        case .recordExists(let path): self = .invalidRequest("Record already exists: \(path)")
        case .recordNotFound(let path): self = .invalidRequest("Could not find record: \(path)")
        case .duplicateWrite(let path): self = .invalidRequest("Duplicate write to \(path)")
        case .emptyRepo: self = .invalidRequest("Repo not found", name: XRPCErrorName.notFound)
        case .missingBlock, .invalidCommit, .invalidMST, .invalidKey, .invalidCAR: self = .internalServerError
        }
    }

    /// Actor-store failures: a missing store is the reference's 400 `NotFound "Repo not found"`.
    init(_ error: ActorStoreError) {
        switch error {
        case .actorNotFound: self = .invalidRequest("Repo not found", name: XRPCErrorName.notFound)
        case .preferenceMissingType: self = .invalidRequest("Preference is missing a $type")
        case .preferenceNotInNamespace(let type):
            self = .invalidRequest("Some preferences are not in the app.bsky namespace: \(type)")
        case .preferenceRequiresFullAccess(let type):
            self = .invalidRequest("Do not have authorization to set preferences: \(type)")
        case .invalidRecordURI(let uri): self = .invalidRequest("Invalid record URI: \(uri)")
        case .actorAlreadyExists, .repoAlreadyExists, .invalidKeyFile, .storeClosed, .corruptRow:
            self = .internalServerError
        }
    }
}

extension XRPCError {
    /// Blobstore failures: a missing blob is `BlobNotFound`, a timeout `UpstreamTimeout` (as the reference maps
    /// upload timeouts); backend trouble is a generic 500 (logged).
    init(_ error: BlobStoreError) {
        switch error {
        case .notFound: self = .blobNotFound()
        case .tooLarge(let limit): self = .blobTooLarge(limit: limit)
        case .rangeNotSatisfiable:
            self = .init(status: .rangeNotSatisfiable, name: XRPCErrorName.invalidRange, message: "Range not satisfiable")
        case .timeout:
            self = .init(
                status: .gatewayTimeout, name: XRPCErrorName.upstreamTimeout, message: "Blob storage did not answer in time")
        case .invalidTempKey, .upstream, .invalidResponse, .unreachable, .invalidEndpoint, .io:
            self = .internalServerError
        }
    }
}

extension XRPCError {
    /// Proxy failures, with the reference's names and messages: refusals are 400s (a method no service is configured
    /// for is 501), anything that kept the upstream's answer from arriving is 502 `UpstreamFailure` (the cause is
    /// logged, not sent).
    init(_ error: PipethroughError) {
        switch error {
        case .unsupportedMethod: self = .invalidRequest("XRPC requests only supports GET and POST")
        case .badTokenMethod: self = .invalidRequest("Bad token method", name: XRPCErrorName.invalidToken)
        case .noServiceConfigured(let lxm, let variable):
            // The reference answers 400 InvalidRequest; 501 says what it is (this server cannot serve the method as
            // configured), and clients such as the Python SDK then carry on without it (its login() warns, with this
            // message, instead of failing).
            self = .init(
                status: .notImplemented, name: XRPCErrorName.methodNotImplemented,
                message: "No service configured for \(lxm): set \(variable) and its DID, or name a service in an "
                    + "atproto-proxy header")
        case .invalidProxyHeader(let message): self = .invalidRequest(message)
        case .proxyDIDUnresolvable: self = .upstreamFailure("could not resolve proxy did")
        case .forbiddenUpstream, .unreachable: self = .upstreamFailure("Upstream service unreachable")
        case .timedOut: self = .upstreamFailure("Upstream service timed out")
        case .responseTooLarge: self = .upstreamFailure("Upstream response too large")
        }
    }
}

extension XRPCError {
    /// A push registration's `serviceDid` that names no usable push service, with the reference's messages.
    init(_ error: PushServiceError) {
        switch error {
        case .invalidDocument(let did, _): self = .invalidRequest("invalid did document: \(did)")
        case .documentNotFound(let did): self = .invalidRequest("could not resolve did document: \(did)")
        case .unresolvable(let did, _): self = .upstreamFailure("could not resolve did document: \(did)")
        case .noNotificationService(let did):
            self = .invalidRequest("invalid notification service details in did document: \(did)")
        }
    }

    /// 502 `UpstreamFailure`.
    static func upstreamFailure(_ message: String) -> Self {
        .init(status: .badGateway, name: XRPCErrorName.upstreamFailure, message: message)
    }
}
