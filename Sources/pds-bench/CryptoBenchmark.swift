import ATCore
import ATCrypto

/// Measures signing and verification throughput for both atproto curves and prints one line per operation,
/// such as `secp256k1.sign  35000 ops/s`.
/// - Parameters:
///   - iterations: operations per measurement.
func runCryptoBenchmark(iterations: Int = 5_000) {
    let digests = (0..<iterations).map { sha256(Array("benchmark message \($0)".utf8)) }
    measureCurve(name: "secp256k1", keypair: Secp256k1Keypair(), digests: digests)
    measureCurve(name: "p256", keypair: P256Keypair(), digests: digests)
}

private func measureCurve(name: String, keypair: some Keypair, digests: [[UInt8]]) {
    var signatures: [[UInt8]] = []
    signatures.reserveCapacity(digests.count)
    let signTime = ContinuousClock().measure {
        for digest in digests {
            // Digests are 32 bytes, so signing cannot fail here.
            signatures.append((try? keypair.sign(digest: digest)) ?? [])
        }
    }
    let key = keypair.publicKey
    var valid = 0
    let verifyTime = ContinuousClock().measure {
        for (digest, signature) in zip(digests, signatures) where key.verify(signature: signature, digest: digest) {
            valid += 1
        }
    }
    precondition(valid == digests.count, "\(name): \(digests.count - valid) signatures failed to verify")
    printRate("\(name).sign", count: digests.count, duration: signTime)
    printRate("\(name).verify", count: digests.count, duration: verifyTime)
}

private func printRate(_ label: String, count: Int, duration: Duration) {
    let seconds = duration.timeInterval
    let rate = Int((Double(count) / seconds).rounded())
    let padding = String(repeating: " ", count: max(1, 18 - label.count))
    print("\(label)\(padding)\(rate) ops/s")
}
