import ATCore
import Synchronization

/// Tells observers which actors' files changed: a write transaction committed, an actor was created or destroyed.
///
/// The continuous backup (`Backup.BackupService`) listens here so that it ships only the actors that changed, with no
/// scan of the actors directory. Observers run synchronously on the committing thread, inside the actor's critical
/// section: they must only record the DID and return.
package final class ActorChangeFeed: Sendable {
    private let observers = Mutex<[@Sendable (DID) -> Void]>([])

    /// A feed with no observers.
    package init() {}

    /// Adds an observer, called with the DID of every changed actor from now on.
    /// - Parameters:
    ///   - observer: records the DID; must not block.
    package func observe(_ observer: @escaping @Sendable (DID) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Reports that `did`'s files changed.
    func notify(_ did: DID) {
        let current = observers.withLock { $0 }
        for observer in current { observer(did) }
    }
}
