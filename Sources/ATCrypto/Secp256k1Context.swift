import CSecp256k1

/// The process-wide libsecp256k1 context.
///
/// libsecp256k1 documents that a context may be used from many threads at once, except by the calls that
/// take it as a non-const pointer (`secp256k1_context_randomize`, `secp256k1_context_destroy`). Those
/// run exactly once, inside the lazy initialiser of `shared` (Swift runs it under `swift_once`), before
/// any other thread can see the pointer; it is never destroyed. Every later call only reads the context.
enum Secp256k1Context {
    /// The shared, randomised context, valid for signing, verification and key parsing.
    // The pointer is not `Sendable`, but the context it points to is only read after initialisation
    // (see above), which libsecp256k1 guarantees is thread-safe.
    nonisolated(unsafe) static let shared: OpaquePointer = {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        var seed = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in seed.indices { seed[i] = rng.next() }
        // Randomisation is side-channel hardening only; a failure here leaves a fully usable context.
        _ = secp256k1_context_randomize(context, seed)
        return context
    }()
}
