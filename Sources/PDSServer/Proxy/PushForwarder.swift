import ATCore
import Identity

/// `app.bsky.notification.registerPush` and `unregisterPush` as the reference forwards them: the account's request goes
/// to the push notification service its `serviceDid` names, with a service JWT (`aud` = `serviceDid`, `lxm` = the
/// method). When `serviceDid` is the configured AppView's DID, that is the AppView (`PDS_BSKY_APP_VIEW_URL`); otherwise
/// it is the `#bsky_notif` service (type `BskyNotificationService`) of `serviceDid`'s DID document, resolved through
/// Identity (the DID cache) and reached through the SSRF-guarded upstream clients.
///
/// As in the reference, these need an AppView configured even when the push service is another one (the reference
/// registers them only then); without one they answer 501 `MethodNotImplemented` naming `PDS_BSKY_APP_VIEW_URL`, as
/// proxied methods do.
struct PushForwarder: Sendable {
    /// The proxy: the upstream clients, the AppView, DID documents and service JWTs.
    let pipethrough: Pipethrough

    /// The DID-document service id of a push notification service.
    static let serviceId = "bsky_notif"
    /// Its service type.
    static let serviceType = "BskyNotificationService"
    /// The most of a push service's answer read (the methods have no output).
    static let maxAnswer = 64 * 1024

    /// Sends `input` (checked against the method's lexicon: its `serviceDid` is a DID) to its push service.
    /// - Parameters:
    ///   - lxm: `app.bsky.notification.registerPush` or `unregisterPush`.
    ///   - input: the request body.
    ///   - caller: the authenticated account.
    /// - Throws: ``PushServiceError`` when `serviceDid` names no usable service, ``UpstreamError`` for the service's
    ///   error answer (passed on), ``PipethroughError`` when no AppView is configured or the service cannot be reached.
    func forward(_ lxm: String, input: LexValue, caller: DID) async throws {
        guard let serviceDid = input["serviceDid"]?.string else {
            throw XRPCError.invalidRequest("Input must have the property \"serviceDid\"")
        }
        let appView = try pipethrough.targets.appView(for: lxm)
        let target = serviceDid == appView.did ? appView : try await notificationService(serviceDid)
        let answer = try await pipethrough.call(
            lxm, at: target, json: input.jsonBytes, caller: caller, audience: serviceDid)
        _ = try await answer.collect(upTo: Self.maxAnswer)
    }

    /// The `#bsky_notif` service of `did`'s DID document (the reference's `getDidDoc` and `getNotif`).
    func notificationService(_ did: String) async throws -> ProxyTarget {
        let document: DIDDocument?
        do {
            document = try await pipethrough.targets.didDocument(try DID(did))
        } catch let error as IdentityError {
            switch error {
            case .invalidDIDDocument, .unsupportedDID: throw PushServiceError.invalidDocument(did: did, cause: error)
            case .didNotFound: throw PushServiceError.documentNotFound(did: did)
            default: throw PushServiceError.unresolvable(did: did, cause: error)
            }
        } catch let error as SyntaxError {
            throw PushServiceError.invalidDocument(did: did, cause: error)
        } catch {
            throw PushServiceError.unresolvable(did: did, cause: error)
        }
        guard let document else { throw PushServiceError.documentNotFound(did: did) }
        guard let origin = Self.notificationOrigin(in: document) else {
            throw PushServiceError.noNotificationService(did: did)
        }
        return ProxyTarget(did: did, serviceId: Self.serviceId, origin: origin)
    }

    /// The origin of `document`'s push notification service: the entry with id `#bsky_notif` (or `<did>#bsky_notif`)
    /// whose type is `BskyNotificationService` and whose endpoint is an http(s) URL; `nil` when there is none.
    static func notificationOrigin(in document: DIDDocument) -> String? {
        let ids: Set<String> = ["#\(serviceId)", "\(document.id)#\(serviceId)"]
        guard let service = document.service.first(where: { ids.contains($0.id) }), service.type == serviceType
        else { return nil }
        return ProxyTarget.origin(of: service.serviceEndpoint)
    }
}

/// Why `registerPush`/`unregisterPush` found no push service for a `serviceDid` (mapped in `XRPCError+mapping.swift`
/// with the reference's messages).
package enum PushServiceError: Error, Sendable {
    /// The DID document is malformed, or the DID is not one this server resolves (400 `InvalidRequest` "invalid did
    /// document: <did>").
    case invalidDocument(did: String, cause: any Error)
    /// The DID has no document (400 `InvalidRequest` "could not resolve did document: <did>").
    case documentNotFound(did: String)
    /// Resolving the DID failed (network, timeout, SSRF guard): 502 `UpstreamFailure` "could not resolve did document:
    /// <did>" (the reference lets the error through as a 500).
    case unresolvable(did: String, cause: any Error)
    /// The document has no usable `#bsky_notif` service (400 `InvalidRequest` "invalid notification service details
    /// in did document: <did>").
    case noNotificationService(did: String)
}
