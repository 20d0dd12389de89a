import ATCore
import ActorStore
import Hummingbird
import Logging
import ServiceDB

/// `app.bsky.feed.getPostThread`: the caller's new replies go into the thread (reference `getPostThread.ts`).
extension ReadAfterWrite {
    /// The `$type` of a thread post.
    static let threadViewPost = "app.bsky.feed.defs#threadViewPost"

    /// The munge: each local post replying within the thread is put first among its parent's replies.
    package static let getPostThread: ReadAfterWriteMunge = { viewer, original, local, _ in
        guard let thread = original["thread"], thread.lexType == threadViewPost else { return original }
        return original.setting("thread", try await addPosts(local.posts, to: thread, viewer: viewer))
    }

    /// `thread` with the posts of `posts` that belong to it inserted under their parents.
    static func addPosts(_ posts: [LocalRecord], to thread: JSONValue, viewer: LocalViewer) async throws -> JSONValue {
        let threadURI = thread["post"]?["uri"]?.string
        let threadRoot = thread["post"]?["record"]?["reply"]?["root"]?["uri"]?.string
        let inThread = posts.filter { post in
            guard let root = post.value["reply"]?["root"]?["uri"]?.string else { return false }
            return root == threadURI || root == threadRoot
        }
        var thread = thread
        for post in inThread { thread = try await insertReply(post, into: thread, viewer: viewer) }
        return thread
    }

    /// `view` with `post` first among the replies of its parent, wherever that is below `view`.
    static func insertReply(_ post: LocalRecord, into view: JSONValue, viewer: LocalViewer) async throws -> JSONValue {
        let replies = view["replies"]?.array
        if let parent = post.value["reply"]?["parent"]?["uri"]?.string, parent == view["post"]?["uri"]?.string {
            guard let reply = try await threadPostView(post, viewer: viewer) else { return view }
            return view.setting("replies", .array([reply] + (replies ?? [])))
        }
        guard let replies else { return view }
        var updated: [JSONValue] = []
        for reply in replies {
            updated.append(
                reply.lexType == threadViewPost ? try await insertReply(post, into: reply, viewer: viewer) : reply)
        }
        return view.setting("replies", .array(updated))
    }

    /// A `threadViewPost` holding only the post's view.
    static func threadPostView(_ post: LocalRecord, viewer: LocalViewer) async throws -> JSONValue? {
        guard let view = try await viewer.postView(post) else { return nil }
        return .object(["$type": .string(threadViewPost), "post": view])
    }

    /// The thread of a post of the caller the AppView does not know yet (reference `readAfterWriteNotFound`): the
    /// post with the local replies below it, under the parents the AppView has (when it answers); `nil` when the
    /// post is not among the local records.
    /// - Parameters:
    ///   - uri: the requested post, its authority the caller's DID.
    ///   - local: the caller's records since the AppView's revision.
    ///   - parentHeight: the request's `parentHeight`, passed to the AppView for the parents.
    ///   - viewer: builds the local views.
    static func localThread(
        _ uri: String, local: LocalRecords, parentHeight: String?, viewer: LocalViewer
    ) async throws -> JSONValue? {
        guard let found = local.posts.first(where: { $0.uri.rawValue == uri }),
            var thread = try await threadPostView(found, viewer: viewer)
        else { return nil }
        thread = try await addPosts(local.posts.filter { $0.uri.rawValue != uri }, to: thread, viewer: viewer)
        if let parent = found.value["reply"]?["parent"]?["uri"]?.string, let appView = viewer.appView {
            var parameters = [("uri", parent), ("depth", "0")]
            if let parentHeight { parameters.append(("parentHeight", parentHeight)) }
            // As the reference: without the parents, the post is still shown.
            if let parents = try? await appView("app.bsky.feed.getPostThread", parameters), let view = parents["thread"]
            {
                thread = thread.setting("parent", view)
            }
        }
        return .object(["thread": thread])
    }
}

extension ReadAfterWrite {
    /// `app.bsky.feed.getPostThread` for `caller`: the munged thread, or, when the AppView answers `NotFound` for a
    /// post of the caller written after its revision, the thread made locally
    /// (``localThread(_:local:parentHeight:viewer:)``).
    /// - Parameters:
    ///   - request: the client's request, its caller authenticated.
    ///   - caller: the caller.
    ///   - logger: where a failed munge is logged.
    /// - Throws: the AppView's error when there is no local post to show instead, and the proxy's errors.
    package func postThread(_ request: Request, caller: DID, logger: Logger) async throws -> Response {
        let lxm = "app.bsky.feed.getPostThread"
        do {
            return try await respond(request, caller: caller, lxm: lxm, munge: Self.getPostThread, logger: logger)
        } catch let error as UpstreamError where error.error == "NotFound" {
            guard let rev = error.headers[Self.repoRevHeader],
                let requested = request.uri.queryParameters.get("uri").flatMap({ try? ATURI($0) }),
                let uri = try await resolved(requested), uri.authority.did == caller
            else { throw error }
            let (local, profile) = try await actorStore.read(caller) {
                (try $0.record.recordsSinceRev(rev), try $0.record.profileRecord())
            }
            let viewer = try await viewer(for: caller, profile: profile)
            guard
                let thread = try await Self.localThread(
                    uri.rawValue, local: local, parentHeight: request.uri.queryParameters.get("parentHeight"),
                    viewer: viewer)
            else { throw error }
            return Self.mungedResponse(thread, lag: Self.lag(local, now: now()))
        }
    }

    /// `uri` as a record URI (`at://<did>/<collection>/<rkey>`), the handle of an active account here replaced by
    /// its DID; `nil` for a URI that names no record.
    func resolved(_ uri: ATURI) async throws -> ATURI? {
        guard let collection = uri.collection, let rkey = uri.recordKey else { return nil }
        var authority = uri.authority
        if let handle = authority.handle, let account = try await serviceDB.account(handle: handle),
            account.status == .active
        {
            authority = .did(account.did)
        }
        return ATURI(authority: authority, collection: collection, rkey: rkey)
    }
}
