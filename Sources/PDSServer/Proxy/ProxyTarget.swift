import ATCore
import Foundation
import Identity

/// Where a proxied request goes: a service's DID, the service id in its DID document, and its origin.
package struct ProxyTarget: Sendable, Equatable {
    /// The service's DID: the `aud` of the service JWT (bare, without the fragment, as the reference sends it).
    package var did: String
    /// The service id (`bsky_appview`, `bsky_chat`, `atproto_labeler`, …).
    package var serviceId: String
    /// The service's origin, `scheme://host[:port]`: a path in the configured or published endpoint is dropped, as
    /// the reference's dispatcher does.
    package var origin: String

    /// Creates a target.
    package init(did: String, serviceId: String, origin: String) {
        self.did = did
        self.serviceId = serviceId
        self.origin = origin
    }

    /// `scheme://host[:port]` of an http(s) URL, or `nil` when it is not one.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
    }
}

/// Picks the target of a proxied method: the `atproto-proxy: <did>#<serviceId>` header when present (the DID
/// document's service entry, through the DID cache), else the configured default for the method (reference
/// `parseProxyInfo`).
struct ProxyTargetResolver: Sendable {
    /// The configured services.
    let downstream: PDSConfiguration.Downstream
    /// DID documents (the embedded PLC directory in dev mode, else the resolver with `did_cache.sqlite`).
    let didDocument: @Sendable (DID) async throws -> DIDDocument?

    /// The target for `lxm`.
    /// - Parameters:
    ///   - lxm: the method.
    ///   - header: the `atproto-proxy` header, if any.
    /// - Throws: ``PipethroughError`` when the header is malformed or names no usable service, or when no service is
    ///   configured for the method.
    func target(for lxm: String, header: String?) async throws -> ProxyTarget {
        if let header { return try await target(header: header) }
        let (serviceId, endpoint, variable) = defaultService(for: lxm)
        guard let endpoint, let origin = ProxyTarget.origin(of: endpoint.url) else {
            throw PipethroughError.noServiceConfigured(lxm: lxm, variable: variable)
        }
        return ProxyTarget(did: endpoint.did, serviceId: serviceId, origin: origin)
    }

    /// The configured AppView (`PDS_BSKY_APP_VIEW_*`), whatever a request's `atproto-proxy` header says: the service
    /// this server calls itself for `lxm` (the reference's `bskyAppView.client`).
    /// - Throws: ``PipethroughError/noServiceConfigured(lxm:variable:)`` when no AppView is configured.
    func appView(for lxm: String) throws(PipethroughError) -> ProxyTarget {
        guard let appView = downstream.appView, let origin = ProxyTarget.origin(of: appView.url) else {
            throw .noServiceConfigured(lxm: lxm, variable: "PDS_BSKY_APP_VIEW_URL")
        }
        return ProxyTarget(did: appView.did, serviceId: "bsky_appview", origin: origin)
    }

    /// The default service of `lxm`: its service id, its configuration, and the variable that configures it.
    func defaultService(for lxm: String) -> (String, PDSConfiguration.ServiceEndpoint?, String) {
        if XRPCMethodSets.modService.contains(lxm) {
            return ("atproto_labeler", downstream.modService, "PDS_MOD_SERVICE_URL")
        }
        if lxm == "com.atproto.moderation.createReport" {
            return ("atproto_labeler", downstream.reportService, "PDS_REPORT_SERVICE_URL")
        }
        return ("bsky_appview", downstream.appView, "PDS_BSKY_APP_VIEW_URL")
    }

    /// The target an `atproto-proxy` header names.
    func target(header: String) async throws -> ProxyTarget {
        let (did, serviceId) = try Self.parse(header: header)
        if let appView = downstream.appView, header == "\(appView.did)#bsky_appview",
            let origin = ProxyTarget.origin(of: appView.url)
        {
            return ProxyTarget(did: did, serviceId: serviceId, origin: origin)
        }
        guard let parsed = try? DID(did) else {
            throw PipethroughError.invalidProxyHeader("could not resolve proxy did")
        }
        let document: DIDDocument?
        do {
            document = try await didDocument(parsed)
        } catch {
            throw PipethroughError.proxyDIDUnresolvable(did: did, cause: error)
        }
        guard let document else { throw PipethroughError.invalidProxyHeader("could not resolve proxy did") }
        guard
            let service = document.service.first(where: { $0.id == "#\(serviceId)" || $0.id == "\(did)#\(serviceId)" }),
            let origin = ProxyTarget.origin(of: service.serviceEndpoint)
        else { throw PipethroughError.invalidProxyHeader("could not resolve proxy did service url") }
        return ProxyTarget(did: did, serviceId: serviceId, origin: origin)
    }

    /// Splits `<did>#<serviceId>` with the reference's checks and messages.
    static func parse(header: String) throws(PipethroughError) -> (did: String, serviceId: String) {
        guard let hash = header.firstIndex(of: "#") else {
            throw .invalidProxyHeader("no service id specified in proxy header")
        }
        if hash == header.startIndex { throw .invalidProxyHeader("no did specified in proxy header") }
        let serviceId = header[header.index(after: hash)...]
        if serviceId.isEmpty { throw .invalidProxyHeader("no service id specified in proxy header") }
        if serviceId.contains("#") { throw .invalidProxyHeader("invalid proxy header format") }
        if header.contains(" ") { throw .invalidProxyHeader("proxy header cannot contain spaces") }
        return (String(header[..<hash]), String(serviceId))
    }
}
