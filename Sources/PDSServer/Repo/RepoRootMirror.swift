import ATCore
import Logging
import ServiceDB
import Synchronization

/// The repo-root mirror in `account.sqlite` (`repo_root`), updated after every write without becoming a global
/// serialization point.
///
/// Updates that arrive while a flush is running are merged (the newest root per account wins) and written together
/// in the next transaction, by one of the waiting callers: each caller waits for at most the flush in progress and
/// its own, and any number of concurrent writes cost one `account.sqlite` transaction per round. The mirror is
/// advisory (`listRepos` reads it; the actor store is the truth), so a failed flush is logged and the start-up
/// reconcile repairs it.
final class RepoRootMirror: Sendable {
    private enum Role { case done, lead }

    private struct State {
        var dirty: [DID: (cid: CID, rev: TID)] = [:]
        var waiting: [CheckedContinuation<Role, Never>] = []
        var flushing = false
    }

    private let serviceDB: ServiceDB
    private let logger: Logger
    private let state = Mutex(State())

    /// A mirror writing to `serviceDB`.
    init(serviceDB: ServiceDB, logger: Logger) {
        self.serviceDB = serviceDB
        self.logger = logger
    }

    /// Records `did`'s new root and returns once a flush that includes it has finished.
    /// - Parameters:
    ///   - did: the account.
    ///   - cid: its new root commit.
    ///   - rev: that commit's rev.
    func update(did: DID, cid: CID, rev: TID) async {
        let role = await withCheckedContinuation { (continuation: CheckedContinuation<Role, Never>) in
            let lead = state.withLock { state -> Bool in
                if let current = state.dirty[did], current.rev > rev {
                    // A newer root of the account is already waiting (writes are mirrored in any order).
                } else {
                    state.dirty[did] = (cid, rev)
                }
                if state.flushing {
                    state.waiting.append(continuation)
                    return false
                }
                state.flushing = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        if role == .lead { await flush() }
    }

    /// Writes everything dirty (including the leader's own update), wakes its waiters, and hands the lead to a
    /// waiter whose update came in meanwhile.
    private func flush() async {
        let (roots, flushed) = state.withLock { state in
            defer {
                state.dirty = [:]
                state.waiting = []
            }
            return (state.dirty.map { (did: $0.key, cid: $0.value.cid, rev: $0.value.rev) }, state.waiting)
        }
        do {
            try await serviceDB.updateRepoRoots(roots)
        } catch {
            logger.warning(
                "Updating the repo root mirror failed", metadata: ["repo.roots": "\(roots.count)", "error": "\(error)"])
        }
        for continuation in flushed { continuation.resume(returning: .done) }
        let next = state.withLock { state -> CheckedContinuation<Role, Never>? in
            guard !state.waiting.isEmpty else {
                state.flushing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: .lead)
    }
}
