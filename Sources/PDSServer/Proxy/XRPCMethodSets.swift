/// The reference's lists of XRPC methods that proxying and service auth treat specially (`pipethrough.ts`).
/// Membership is case-insensitive, as the reference's `LxmSet`.
package enum XRPCMethodSets {
    /// Account-management methods that must be called on the PDS itself: never proxied, never service-authed
    /// (`PROTECTED_METHODS`).
    static let protected: Set<String> = lowercased([
        "com.atproto.admin.sendEmail", "com.atproto.identity.requestPlcOperationSignature",
        "com.atproto.identity.signPlcOperation", "com.atproto.identity.updateHandle",
        "com.atproto.server.activateAccount", "com.atproto.server.confirmEmail",
        "com.atproto.server.createAppPassword", "com.atproto.server.deactivateAccount",
        "com.atproto.server.getAccountInviteCodes", "com.atproto.server.getSession",
        "com.atproto.server.listAppPasswords", "com.atproto.server.requestAccountDelete",
        "com.atproto.server.requestEmailConfirmation", "com.atproto.server.requestEmailUpdate",
        "com.atproto.server.revokeAppPassword", "com.atproto.server.updateEmail",
    ])

    /// Methods that need the main password or a privileged app password (`PRIVILEGED_METHODS`: the chat methods and
    /// createAccount).
    static let privileged: Set<String> = lowercased([
        "chat.bsky.actor.deleteAccount", "chat.bsky.actor.exportAccountData", "chat.bsky.convo.deleteMessageForSelf",
        "chat.bsky.convo.getConvo", "chat.bsky.convo.getConvoForMembers", "chat.bsky.convo.getLog",
        "chat.bsky.convo.getMessages", "chat.bsky.convo.leaveConvo", "chat.bsky.convo.listConvos",
        "chat.bsky.convo.muteConvo", "chat.bsky.convo.sendMessage", "chat.bsky.convo.sendMessageBatch",
        "chat.bsky.convo.unmuteConvo", "chat.bsky.convo.updateRead", "com.atproto.server.createAccount",
    ])

    /// The `tools.ozone.*` methods proxied to the mod service by default (the reference's `defaultService`).
    static let modService: Set<String> = [
        "tools.ozone.communication.createTemplate", "tools.ozone.communication.deleteTemplate",
        "tools.ozone.communication.listTemplates", "tools.ozone.communication.updateTemplate",
        "tools.ozone.moderation.cancelScheduledActions", "tools.ozone.moderation.emitEvent",
        "tools.ozone.moderation.getAccountTimeline", "tools.ozone.moderation.getEvent",
        "tools.ozone.moderation.getRecord", "tools.ozone.moderation.getRepo",
        "tools.ozone.moderation.listScheduledActions", "tools.ozone.moderation.queryEvents",
        "tools.ozone.moderation.queryStatuses", "tools.ozone.moderation.scheduleAction",
        "tools.ozone.moderation.searchRepos", "tools.ozone.safelink.addRule", "tools.ozone.safelink.queryEvents",
        "tools.ozone.safelink.queryRules", "tools.ozone.safelink.removeRule", "tools.ozone.safelink.updateRule",
        "tools.ozone.team.addMember", "tools.ozone.team.deleteMember", "tools.ozone.team.listMembers",
        "tools.ozone.team.updateMember", "tools.ozone.verification.grantVerifications",
        "tools.ozone.verification.listVerifications", "tools.ozone.verification.revokeVerifications",
    ]

    /// The `com.atproto.*` methods the reference PDS serves itself (`src/api/com/atproto/*`). Those this server does
    /// not serve yet answer `MethodNotImplemented` instead of being proxied: an AppView cannot serve them.
    static let servedByReference: Set<String> = [
        "com.atproto.admin.deleteAccount", "com.atproto.admin.disableAccountInvites",
        "com.atproto.admin.disableInviteCodes", "com.atproto.admin.enableAccountInvites",
        "com.atproto.admin.getAccountInfo", "com.atproto.admin.getAccountInfos", "com.atproto.admin.getInviteCodes",
        "com.atproto.admin.getSubjectStatus", "com.atproto.admin.sendEmail", "com.atproto.admin.updateAccountEmail",
        "com.atproto.admin.updateAccountHandle", "com.atproto.admin.updateAccountPassword",
        "com.atproto.admin.updateSubjectStatus", "com.atproto.identity.getRecommendedDidCredentials",
        "com.atproto.identity.requestPlcOperationSignature", "com.atproto.identity.resolveHandle",
        "com.atproto.identity.signPlcOperation", "com.atproto.identity.submitPlcOperation",
        "com.atproto.identity.updateHandle", "com.atproto.repo.applyWrites", "com.atproto.repo.createRecord",
        "com.atproto.repo.deleteRecord", "com.atproto.repo.describeRepo", "com.atproto.repo.getRecord",
        "com.atproto.repo.importRepo", "com.atproto.repo.listMissingBlobs", "com.atproto.repo.listRecords",
        "com.atproto.repo.putRecord", "com.atproto.repo.uploadBlob", "com.atproto.server.activateAccount",
        "com.atproto.server.checkAccountStatus", "com.atproto.server.confirmEmail",
        "com.atproto.server.createAccount", "com.atproto.server.createAppPassword",
        "com.atproto.server.createInviteCode", "com.atproto.server.createInviteCodes",
        "com.atproto.server.createSession", "com.atproto.server.deactivateAccount",
        "com.atproto.server.deleteAccount", "com.atproto.server.deleteSession", "com.atproto.server.describeServer",
        "com.atproto.server.getAccountInviteCodes", "com.atproto.server.getServiceAuth",
        "com.atproto.server.getSession", "com.atproto.server.listAppPasswords", "com.atproto.server.refreshSession",
        "com.atproto.server.requestAccountDelete", "com.atproto.server.requestEmailConfirmation",
        "com.atproto.server.requestEmailUpdate", "com.atproto.server.requestPasswordReset",
        "com.atproto.server.reserveSigningKey", "com.atproto.server.resetPassword",
        "com.atproto.server.revokeAppPassword", "com.atproto.server.updateEmail", "com.atproto.sync.getBlob",
        "com.atproto.sync.getBlocks", "com.atproto.sync.getCheckout", "com.atproto.sync.getHead",
        "com.atproto.sync.getLatestCommit", "com.atproto.sync.getRecord", "com.atproto.sync.getRepo",
        "com.atproto.sync.getRepoStatus", "com.atproto.sync.listBlobs", "com.atproto.sync.listRepos",
        "com.atproto.sync.subscribeRepos", "com.atproto.temp.checkSignupQueue",
    ]

    /// Whether `lxm` is one of the ``protected`` methods.
    package static func isProtected(_ lxm: String) -> Bool { protected.contains(lxm.lowercased()) }

    /// Whether `lxm` is one of the ``privileged`` methods.
    package static func isPrivileged(_ lxm: String) -> Bool { privileged.contains(lxm.lowercased()) }

    /// Whether a request for `lxm` that no handler claimed is proxied: anything but the methods the reference serves
    /// itself.
    package static func isProxied(_ lxm: String) -> Bool { !servedByReference.contains(lxm) }

    private static func lowercased(_ methods: [String]) -> Set<String> { Set(methods.map { $0.lowercased() }) }
}
