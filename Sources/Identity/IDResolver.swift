import ATCore

/// DID and handle resolution together, with the bidirectional check atproto requires: a handle is valid for a DID
/// only when the handle resolves to the DID *and* the DID's document lists the handle.
package struct IDResolver: Sendable {
    /// DID → document.
    package let did: DIDResolver
    /// Handle → DID.
    package let handle: HandleResolver

    /// Creates a resolver pair.
    /// - Parameters:
    ///   - did: the DID resolver.
    ///   - handle: the handle resolver.
    package init(did: DIDResolver, handle: HandleResolver) {
        self.did = did
        self.handle = handle
    }

    /// The handle of `did`, if its document claims one and that handle resolves back to `did`.
    /// - Parameters:
    ///   - did: the DID.
    ///   - forceRefresh: skip the DID cache.
    package func verifiedHandle(for did: DID, forceRefresh: Bool = false) async throws -> Handle? {
        guard let claimed = try await self.did.resolve(did, forceRefresh: forceRefresh)?.handle else { return nil }
        return await handle.resolve(claimed) == did ? claimed : nil
    }

    /// Whether `handle` resolves to `did` and `did`'s document lists `handle`.
    /// - Parameters:
    ///   - handle: the handle.
    ///   - did: the DID it should belong to.
    ///   - forceRefresh: skip the DID cache.
    package func verifyHandle(_ handle: Handle, resolvesTo did: DID, forceRefresh: Bool = false) async throws -> Bool {
        guard await self.handle.resolve(handle) == did else { return false }
        guard let document = try await self.did.resolve(did, forceRefresh: forceRefresh) else { return false }
        return document.handle == handle
    }

    /// The DID a handle resolves to, verified against the DID document.
    /// - Parameters:
    ///   - handle: the handle.
    /// - Returns: the DID, or `nil` when resolution fails or the document does not list the handle.
    package func resolveVerified(_ handle: Handle) async throws -> DID? {
        guard let did = await self.handle.resolve(handle) else { return nil }
        guard let document = try await self.did.resolve(did) else { return nil }
        return document.handle == handle ? did : nil
    }
}
