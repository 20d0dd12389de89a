import AsyncHTTPClient
import Foundation
import Identity
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The proxy's HTTP clients: one AsyncHTTPClient (so one keep-alive connection pool) per upstream origin, shared by
/// every request to it, so a request reuses a warm connection instead of paying a TCP and TLS handshake.
///
/// With the SSRF guard on (`PDS_DISABLE_SSRF_PROTECTION` unset outside dev mode) only `https` origins are accepted,
/// and an origin's client is pinned to an address checked by ``SSRFGuard`` (AsyncHTTPClient's `dnsOverride`, which
/// keeps SNI and certificate checks on the host name): every connection it opens goes to that public unicast address,
/// whatever a later DNS answer says. The name is resolved and checked again after ``Settings/repinInterval``; a
/// changed address gets a new client, and the old one is shut down once its last request is done.
///
/// At most ``Settings/maxOrigins`` clients are kept (the `atproto-proxy` header lets users name any service): the
/// least recently used beyond that is retired the same way.
///
/// As a `Service` it shuts every client down when the service group stops (listed first, it stops last, after the
/// HTTP server has drained its requests).
package final class UpstreamClients: Service, Sendable {
    /// How the clients connect.
    package struct Settings: Sendable {
        /// Negotiate HTTP/2 with https origins (`PDS_PROXY_ALLOW_HTTP2`).
        package var allowHTTP2 = false
        /// The connect timeout.
        package var connectTimeout: TimeAmount = .seconds(10)
        /// The longest pause between two reads (`PDS_PROXY_BODY_TIMEOUT`).
        package var readTimeout: TimeAmount = .seconds(30)
        /// Whether the SSRF guard is on.
        package var ssrfProtection = true
        /// How long a checked address is trusted before the name is resolved again.
        package var repinInterval: Duration = .seconds(120)
        /// The most origins with a client at once.
        package var maxOrigins = 64
        /// The most connections to one origin (more requests wait for one).
        package var connectionsPerOrigin = 128
        /// How long an idle keep-alive connection is kept (undici's default keep-alive timeout, which the
        /// reference's proxy agent uses: shorter than the usual server-side timeouts, so a request rarely races a
        /// connection the upstream is closing).
        package var idleTimeout: TimeAmount = .seconds(4)

        /// The defaults.
        package init() {}
    }

    /// A client checked out for one request. The client is not shut down while a lease on it exists; the lease is
    /// returned when it is released (deinitialised).
    package final class Lease: Sendable {
        /// The client.
        package let client: HTTPClient
        fileprivate let slot: ObjectIdentifier
        fileprivate let owner: UpstreamClients

        fileprivate init(client: HTTPClient, slot: ObjectIdentifier, owner: UpstreamClients) {
            self.client = client
            self.slot = slot
            self.owner = owner
        }

        deinit { owner.release(slot) }
    }

    /// An origin's client and the address it is pinned to.
    private final class Pool: Sendable {
        let origin: String
        let client: HTTPClient
        let pinned: IPAddress?

        init(origin: String, client: HTTPClient, pinned: IPAddress?) {
            self.origin = origin
            self.client = client
            self.pinned = pinned
        }
    }

    private struct Slot {
        let pool: Pool
        var leases = 0
        var checkedAt: ContinuousClock.Instant
        var lastUsed: ContinuousClock.Instant
        var retired = false
    }

    private struct State {
        var slots: [ObjectIdentifier: Slot] = [:]
        var current: [String: ObjectIdentifier] = [:]
        var closed = false

        /// Retires `id`: it gets no new leases, and its client is returned for shutdown when none is left.
        mutating func retire(_ id: ObjectIdentifier) -> HTTPClient? {
            guard var slot = slots[id] else { return nil }
            if current[slot.pool.origin] == id { current[slot.pool.origin] = nil }
            if slot.leases == 0 {
                slots[id] = nil
                return slot.pool.client
            }
            slot.retired = true
            slots[id] = slot
            return nil
        }
    }

    /// The connection settings.
    package let settings: Settings
    private let state = Mutex(State())

    /// Creates the (empty) set of clients.
    /// - Parameters:
    ///   - settings: how the clients connect.
    package init(settings: Settings) {
        self.settings = settings
    }

    /// A lease on the client of `origin`, creating it (after the SSRF check) when there is none or its address is due
    /// for a new check.
    /// - Parameters:
    ///   - origin: `scheme://host[:port]`.
    /// - Throws: ``PipethroughError/forbiddenUpstream(origin:reason:)`` when the guard refuses the origin,
    ///   ``PipethroughError/unreachable(origin:cause:)`` when its name does not resolve.
    package func lease(_ origin: String) async throws -> Lease {
        let now = ContinuousClock.now
        if let lease = leaseCurrent(origin, now: now, acceptStale: !settings.ssrfProtection) { return lease }
        let pinned = try await checkedAddress(origin)
        let reused: Lease? = state.withLock { state in
            guard let id = state.current[origin], var slot = state.slots[id], slot.pool.pinned == pinned else {
                return nil
            }
            slot.checkedAt = now
            slot.leases += 1
            slot.lastUsed = now
            state.slots[id] = slot
            return Lease(client: slot.pool.client, slot: id, owner: self)
        }
        if let reused { return reused }

        let pool = Pool(origin: origin, client: makeClient(origin: origin, pinned: pinned), pinned: pinned)
        var toShutDown: [HTTPClient] = []
        let lease: Lease? = state.withLock { state in
            if state.closed {
                toShutDown.append(pool.client)
                return nil
            }
            if let previous = state.current[origin] {
                if let client = state.retire(previous) { toShutDown.append(client) }
            }
            let id = ObjectIdentifier(pool)
            state.slots[id] = Slot(pool: pool, leases: 1, checkedAt: now, lastUsed: now)
            state.current[origin] = id
            while state.current.count > settings.maxOrigins {
                let oldest = state.current.values.filter { $0 != id }.min {
                    state.slots[$0]!.lastUsed < state.slots[$1]!.lastUsed
                }
                guard let oldest else { break }
                if let client = state.retire(oldest) { toShutDown.append(client) }
            }
            return Lease(client: pool.client, slot: id, owner: self)
        }
        for client in toShutDown { try? await client.shutdown() }
        guard let lease else {
            throw PipethroughError.unreachable(origin: origin, cause: HTTPClientError.alreadyShutdown)
        }
        return lease
    }

    /// A lease on the current client of `origin` if it has one whose address check is recent enough.
    private func leaseCurrent(_ origin: String, now: ContinuousClock.Instant, acceptStale: Bool) -> Lease? {
        state.withLock { state in
            guard !state.closed, let id = state.current[origin], var slot = state.slots[id],
                acceptStale || now - slot.checkedAt < settings.repinInterval
            else { return nil }
            slot.leases += 1
            slot.lastUsed = now
            state.slots[id] = slot
            return Lease(client: slot.pool.client, slot: id, owner: self)
        }
    }

    /// Returns a lease; the last one on a retired client shuts it down.
    fileprivate func release(_ id: ObjectIdentifier) {
        let client: HTTPClient? = state.withLock { state in
            guard var slot = state.slots[id] else { return nil }
            slot.leases -= 1
            if slot.retired && slot.leases == 0 {
                state.slots[id] = nil
                return slot.pool.client
            }
            state.slots[id] = slot
            return nil
        }
        // The callback-based shutdown: a lease may be released from a synchronous context.
        client?.shutdown { _ in }
    }

    deinit {
        // A safety net for owners that never ran the service (tests on the router transport): no client may be
        // deinitialised while running.
        let clients = state.withLock { $0.slots.values.map(\.pool.client) }
        for client in clients { client.shutdown { _ in } }
    }

    /// Waits for graceful shutdown, then shuts every client down.
    package func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Shuts every client down; later leases fail.
    package func shutdown() async {
        let clients: [HTTPClient] = state.withLock { state in
            state.closed = true
            state.current = [:]
            let clients = state.slots.values.map(\.pool.client)
            state.slots = [:]
            return clients
        }
        for client in clients { try? await client.shutdown() }
    }

    /// How many origins have a current client (for tests).
    package var originCount: Int { state.withLock { $0.current.count } }

    // MARK: - Guard and clients

    /// The address to pin `origin`'s client to, or `nil` when the guard is off.
    private func checkedAddress(_ origin: String) async throws -> IPAddress? {
        guard let components = URLComponents(string: origin), let scheme = components.scheme?.lowercased(),
            var host = components.host, !host.isEmpty
        else { throw PipethroughError.forbiddenUpstream(origin: origin, reason: "not an http(s) origin") }
        guard settings.ssrfProtection else { return nil }
        guard scheme == "https" else {
            throw PipethroughError.forbiddenUpstream(origin: origin, reason: "only https is allowed")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        do {
            return try await SSRFGuard.publicAddress(of: host)
        } catch IdentityError.forbiddenURL(let reason) {
            throw PipethroughError.forbiddenUpstream(origin: origin, reason: reason)
        } catch {
            throw PipethroughError.unreachable(origin: origin, cause: error)
        }
    }

    private func makeClient(origin: String, pinned: IPAddress?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: settings.connectTimeout, read: settings.readTimeout)
        configuration.httpVersion = settings.allowHTTP2 ? .automatic : .http1Only
        configuration.connectionPool = .init(
            idleTimeout: settings.idleTimeout,
            concurrentHTTP1ConnectionsPerHostSoftLimit: settings.connectionsPerOrigin)
        // Connection failures surface at once: retries are the proxy's policy (`PDS_PROXY_MAX_RETRIES`).
        configuration.connectionPool.retryConnectionEstablishment = false
        if let pinned, let host = URLComponents(string: origin)?.host, IPAddress(host) == nil {
            configuration.dnsOverride = [host: pinned.description]
        }
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }
}
