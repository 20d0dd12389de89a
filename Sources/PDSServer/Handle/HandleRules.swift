import ActorStore
import ATCore
import ATCrypto
import Foundation
import Hummingbird
import Identity
import ServiceDB

/// The reference's handle policy for account creation (`normalizeAndValidateHandle`).
///
/// - Note: the reference reserves about a thousand names (`src/handle/reserved.ts`); ``reserved`` is a small
///   subset covering service, infrastructure and impersonation names. The explicit-slur check is not implemented.
struct HandleRules: Sendable {
    /// `PDS_SERVICE_HANDLE_DOMAINS`, each starting with `.`.
    let serviceDomains: [String]

    /// Names that can not be registered under a service domain.
    static let reserved: Set<String> = [
        "about", "abuse", "account", "accounts", "admin", "administrator", "api", "app", "atproto", "auth", "blog",
        "bluesky", "bsky", "contact", "dev", "did", "docs", "email", "feed", "feeds", "help", "hostmaster", "info",
        "login", "logout", "mail", "moderation", "moderator", "mod", "news", "noreply", "oauth", "official", "owner",
        "pds", "plc", "postmaster", "privacy", "register", "root", "security", "settings", "signup", "staff",
        "status", "support", "system", "team", "terms", "webmaster", "www", "xrpc",
    ]

    /// The service domain `handle` is under, if any.
    func serviceDomain(of handle: Handle) -> String? {
        serviceDomains.first { handle.rawValue.hasSuffix($0.lowercased()) }
    }

    /// Whether `handle` is under one of the service domains.
    func isServiceHandle(_ handle: Handle) -> Bool { serviceDomain(of: handle) != nil }

    /// Lower-cases and validates a handle for a new account.
    /// - Throws: 400 `InvalidHandle`, `UnsupportedDomain` or `HandleNotAvailable` (reserved).
    func normalizeAndValidate(_ raw: String) throws(XRPCError) -> Handle {
        guard let handle = try? Handle(raw.trimmingCharacters(in: .whitespaces)) else {
            throw .invalidRequest("Handle is invalid", name: XRPCErrorName.invalidHandle)
        }
        if handle.isDisallowedTLD { throw .invalidRequest("Handle TLD is invalid or disallowed", name: XRPCErrorName.invalidHandle) }
        guard let domain = serviceDomain(of: handle) else {
            throw .invalidRequest("Not a supported handle domain", name: XRPCErrorName.unsupportedDomain)
        }
        let front = handle.rawValue.dropLast(domain.count)
        if front.contains(".") { throw .invalidRequest("Invalid characters in handle", name: XRPCErrorName.invalidHandle) }
        if front.count < 3 { throw .invalidRequest("Handle too short", name: XRPCErrorName.invalidHandle) }
        if front.count > 18 { throw .invalidRequest("Handle too long", name: XRPCErrorName.invalidHandle) }
        if Self.reserved.contains(String(front)) {
            throw .invalidRequest("Reserved handle", name: XRPCErrorName.handleNotAvailable)
        }
        return handle
    }
}
