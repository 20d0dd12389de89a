import Foundation

/// One granular permission of an atproto OAuth scope (atproto.com/specs/permission): `repo:`, `rpc:`, `blob:`,
/// `account:` or `identity:`, parsed from its scope-string syntax `resource[:positional][?key=value&…]`.
package enum OAuthPermission: Sendable, Equatable, Hashable {
    /// A record write.
    package enum RepoAction: String, Sendable, CaseIterable {
        case create, update, delete
    }

    /// An account attribute (`account:<attr>`).
    package enum AccountAttribute: String, Sendable {
        case email, repo, status
    }

    /// What may be done with an account attribute; `manage` includes `read`.
    package enum AccountAction: String, Sendable {
        case read, manage
    }

    /// `repo:<collection|*>?action=…` (all three actions when none is named).
    case repo(collections: Set<String>, actions: Set<RepoAction>)
    /// `rpc:<lxm|*>?aud=<did#service|*>`.
    case rpc(lxms: Set<String>, aud: String)
    /// `blob:<mime pattern>` (`*/*`, `image/*`, `image/png`).
    case blob(accept: Set<String>)
    /// `account:<attr>?action=read|manage` (`read` when none is named).
    case account(AccountAttribute, AccountAction)
    /// `identity:handle` or `identity:*`.
    case identity(String)

    /// Parses one scope token; `nil` for anything that is not a well-formed granular permission (the reference
    /// ignores such tokens rather than refusing the request).
    /// - Parameters:
    ///   - token: one space-separated element of a scope string.
    package init?(_ token: String) {
        let (head, query) = Self.split(token)
        let colon = head.firstIndex(of: ":")
        let resource = colon.map { String(head[..<$0]) } ?? head
        let positional = colon.map { String(head[head.index(after: $0)...]) }
        func values(_ key: String, positionalKey: Bool) -> [String] {
            var found = query.filter { $0.0 == key }.map(\.1)
            if positionalKey, let positional {
                guard found.isEmpty else { return [] }  // both forms at once is ambiguous: refused
                found = [positional]
            }
            return found
        }
        switch resource {
        case "repo":
            let collections = values("collection", positionalKey: true)
            guard !collections.isEmpty, collections.allSatisfy({ $0 == "*" || Self.isNSID($0) }) else { return nil }
            let actionNames = values("action", positionalKey: false)
            let actions = Set(actionNames.compactMap(RepoAction.init(rawValue:)))
            guard actions.count == Set(actionNames).count else { return nil }
            self = .repo(collections: Set(collections), actions: actions.isEmpty ? Set(RepoAction.allCases) : actions)
        case "rpc":
            let lxms = values("lxm", positionalKey: true)
            let auds = values("aud", positionalKey: false)
            guard !lxms.isEmpty, lxms.allSatisfy({ $0 == "*" || Self.isNSID($0) }), auds.count == 1 else { return nil }
            let aud = auds[0]
            guard aud == "*" || (aud.hasPrefix("did:") && aud.contains("#")) else { return nil }
            // The spec forbids the fully open form: a wildcard method must name its audience.
            if aud == "*" && lxms.contains("*") { return nil }
            self = .rpc(lxms: Set(lxms), aud: aud)
        case "blob":
            let accept = values("accept", positionalKey: true)
            guard !accept.isEmpty, accept.allSatisfy(Self.isMIMEPattern) else { return nil }
            self = .blob(accept: Set(accept))
        case "account":
            let attrs = values("attr", positionalKey: true)
            let actions = values("action", positionalKey: false)
            guard attrs.count == 1, let attr = AccountAttribute(rawValue: attrs[0]), actions.count <= 1 else {
                return nil
            }
            let parsed: AccountAction? = actions.isEmpty ? .read : AccountAction(rawValue: actions[0])
            guard let action = parsed else { return nil }
            self = .account(attr, action)
        case "identity":
            let attrs = values("attr", positionalKey: true)
            guard attrs.count == 1, attrs[0] == "handle" || attrs[0] == "*" else { return nil }
            self = .identity(attrs[0])
        default:
            return nil
        }
    }

    /// `token`'s part before `?`, and its percent-decoded query pairs.
    static func split(_ token: String) -> (String, [(String, String)]) {
        guard let mark = token.firstIndex(of: "?") else { return (token, []) }
        let head = String(token[..<mark])
        let pairs = token[token.index(after: mark)...].split(separator: "&").compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let key = parts[0].removingPercentEncoding,
                let value = parts[1].removingPercentEncoding, !value.isEmpty
            else { return nil }
            return (key, value)
        }
        return (head, pairs)
    }

    /// A loose NSID check: at least three dot-separated segments of letters, digits and hyphens.
    static func isNSID(_ value: String) -> Bool {
        let segments = value.split(separator: ".", omittingEmptySubsequences: false)
        return segments.count >= 3
            && segments.allSatisfy {
                !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }

    /// `*/*`, `type/*` or `type/subtype`.
    static func isMIMEPattern(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        if parts[0] == "*" { return parts[1] == "*" }
        return true
    }
}

/// What an OAuth access token's scope lets its holder do, as the reference's `ScopePermissionsTransition`:
/// the granular permissions plus the transitional scopes (`transition:generic` = every repo write, every blob and
/// every `rpc` outside `chat.bsky.*`; `transition:chat.bsky` = `chat.bsky.*` rpc; `transition:email` = reading the
/// account email).
package struct OAuthPermissions: Sendable, Equatable {
    /// The scope tokens the server knows besides the granular permissions.
    package static let atproto = "atproto"
    package static let transitionGeneric = "transition:generic"
    package static let transitionEmail = "transition:email"
    package static let transitionChat = "transition:chat.bsky"

    /// The scope string, as granted.
    package let scope: String
    /// Its tokens.
    package let tokens: Set<String>
    /// Its well-formed granular permissions.
    package let permissions: [OAuthPermission]

    /// Parses a granted scope string.
    package init(scope: String) {
        self.scope = scope
        tokens = Set(scope.split(separator: " ").map(String.init))
        permissions = tokens.sorted().compactMap(OAuthPermission.init)
    }

    /// Whether the scope holds `atproto`, without which a token grants nothing.
    package var hasAtproto: Bool { tokens.contains(Self.atproto) }

    /// Whether a record `action` on `collection` is allowed.
    package func allowsRepo(collection: String, action: OAuthPermission.RepoAction) -> Bool {
        if tokens.contains(Self.transitionGeneric) { return true }
        return permissions.contains {
            guard case .repo(let collections, let actions) = $0 else { return false }
            return actions.contains(action) && (collections.contains("*") || collections.contains(collection))
        }
    }

    /// Whether a call of `lxm` on the service `aud` (`did#service`) is allowed.
    package func allowsRPC(lxm: String, aud: String) -> Bool {
        let isChat = lxm.hasPrefix("chat.bsky.")
        if isChat && tokens.contains(Self.transitionChat) { return true }
        if !isChat && tokens.contains(Self.transitionGeneric) { return true }
        return permissions.contains {
            guard case .rpc(let lxms, let permitted) = $0 else { return false }
            return (lxms.contains("*") || lxms.contains(lxm)) && (permitted == "*" || permitted == aud)
        }
    }

    /// Whether uploading a blob of `mime` type is allowed.
    package func allowsBlob(mime: String) -> Bool {
        if tokens.contains(Self.transitionGeneric) { return true }
        let mime = mime.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return permissions.contains {
            guard case .blob(let accept) = $0 else { return false }
            return accept.contains { pattern in
                if pattern == "*/*" { return true }
                if pattern.hasSuffix("/*") { return mime.hasPrefix(String(pattern.dropLast()).lowercased()) }
                return pattern.lowercased() == mime
            }
        }
    }

    /// Whether `action` on the account attribute is allowed (`manage` includes `read`).
    package func allowsAccount(_ attribute: OAuthPermission.AccountAttribute, _ action: OAuthPermission.AccountAction)
        -> Bool
    {
        if attribute == .email && action == .read && tokens.contains(Self.transitionEmail) { return true }
        return permissions.contains {
            guard case .account(let granted, let grantedAction) = $0, granted == attribute else { return false }
            return grantedAction == .manage || grantedAction == action
        }
    }

    /// Whether the identity attribute (`handle`, or `*` for everything including PLC operations) may be changed.
    package func allowsIdentity(_ attribute: String) -> Bool {
        permissions.contains {
            guard case .identity(let granted) = $0 else { return false }
            return granted == "*" || granted == attribute
        }
    }
}
