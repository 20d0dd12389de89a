import ATCore
import Hummingbird

extension AppBskyFeed {
    /// `app.bsky.feed.getFeed` (access tokens and app passwords): the AppView's answer, streamed, with a service JWT
    /// for the feed's generator; an unknown feed is the AppView's error, passed on. An OAuth token needs
    /// `rpc:app.bsky.feed.getFeed` and `rpc:app.bsky.feed.getFeedSkeleton`, both for the service the request goes
    /// to (its `atproto-proxy` header's, else the AppView), as the reference.
    func getFeed(_ request: Request) async throws -> Response {
        let caller = try await auth.access(request, scopes: SessionTokens.Scope.standard, oauth: .allowed)
        if caller.permissions != nil {
            let target = try await feeds.pipethrough.targets.target(
                for: FeedProxy.lxm, header: request.headers[ProxyHeaders.atprotoProxy])
            let aud = "\(target.did)#\(target.serviceId)"
            try caller.authorizeRPC(lxm: FeedProxy.lxm, aud: aud)
            try caller.authorizeRPC(lxm: FeedProxy.skeletonLXM, aud: aud)
        }
        let feed = try XRPCParameters(request).parseRequired("feed") { try ATURI($0) }
        return try await feeds.getFeed(request, caller: caller.did, feed: feed).response(adding: AuthHeaders.fields)
    }
}
