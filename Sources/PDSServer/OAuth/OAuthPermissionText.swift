import Foundation

/// The permissions of a scope in plain words, for the consent and account pages.
enum OAuthPermissionText {
    /// One line per scope token the user is asked to grant (`atproto` first).
    /// - Parameters:
    ///   - scope: the scope string.
    ///   - sets: the permission sets its `include:` scopes name: each is shown by its title and detail (in the
    ///     first of `languages` it has), or by the permissions it grants when it has no title.
    ///   - languages: the reader's languages, best first (`Accept-Language`).
    static func describe(scope: String, sets: [String: OAuthPermissionSet] = [:], languages: [String] = []) -> [String]
    {
        var lines: [String] = []
        let tokens = scope.split(separator: " ").map(String.init)
        if tokens.contains(OAuthPermissions.atproto) {
            lines.append("Know which account you are (your DID and handle)")
        }
        for token in tokens where token != OAuthPermissions.atproto {
            guard let include = OAuthIncludeScope(token), let set = sets[include.nsid] else {
                lines.append(describe(token: token))
                continue
            }
            if let title = set.title(languages: languages) {
                let detail = set.detail(languages: languages).map { ": " + $0 } ?? ""
                lines.append(title + detail)
            } else {
                lines += include.scopes(from: set).map { describe(token: $0) }
            }
        }
        return lines
    }

    /// The languages of an `Accept-Language` header, best first (quality values honoured, `*` dropped).
    static func languages(acceptLanguage: String?) -> [String] {
        guard let acceptLanguage else { return [] }
        let ranked = acceptLanguage.split(separator: ",").enumerated().compactMap {
            index, part -> (String, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, !tag.isEmpty, tag != "*" else { return nil }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0 ? (tag, quality, index) : nil
        }
        return ranked.sorted { ($0.1, -$0.2) > ($1.1, -$1.2) }.map(\.0)
    }

    static func describe(token: String) -> String {
        switch token {
        case OAuthPermissions.transitionGeneric:
            return "Create, change and delete any of your posts, likes, follows and other records, upload media, "
                + "and act for you on other services (except chat)"
        case OAuthPermissions.transitionEmail: return "See your email address"
        case OAuthPermissions.transitionChat: return "Read and send your chat messages"
        default: break
        }
        if let include = OAuthIncludeScope(token) { return "The permissions of \(include.nsid)" }
        guard let permission = OAuthPermission(token) else { return "Unrecognised permission: \(token)" }
        switch permission {
        case .repo(let collections, let actions):
            let verbs = OAuthPermission.RepoAction.allCases.filter(actions.contains).map { action -> String in
                switch action {
                case .create: "create"
                case .update: "change"
                case .delete: "delete"
                }
            }
            let what =
                collections.contains("*")
                ? "records of any kind" : "records of type " + collections.sorted().joined(separator: ", ")
            return verbs.joined(separator: ", ").capitalizedFirst + " your " + what
        case .rpc(let lxms, let aud):
            let methods = lxms.contains("*") ? "any method" : lxms.sorted().joined(separator: ", ")
            let service = aud == "*" ? "any service" : aud
            return "Use \(methods) on \(service) as you"
        case .blob(let accept):
            let types = accept.contains("*/*") ? "any type" : accept.sorted().joined(separator: ", ")
            return "Upload files (\(types))"
        case .account(let attribute, let action):
            switch (attribute, action) {
            case (.email, .read): return "See your email address"
            case (.email, .manage): return "Change your email address"
            case (.repo, .read): return "Read your whole repository"
            case (.repo, .manage): return "Import data into your repository"
            case (.status, .read): return "See whether your account is active"
            case (.status, .manage): return "Deactivate or reactivate your account"
            }
        case .identity(let attribute):
            return attribute == "handle" ? "Change your handle" : "Change your handle and your identity (DID document)"
        }
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
