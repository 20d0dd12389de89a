import ATCore
import Hummingbird
import Identity
import Logging
import ServiceDB

extension ComAtprotoIdentity {
    /// `com.atproto.identity.submitPlcOperation` (access tokens and app passwords): the signed operation in the body's
    /// `operation` is checked against this PDS (``IdentityUpdater/submitOperation(_:for:handle:logger:)``) and sent to
    /// the PLC directory.
    func submitPlcOperation(_ request: Request, logger: Logger) async throws {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, oauth: .identity("*"))
        let input = try await XRPCBody.lexValue(request)
        guard let json = input["operation"]?.jsonValue else {
            throw XRPCError.invalidRequest("Input must have the property \"operation\"")
        }
        let operation: PLCOperation
        do {
            operation = try PLCOperation(json: json)
        } catch {
            throw XRPCError.invalidRequest(error.description)
        }
        try await updater.submitOperation(operation, for: caller.did, handle: caller.account?.handle, logger: logger)
    }
}
