import ATCore
import ATCrypto
import Synchronization

/// An LRU of decoded signing keys by DID, filled from each actor's `key` file on a miss.
final class ActorKeyCache: Sendable {
    private let cache: Mutex<LRUCache<DID, Secp256k1Keypair>>
    private let actorsDirectory: ActorStore.Directory

    /// A cache.
    /// - Parameters:
    ///   - capacity: the number of keys kept.
    ///   - actorsDirectory: where the actors' directories are.
    init(capacity: Int, actorsDirectory: ActorStore.Directory) {
        self.cache = Mutex(LRUCache(capacity: capacity))
        self.actorsDirectory = actorsDirectory
    }

    /// The signing key of `did` (reads the `key` file on a miss; blocking then).
    /// - Parameters:
    ///   - did: the actor.
    func keypair(for did: DID) throws -> Secp256k1Keypair {
        if let keypair = cache.withLock({ $0.value(forKey: did) }) { return keypair }
        let location = actorsDirectory.location(of: did)
        guard let bytes = try KeyFile.read(location.key) else {
            throw ActorStoreError.actorNotFound(did)
        }
        guard let keypair = try? Secp256k1Keypair(privateKey: bytes) else {
            throw ActorStoreError.invalidKeyFile(did)
        }
        cache.withLock { _ = $0.insert(keypair, forKey: did) }
        return keypair
    }

    /// Caches a key that was just written.
    /// - Parameters:
    ///   - keypair: the key.
    ///   - did: its actor.
    func insert(_ keypair: Secp256k1Keypair, for did: DID) {
        cache.withLock { _ = $0.insert(keypair, forKey: did) }
    }

    /// Forgets the key of `did`.
    /// - Parameters:
    ///   - did: the actor.
    func remove(_ did: DID) {
        cache.withLock { _ = $0.removeValue(forKey: did) }
    }

    /// The number of cached keys.
    var count: Int { cache.withLock { $0.count } }
}
