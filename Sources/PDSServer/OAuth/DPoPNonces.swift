import ATCore
import Crypto
import Foundation

/// Server-issued DPoP nonces (RFC 9449 §8): an HMAC-SHA256 of the current rotation counter under `PDS_DPOP_SECRET`
/// (a random per-process secret when unset, as the reference). A nonce is accepted during the rotation it was
/// issued in and the ones either side of it, so it stays good for two to three minutes; no state is kept.
package struct DPoPNonces: Sendable {
    /// How often the nonce changes (the reference's `DPOP_NONCE_MAX_AGE` / 3).
    package static let rotation: TimeInterval = 60

    let secret: SymmetricKey
    let now: @Sendable () -> Date

    /// - Parameters:
    ///   - secret: the HMAC key.
    ///   - now: the clock.
    package init(secret: SymmetricKey, now: @escaping @Sendable () -> Date = Date.init) {
        self.secret = secret
        self.now = now
    }

    /// The nonce to hand out now.
    package var current: String { nonce(counter: counter()) }

    /// Whether `nonce` is the previous, current or next rotation's.
    package func check(_ nonce: String) -> Bool {
        let counter = counter()
        return [counter - 1, counter, counter + 1].contains { self.nonce(counter: $0) == nonce }
    }

    private func counter() -> Int64 {
        Int64((now().timeIntervalSince1970 / Self.rotation).rounded(.down))
    }

    private func nonce(counter: Int64) -> String {
        var big = counter.bigEndian
        let bytes = withUnsafeBytes(of: &big) { Array($0) }
        return Base64.encodeURL(Array(HMAC<SHA256>.authenticationCode(for: bytes, using: secret)))
    }
}
