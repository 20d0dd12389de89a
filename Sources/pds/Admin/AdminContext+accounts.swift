import ATCore

extension AdminContext {
    /// An account as `com.atproto.admin.getAccountInfo` describes it.
    struct Account: Sendable {
        /// The view as the server sent it (for `--json`).
        var json: JSONValue
        /// The view, decoded.
        var view: AdminModels.AccountView
    }

    /// The account a command-line argument names: a DID, or a handle (`@` optional) resolved by the PDS itself.
    /// - Throws: ``AdminFailure/notFound(_:)`` naming the account when the PDS has no such account;
    ///   ``AdminFailure/usage(_:)`` when the argument is neither a DID nor a handle.
    func account(_ identifier: String) async throws(AdminFailure) -> Account {
        let did: String
        if (try? DID(identifier)) != nil {
            did = identifier
        } else {
            let text = identifier.hasPrefix("@") ? String(identifier.dropFirst()) : identifier
            guard let handle = try? Handle(text.lowercased()) else {
                throw .usage("'\(identifier)' is neither a DID nor a handle")
            }
            do throws(AdminFailure) {
                let output = try await client.query(
                    "com.atproto.identity.resolveHandle", [("handle", handle.rawValue)], admin: false)
                guard let resolved = output["did"]?.string else {
                    throw AdminFailure.badResponse(
                        url: client.baseURL, method: "com.atproto.identity.resolveHandle", detail: "no did")
                }
                did = resolved
            } catch where error.xrpcError == "HandleNotFound" {
                throw .notFound("no account with handle \(handle.rawValue) on \(client.baseURL)")
            }
        }
        let method = "com.atproto.admin.getAccountInfo"
        do throws(AdminFailure) {
            let json = try await client.query(method, [("did", did)])
            return Account(
                json: json, view: try client.decode(AdminModels.AccountView.self, from: json, method: method))
        } catch where error.xrpcError == "NotFound" {
            throw .notFound("no account \(identifier) on \(client.baseURL)")
        }
    }

    /// An account's status from `com.atproto.admin.getSubjectStatus`: `takendown`, `deactivated` or `active`, and
    /// the takedown reference.
    func status(of did: String) async throws(AdminFailure) -> (status: String, takedownRef: String?) {
        let method = "com.atproto.admin.getSubjectStatus"
        let json = try await client.query(method, [("did", did)])
        let status = try client.decode(AdminModels.SubjectStatus.self, from: json, method: method)
        if status.takedown?.applied == true { return ("takendown", status.takedown?.ref) }
        if status.deactivated?.applied == true { return ("deactivated", nil) }
        return ("active", nil)
    }
}
