import ATCore
import Hummingbird

extension DevSwiftpdsBackup {
    /// Input of `dev.swiftpds.backup.restoreAccount`.
    struct RestoreAccountInput: Decodable {
        var did: String
        var staging: String
    }

    /// `dev.swiftpds.backup.restoreAccount`: puts the staged files of one account in place of its live ones
    /// (``LiveAccountRestore``).
    /// - Throws: 401 without admin credentials; 400 `InvalidRequest` for an invalid DID or staging name, nothing
    ///   staged, or unusable staged files; 400 `AccountNotFound` when `account.sqlite` lacks the account; 500 when
    ///   replacing the files failed (the previous ones were put back) or announcing the replaced repo failed (the
    ///   reconciler retries it).
    func restoreAccount(_ request: Request) async throws -> LiveAccountRestore.Summary {
        try auth.admin(request)
        let input = try await XRPCBody.decode(RestoreAccountInput.self, from: request)
        guard let did = try? DID(input.did) else { throw XRPCError.invalidRequest("Input/did must be a valid did") }
        do {
            return try await restorer.restore(did, staged: input.staging)
        } catch let failure as LiveAccountRestore.Failure {
            switch failure {
            case .unknownAccount:
                throw XRPCError.invalidRequest(failure.description, name: XRPCErrorName.accountNotFound)
            case .swapFailed, .announceFailed:
                throw XRPCError(
                    status: .internalServerError, name: XRPCErrorName.internalServerError,
                    message: failure.description)
            case .invalidStagingName, .nothingStaged, .invalidStagedFiles:
                throw XRPCError.invalidRequest(failure.description)
            }
        }
    }
}

extension LiveAccountRestore.Summary: ResponseEncodable {}
