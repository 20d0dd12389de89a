import ATCore
import ActorStore
import Foundation
import HTTPTypes
import Hummingbird
import Lexicon
import Logging
import ServiceDB

/// Read-after-write for the AppView methods that show the caller's own records (reference
/// `src/read-after-write/`): the request is proxied as usual; when the AppView says which revision of the caller's
/// repo it has seen (`atproto-repo-rev`) and the caller has written since, the records written since (at most 10:
/// the profile and the posts) are patched into its answer, and `Atproto-Upstream-Lag` tells how far behind it is.
///
/// Otherwise (no revision header, nothing newer, an answer that is not JSON or not the method's output, a munge
/// that fails) the AppView's answer goes to the client as it came: streamed when it was not read, else the bytes
/// read.
package struct ReadAfterWrite: Sendable {
    /// The proxy.
    let pipethrough: Pipethrough
    /// The actor stores (the records written since the AppView's revision, the profile record).
    let actorStore: ActorStore
    /// The accounts (the caller's handle; handles in `getPostThread` URIs).
    let serviceDB: ServiceDB
    /// Image URLs of local views.
    let images: ImageURLBuilder
    /// The wall clock (`Atproto-Upstream-Lag`).
    let now: @Sendable () -> Date

    /// The AppView's response header naming the caller's repo revision it has indexed.
    static let repoRevHeader = HTTPField.Name("atproto-repo-rev")!
    /// The response header carrying the lag, in milliseconds, of the oldest local record patched in.
    static let upstreamLagHeader = HTTPField.Name("Atproto-Upstream-Lag")!

    /// Creates the orchestrator.
    /// - Parameters:
    ///   - pipethrough: the proxy.
    ///   - actorStore: the actor stores.
    ///   - serviceDB: the accounts.
    ///   - images: image URLs of local views.
    ///   - now: the wall clock.
    package init(
        pipethrough: Pipethrough, actorStore: ActorStore, serviceDB: ServiceDB, images: ImageURLBuilder,
        now: @escaping @Sendable () -> Date
    ) {
        self.pipethrough = pipethrough
        self.actorStore = actorStore
        self.serviceDB = serviceDB
        self.images = images
        self.now = now
    }

    /// Proxies `request` for `caller` and patches the answer with `munge` (reference `pipethroughReadAfterWrite`).
    /// - Parameters:
    ///   - request: the client's request, its caller authenticated.
    ///   - caller: the caller.
    ///   - lxm: the method.
    ///   - munge: the method's munge.
    ///   - logger: where a failed munge is logged.
    /// - Throws: the proxy's errors (``UpstreamError`` for an AppView error answer).
    package func respond(
        _ request: Request, caller: DID, lxm: String, munge: ReadAfterWriteMunge, logger: Logger
    ) async throws -> Response {
        let upstream = try await pipethrough.fetch(request, caller: caller, lxm: lxm)
        guard let rev = upstream.headers[Self.repoRevHeader], Self.isMungeable(upstream.headers) else {
            return upstream.response(adding: AuthHeaders.fields)
        }
        let local: (records: LocalRecords, profile: LexValue?)
        do {
            local = try await actorStore.read(caller) {
                (try $0.record.recordsSinceRev(rev), try $0.record.profileRecord())
            }
        } catch {
            logger.warning(
                "Read-after-write: local records unreadable",
                metadata: ["error": "\(error)", "atproto.did": "\(caller)"])
            return upstream.response(adding: AuthHeaders.fields)
        }
        guard local.records.count > 0 else { return upstream.response(adding: AuthHeaders.fields) }

        let body = try await upstream.collect(upTo: .max)
        do {
            let original = try Self.output(of: lxm, body)
            let viewer = try await viewer(for: caller, profile: local.profile)
            let munged = try await munge(viewer, original, local.records, caller)
            return Self.mungedResponse(munged, lag: Self.lag(local.records, now: now()))
        } catch {
            logger.warning(
                "Read-after-write: answer passed through unmunged",
                metadata: ["error": "\(error)", "atproto.did": "\(caller)", "xrpc.method": "\(lxm)"])
            var headers = upstream.headers
            headers.append(contentsOf: AuthHeaders.fields)
            return Response(status: upstream.status, headers: headers, body: .init(byteBuffer: body))
        }
    }

    /// The local viewer of `caller`: its handle from the account table, its current profile record. A deactivated or
    /// taken-down account gets no post views, as the reference's `getAccount` does not find it.
    func viewer(for caller: DID, profile: LexValue?) async throws -> LocalViewer {
        let account = try await serviceDB.account(did: caller).flatMap { $0.status == .active ? $0 : nil }
        let handle = account.map { $0.handle?.rawValue ?? "handle.invalid" }
        let pipethrough = pipethrough
        return LocalViewer(
            did: caller, handle: handle, profile: profile, images: images,
            appView: { lxm, parameters in
                try await pipethrough.appViewQuery(caller: caller, lxm: lxm, parameters: parameters)
            })
    }

    /// Whether an answer can be munged: JSON (or no content type at all, as the reference), not compressed.
    static func isMungeable(_ headers: HTTPFields) -> Bool {
        if let type = headers[.contentType], !Pipethrough.isJSON(type) { return false }
        let encoding = headers[.contentEncoding]?.lowercased() ?? "identity"
        return encoding == "identity"
    }

    /// The AppView's answer, parsed and checked against the method's output schema (the reference munges nothing
    /// that does not validate).
    /// - Throws: ``ReadAfterWriteError/invalidUpstreamOutput(lxm:cause:)``.
    static func output(of lxm: String, _ body: ByteBuffer) throws -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body.readableBytesView)
            guard case .query(_, let output?)? = KnownLexicons.catalog.document(lxm)?.defs["main"],
                let schema = output.schema
            else { return json }
            try KnownLexicons.validator.validate(try LexValue(json: json), schema, path: "Output")
        } catch {
            throw ReadAfterWriteError.invalidUpstreamOutput(lxm: lxm, cause: error)
        }
        return json
    }

    /// Milliseconds between `now` and the oldest patched-in record's `indexedAt` (reference `getLocalLag`); `nil`
    /// when neither a profile nor a post was read.
    static func lag(_ local: LocalRecords, now: Date) -> Int? {
        let times = ([local.profile].compactMap { $0 } + local.posts).map(\.indexedAt)
        guard let oldest = times.min(), let date = (try? Datetime(oldest))?.date else { return nil }
        return Int((now.timeIntervalSince(date) * 1000).rounded(.down))
    }

    /// The munged answer: JSON, with `Atproto-Upstream-Lag` when known (reference `formatMungedResponse`).
    static func mungedResponse(_ body: JSONValue, lag: Int?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let lag { headers[upstreamLagHeader] = String(lag) }
        headers.append(contentsOf: AuthHeaders.fields)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized)))
    }
}
