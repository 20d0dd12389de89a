import ActorStore
import ATCore
import ATCrypto
import Foundation
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
        default: nil
        }
    }

    /// Auth failures: 400 `InvalidToken`/`ExpiredToken`, 401 `AuthMissing`/`AuthenticationRequired`.
    init(_ error: AuthError) {
        switch error {
        case .invalidToken(let message): self = .invalidRequest(message, name: "InvalidToken")
        case .expiredToken: self = .invalidRequest("Token has expired", name: "ExpiredToken")
        case .authRequired(let message): self = .authRequired(message)
        case .authMissing: self = .authRequired("Authentication Required", name: "AuthMissing")
        case .serviceAuth(let name, let message): self = .authRequired(message, name: name)
        }
    }

    /// Account-database failures.
    init(_ error: ServiceDBError) {
        switch error {
        case .handleTaken: self = .invalidRequest("Handle already taken", name: "HandleNotAvailable")
        case .emailTaken: self = .invalidRequest("Email already taken")
        case .accountExists: self = .invalidRequest("Account already exists", name: "AlreadyExists")
        case .accountNotFound: self = .init(status: .badRequest, name: "AccountNotFound", message: "Account not found")
        case .inviteCodeUnavailable:
            self = .invalidRequest("Provided invite code not available", name: "InvalidInviteCode")
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
            self = .init(status: .badGateway, name: "UpstreamFailure", message: message)
        case .directory(_, let message): self = .invalidRequest(message)
        default: self = .invalidRequest("\(error)")
        }
    }
}
