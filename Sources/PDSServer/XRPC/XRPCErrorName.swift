/// The XRPC error names this server answers with, as constants (the lexicons' `errors` and the generic ones), so a
/// name is spelled once.
package enum XRPCErrorName {
    /// `AccountDeactivated`.
    package static let accountDeactivated = "AccountDeactivated"
    /// `AccountNotFound`.
    package static let accountNotFound = "AccountNotFound"
    /// `AccountTakedown`.
    package static let accountTakedown = "AccountTakedown"
    /// `AlreadyExists`.
    package static let alreadyExists = "AlreadyExists"
    /// `AuthMissing`.
    package static let authMissing = "AuthMissing"
    /// `AuthenticationRequired`.
    package static let authenticationRequired = "AuthenticationRequired"
    /// `BadExpiration`.
    package static let badExpiration = "BadExpiration"
    /// `BadJwt`.
    package static let badJwt = "BadJwt"
    /// `BadJwtAudience`.
    package static let badJwtAudience = "BadJwtAudience"
    /// `BadJwtLexiconMethod`.
    package static let badJwtLexiconMethod = "BadJwtLexiconMethod"
    /// `BadJwtSignature`.
    package static let badJwtSignature = "BadJwtSignature"
    /// `BadJwtType`.
    package static let badJwtType = "BadJwtType"
    /// `BlobNotFound`.
    package static let blobNotFound = "BlobNotFound"
    /// `BlobTooLarge`.
    package static let blobTooLarge = "BlobTooLarge"
    /// `BlockNotFound`.
    package static let blockNotFound = "BlockNotFound"
    /// `ExpiredToken`.
    package static let expiredToken = "ExpiredToken"
    /// `Forbidden`.
    package static let forbidden = "Forbidden"
    /// `HandleNotAvailable`.
    package static let handleNotAvailable = "HandleNotAvailable"
    /// `HandleNotFound`.
    package static let handleNotFound = "HandleNotFound"
    /// `HeadNotFound`.
    package static let headNotFound = "HeadNotFound"
    /// `InternalServerError`.
    package static let internalServerError = "InternalServerError"
    /// `InvalidHandle`.
    package static let invalidHandle = "InvalidHandle"
    /// `InvalidInviteCode`.
    package static let invalidInviteCode = "InvalidInviteCode"
    /// `InvalidMimeType`.
    package static let invalidMimeType = "InvalidMimeType"
    /// `InvalidRange`.
    package static let invalidRange = "InvalidRange"
    /// `InvalidRequest`.
    package static let invalidRequest = "InvalidRequest"
    /// `InvalidSize`.
    package static let invalidSize = "InvalidSize"
    /// `InvalidSwap`.
    package static let invalidSwap = "InvalidSwap"
    /// `InvalidToken`.
    package static let invalidToken = "InvalidToken"
    /// `JwtExpired`.
    package static let jwtExpired = "JwtExpired"
    /// `MethodNotImplemented`.
    package static let methodNotImplemented = "MethodNotImplemented"
    /// `NotFound`.
    package static let notFound = "NotFound"
    /// `PayloadTooLarge`.
    package static let payloadTooLarge = "PayloadTooLarge"
    /// `RecordNotFound`.
    package static let recordNotFound = "RecordNotFound"
    /// `RepoDeactivated`.
    package static let repoDeactivated = "RepoDeactivated"
    /// `RepoNotFound`.
    package static let repoNotFound = "RepoNotFound"
    /// `RepoTakendown`.
    package static let repoTakendown = "RepoTakendown"
    /// `ServiceUnavailable`.
    package static let serviceUnavailable = "ServiceUnavailable"
    /// `UnknownFeed`.
    package static let unknownFeed = "UnknownFeed"
    /// `UntrustedIss`.
    package static let untrustedIss = "UntrustedIss"
    /// `UnsupportedDomain`.
    package static let unsupportedDomain = "UnsupportedDomain"
    /// `UpstreamFailure`.
    package static let upstreamFailure = "UpstreamFailure"
    /// `UpstreamTimeout`.
    package static let upstreamTimeout = "UpstreamTimeout"
}
