import Testing

@testable import PDSServer

@Suite struct OAuthScopeTests {
    @Test func parsesGranularPermissions() {
        #expect(
            OAuthPermission("repo:app.bsky.feed.post?action=create&action=delete")
                == .repo(collections: ["app.bsky.feed.post"], actions: [.create, .delete]))
        #expect(
            OAuthPermission("repo:app.bsky.feed.like")
                == .repo(collections: ["app.bsky.feed.like"], actions: Set(OAuthPermission.RepoAction.allCases)))
        #expect(
            OAuthPermission("repo?collection=app.bsky.feed.post&collection=app.bsky.feed.like")
                == .repo(
                    collections: ["app.bsky.feed.post", "app.bsky.feed.like"],
                    actions: Set(OAuthPermission.RepoAction.allCases)))
        #expect(
            OAuthPermission("repo:*") == .repo(collections: ["*"], actions: Set(OAuthPermission.RepoAction.allCases)))
        #expect(
            OAuthPermission("rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview")
                == .rpc(lxms: ["app.bsky.feed.getTimeline"], aud: "did:web:api.bsky.app#bsky_appview"))
        #expect(OAuthPermission("blob:image/*") == .blob(accept: ["image/*"]))
        #expect(OAuthPermission("blob?accept=image/png&accept=video/*") == .blob(accept: ["image/png", "video/*"]))
        #expect(OAuthPermission("account:email") == .account(.email, .read))
        #expect(OAuthPermission("account:repo?action=manage") == .account(.repo, .manage))
        #expect(OAuthPermission("identity:handle") == .identity("handle"))
        #expect(OAuthPermission("identity:*") == .identity("*"))
    }

    @Test func refusesMalformedPermissions() {
        for token in [
            "repo:notannsid", "repo:app.bsky.feed.post?action=publish", "rpc:app.bsky.feed.getTimeline",
            "rpc:*?aud=*", "rpc:app.bsky.x.y?aud=notadid", "blob:image", "blob:*/png", "account:phone",
            "account:email?action=delete", "identity:did", "atproto", "transition:generic", "unknown:thing",
            "repo:app.bsky.feed.post?collection=app.bsky.feed.like",
        ] {
            #expect(OAuthPermission(token) == nil, "\(token)")
        }
    }

    @Test func repoMatching() {
        let permissions = OAuthPermissions(scope: "atproto repo:app.bsky.feed.post?action=create")
        #expect(permissions.hasAtproto)
        #expect(permissions.allowsRepo(collection: "app.bsky.feed.post", action: .create))
        #expect(!permissions.allowsRepo(collection: "app.bsky.feed.post", action: .update))
        #expect(!permissions.allowsRepo(collection: "app.bsky.feed.like", action: .create))
        #expect(
            OAuthPermissions(scope: "atproto repo:*?action=delete").allowsRepo(collection: "a.b.c", action: .delete))
        #expect(!OAuthPermissions(scope: "repo:*").hasAtproto)
    }

    @Test func transitionScopes() {
        let generic = OAuthPermissions(scope: "atproto transition:generic")
        #expect(generic.allowsRepo(collection: "app.bsky.feed.post", action: .delete))
        #expect(generic.allowsBlob(mime: "video/mp4"))
        #expect(generic.allowsRPC(lxm: "app.bsky.feed.getTimeline", aud: "did:web:api.bsky.app#bsky_appview"))
        #expect(!generic.allowsRPC(lxm: "chat.bsky.convo.listConvos", aud: "did:web:api.bsky.chat#bsky_chat"))
        #expect(!generic.allowsAccount(.email, .read))
        #expect(!generic.allowsIdentity("handle"))
        let chat = OAuthPermissions(scope: "atproto transition:chat.bsky")
        #expect(chat.allowsRPC(lxm: "chat.bsky.convo.listConvos", aud: "did:web:api.bsky.chat#bsky_chat"))
        #expect(!chat.allowsRPC(lxm: "app.bsky.feed.getTimeline", aud: "did:web:api.bsky.app#bsky_appview"))
        #expect(OAuthPermissions(scope: "atproto transition:email").allowsAccount(.email, .read))
        #expect(!OAuthPermissions(scope: "atproto transition:email").allowsAccount(.email, .manage))
    }

    @Test func rpcBlobAccountIdentityMatching() {
        let permissions = OAuthPermissions(
            scope: "atproto rpc:app.bsky.feed.getTimeline?aud=did:web:api.bsky.app%23bsky_appview "
                + "rpc:*?aud=did:web:chat.example%23bsky_chat blob:image/* account:email?action=manage identity:handle")
        #expect(permissions.allowsRPC(lxm: "app.bsky.feed.getTimeline", aud: "did:web:api.bsky.app#bsky_appview"))
        #expect(!permissions.allowsRPC(lxm: "app.bsky.feed.getTimeline", aud: "did:web:evil.example#bsky_appview"))
        #expect(!permissions.allowsRPC(lxm: "app.bsky.feed.getAuthorFeed", aud: "did:web:api.bsky.app#bsky_appview"))
        #expect(permissions.allowsRPC(lxm: "chat.bsky.convo.getLog", aud: "did:web:chat.example#bsky_chat"))
        #expect(permissions.allowsBlob(mime: "image/png"))
        #expect(permissions.allowsBlob(mime: "IMAGE/JPEG; charset=binary"))
        #expect(!permissions.allowsBlob(mime: "video/mp4"))
        #expect(permissions.allowsAccount(.email, .read))
        #expect(permissions.allowsAccount(.email, .manage))
        #expect(!permissions.allowsAccount(.repo, .manage))
        #expect(permissions.allowsIdentity("handle"))
        #expect(!permissions.allowsIdentity("*"))
        #expect(OAuthPermissions(scope: "atproto identity:*").allowsIdentity("handle"))
    }

    @Test func plainWords() {
        let lines = OAuthPermissionText.describe(scope: "atproto repo:app.bsky.feed.post?action=create blob:image/*")
        #expect(
            lines == [
                "Know which account you are (your DID and handle)", "Create your records of type app.bsky.feed.post",
                "Upload files (image/*)",
            ])
    }
}
