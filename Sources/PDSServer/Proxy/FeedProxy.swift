import ATCore
import Hummingbird
import NIOCore

/// `app.bsky.feed.getFeed` as the reference serves it. The AppView hydrates the skeleton a feed generator returns, and
/// the generator learns who is asking from a service JWT addressed to it, which the AppView passes on. So this server
/// reads the feed's generator record (`app.bsky.feed.generator`, through the AppView's `com.atproto.repo.getRecord`,
/// unauthenticated) for the generator's DID (its `did` field), then proxies the request to the AppView (or the
/// request's `atproto-proxy` service) with a service JWT whose `aud` is that DID and whose `lxm` is
/// `app.bsky.feed.getFeedSkeleton`.
struct FeedProxy: Sendable {
    /// The proxy: the AppView's client and the service JWTs.
    let pipethrough: Pipethrough

    /// The method served.
    static let lxm = "app.bsky.feed.getFeed"
    /// The JWT's `lxm`: the method the feed generator serves.
    static let skeletonLXM = "app.bsky.feed.getFeedSkeleton"
    /// The most of a `getRecord` answer read (a record is at most 1 MB; the envelope adds little).
    static let maxRecordAnswer = 2 * 1024 * 1024

    /// The feed `feed` for `caller`: the upstream's answer to the request, unread (the handler streams it).
    /// - Parameters:
    ///   - request: the client's request, forwarded with its query.
    ///   - caller: the authenticated account.
    ///   - feed: the `feed` parameter, the generator record's URI.
    /// - Throws: the AppView's error for an unknown record (passed on), 400 `UnknownFeed` when the record names no
    ///   DID, ``PipethroughError`` when no AppView is configured or it cannot be reached.
    func getFeed(_ request: Request, caller: DID, feed: ATURI) async throws -> UpstreamResponse {
        let generator = try await generatorDID(feed)
        return try await pipethrough.fetch(
            request, caller: caller, lxm: Self.lxm, audience: generator, serviceLXM: Self.skeletonLXM)
    }

    /// The DID in the generator record at `feed`, read through the configured AppView.
    func generatorDID(_ feed: ATURI) async throws -> String {
        guard let collection = feed.collection, let rkey = feed.recordKey else {
            throw XRPCError.invalidRequest("feed must be the AT URI of a record: \(feed.rawValue)")
        }
        let appView = try pipethrough.targets.appView(for: Self.lxm)
        let answer = try await pipethrough.call(
            "com.atproto.repo.getRecord", at: appView,
            parameters: [
                ("repo", feed.authority.rawValue), ("collection", collection.rawValue), ("rkey", rkey.rawValue),
            ])
        return try Self.generatorDID(inGetRecordOutput: try await answer.collect(upTo: Self.maxRecordAnswer))
    }

    /// The `value.did` of a `com.atproto.repo.getRecord` output.
    /// - Throws: 502 `UpstreamFailure` when the output is not a JSON object with a `value` object, 400 `UnknownFeed`
    ///   "could not resolve feed did" when its `did` is not a string (the reference's error).
    static func generatorDID(inGetRecordOutput body: ByteBuffer) throws -> String {
        guard let output = try? JSONValue(parsing: body.readableBytesView), case .object? = output["value"] else {
            throw XRPCError.upstreamFailure("Invalid getRecord response from the AppView")
        }
        guard case .string(let did)? = output["value"]?["did"] else {
            throw XRPCError.invalidRequest("could not resolve feed did", name: XRPCErrorName.unknownFeed)
        }
        return did
    }
}
