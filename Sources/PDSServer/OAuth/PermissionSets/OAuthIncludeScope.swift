import Foundation

/// An `include:<nsid>[?aud=<did#service>]` scope (atproto.com/specs/permission): the permissions of a published
/// permission set, expanded into granular `repo:` and `rpc:` scopes when a token is issued, as the reference's
/// `IncludeScope`.
package struct OAuthIncludeScope: Sendable, Equatable, Hashable {
    /// The permission set's NSID.
    package var nsid: String
    /// The audience `rpc` permissions that declare `inheritAud` get.
    package var aud: String?

    /// Parses `include:<nsid>[?aud=…]` (or `include?nsid=…`); `nil` for any other token or a malformed one.
    package init?(_ token: String) {
        let (head, query) = OAuthPermission.split(token)
        guard head == "include" || head.hasPrefix("include:") else { return nil }
        let positional = head.hasPrefix("include:") ? String(head.dropFirst("include:".count)) : nil
        let named = query.filter { $0.0 == "nsid" }.map(\.1)
        let auds = query.filter { $0.0 == "aud" }.map(\.1)
        guard query.allSatisfy({ $0.0 == "nsid" || $0.0 == "aud" }), auds.count <= 1 else { return nil }
        let nsids = positional.map { named.isEmpty ? [$0] : [] } ?? named
        guard nsids.count == 1, OAuthPermission.isNSID(nsids[0]) else { return nil }
        if let aud = auds.first, !(aud.hasPrefix("did:") && aud.contains("#")) { return nil }
        nsid = nsids[0]
        aud = auds.first
    }

    /// Whether `other` (an NSID, not `*`) lies in the permission set's namespace: it shares the set's NSID up to and
    /// including its last dot (`com.example.perms.basic` covers `com.example.perms.*`).
    package func isParentAuthority(of other: String) -> Bool {
        guard other != "*", let lastDot = nsid.lastIndex(of: ".") else { return false }
        let group = nsid[...lastDot]
        return other.count > group.count && other.hasPrefix(group)
    }

    /// The granular scopes the set grants through this include: its `repo` and `rpc` permissions that are well
    /// formed and inside its namespace. `rpc` permissions naming an audience other than `*` are dropped; those with
    /// `inheritAud: true` and no `aud` get this include's `aud`. Anything else (other resources, unknown
    /// parameters, out-of-namespace NSIDs, wildcards) is dropped, as the reference does.
    package func scopes(from set: OAuthPermissionSet) -> [String] {
        var out: [String] = []
        for case let parameters? in set.permissions {
            guard case .string(let resource)? = parameters["resource"] else { continue }
            var rest = parameters
            rest["resource"] = nil
            let token: String?
            switch resource {
            case "repo": token = repoScope(rest)
            case "rpc": token = rpcScope(rest)
            default: token = nil
            }
            if let token, !out.contains(token) { out.append(token) }
        }
        return out
    }

    private func repoScope(_ parameters: [String: OAuthPermissionSet.Value]) -> String? {
        guard Set(parameters.keys).isSubset(of: ["collection", "action"]),
            let collections = Self.strings(parameters["collection"]), !collections.isEmpty,
            collections.allSatisfy(isParentAuthority(of:))
        else { return nil }
        var query = collections.sorted().map { ("collection", $0) }
        if let value = parameters["action"] {
            guard let actions = Self.strings(value) else { return nil }
            query += actions.map { ("action", $0) }
        }
        return Self.validated("repo", query)
    }

    private func rpcScope(_ parameters: [String: OAuthPermissionSet.Value]) -> String? {
        var parameters = parameters
        if case .string(let aud)? = parameters["aud"], aud != "*" { return nil }
        if parameters["inheritAud"] == .bool(true), parameters["aud"] == nil, let aud {
            parameters["inheritAud"] = nil
            parameters["aud"] = .string(aud)
        }
        guard Set(parameters.keys).isSubset(of: ["lxm", "aud"]),
            let lxms = Self.strings(parameters["lxm"]), !lxms.isEmpty, lxms.allSatisfy(isParentAuthority(of:)),
            case .string(let audience)? = parameters["aud"]
        else { return nil }
        return Self.validated("rpc", lxms.sorted().map { ("lxm", $0) } + [("aud", audience)])
    }

    /// A list parameter's strings (a single string counts as a list of one).
    static func strings(_ value: OAuthPermissionSet.Value?) -> [String]? {
        switch value {
        case .list(let values): values
        case .string(let value): [value]
        default: nil
        }
    }

    /// `resource?key=value&…`, percent-encoded, if it parses as a granular permission.
    static func validated(_ resource: String, _ query: [(String, String)]) -> String? {
        let allowed = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:*/")
        let encoded = query.map { key, value in
            key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }
        let token = resource + "?" + encoded.joined(separator: "&")
        return OAuthPermission(token) == nil ? nil : token
    }
}
