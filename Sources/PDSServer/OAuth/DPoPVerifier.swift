import ATCore
import Crypto
import Foundation

/// Checks DPoP proofs (RFC 9449) as the reference's `DpopManager`: a compact JWS with `typ: dpop+jwt`, an `ES256`
/// or `ES256K` public `jwk` in the header, signed by that key; `htm` and `htu` naming this request; `iat` at most
/// 10 s old with the nonce lifetime as clock tolerance; a `jti` never seen before in that window; the server's
/// current `nonce`; and `ath`, the access token's hash, exactly when an access token comes with it.
package struct DPoPVerifier: Sendable {
    /// A verified proof.
    package struct Proof: Sendable, Equatable {
        /// The RFC 7638 thumbprint of the proof's key: what tokens are bound to (`cnf.jkt`).
        package var jkt: String
        package var jti: String
        package var htm: String
        package var htu: String
    }

    /// The oldest an `iat` may be, before clock tolerance.
    static let maxAge: TimeInterval = 10
    /// Clock tolerance either side (the reference's `DPOP_NONCE_MAX_AGE`, 3 minutes).
    static let clockTolerance: TimeInterval = 180
    static let window = IssuedAtWindow(maxAge: maxAge, tolerance: clockTolerance)

    let nonces: DPoPNonces
    let replay: ReplayCache

    /// - Parameters:
    ///   - nonces: the server's nonces.
    ///   - replay: where seen `jti`s are kept.
    package init(nonces: DPoPNonces, replay: ReplayCache) {
        self.nonces = nonces
        self.replay = replay
    }

    private struct Header: Decodable {
        var typ: String?
        var alg: String
        var jwk: ECPublicJWK?
    }

    private struct Claims: Decodable {
        var jti: String?
        var htm: String?
        var htu: String?
        var iat: Double?
        var nonce: String?
        var ath: String?
    }

    /// Verifies `proof` for a request.
    /// - Parameters:
    ///   - proof: the `DPoP` header's value.
    ///   - method: the request's HTTP method.
    ///   - url: the request's URL as the server is reached (its public origin and path).
    ///   - accessToken: the access token presented with the proof, if any (then `ath` must match it).
    ///   - now: the time.
    /// - Throws: ``OAuthError/invalidDPoPProof(_:)`` or ``OAuthError/useDPoPNonce(_:)``.
    package func verify(proof: String, method: String, url: String, accessToken: String?, now: Date) throws(OAuthError)
        -> Proof
    {
        guard let jws = JWSCompact<Header, Claims>(proof) else { throw .invalidDPoPProof("Malformed DPoP proof") }
        let (header, claims) = (jws.header, jws.claims)
        guard header.typ == "dpop+jwt" else { throw .invalidDPoPProof("Invalid DPoP proof \"typ\"") }
        guard let jwk = header.jwk, jwk.d == nil, let alg = jwk.algorithm, alg == header.alg else {
            throw .invalidDPoPProof("DPoP proof must carry a public ES256 or ES256K \"jwk\" matching its \"alg\"")
        }
        guard jws.isSigned(by: jwk) else {
            throw .invalidDPoPProof("DPoP proof signature is invalid")
        }
        guard let iat = claims.iat else { throw .invalidDPoPProof("DPoP \"iat\" missing") }
        guard Self.window.accepts(iat, now: now) else {
            throw .invalidDPoPProof("DPoP proof \"iat\" is outside the accepted window")
        }
        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw .invalidDPoPProof("DPoP \"jti\" missing")
        }
        guard claims.htm == method else { throw .invalidDPoPProof("DPoP \"htm\" mismatch") }
        guard let htu = claims.htu, let claimed = Self.normalizedHTU(htu) else {
            throw .invalidDPoPProof("DPoP \"htu\" is not a valid URL")
        }
        guard claimed == Self.normalizedHTU(url) else { throw .invalidDPoPProof("DPoP \"htu\" mismatch") }
        guard let nonce = claims.nonce else { throw .useDPoPNonce("DPoP \"nonce\" missing") }
        guard nonces.check(nonce) else { throw .useDPoPNonce("DPoP \"nonce\" mismatch") }
        if let accessToken {
            let hash = Base64.encodeURL(Array(SHA256.hash(data: Array(accessToken.utf8))))
            guard claims.ath == hash else { throw .invalidDPoPProof("DPoP \"ath\" mismatch") }
        } else if claims.ath != nil {
            throw .invalidDPoPProof("DPoP \"ath\" claim not allowed")
        }
        let expires = Self.window.replayExpiry(iat: iat)
        guard replay.isUnique("dpop:\(jwk.thumbprint):\(jti)", expiresAt: expires, now: now) else {
            throw .invalidDPoPProof("DPoP proof replayed")
        }
        return Proof(jkt: jwk.thumbprint, jti: jti, htm: method, htu: claimed)
    }

    /// An `htu` as RFC 9449 compares it: scheme, host and port (default ports dropped) and path, lower-cased
    /// scheme and host, no query or fragment; `nil` when `url` is not an absolute http(s) URL.
    package static func normalizedHTU(_ url: String) -> String? {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        components.query = nil
        components.fragment = nil
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(path)"
    }
}
