import Crypto

/// SHA-256 as plain bytes, the hash behind CIDs, DID derivation and signatures.
package func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
    if let contiguous = bytes.withContiguousStorageIfAvailable({ SHA256.hash(data: UnsafeRawBufferPointer($0)) }) {
        return Array(contiguous)
    }
    return Array(SHA256.hash(data: Array(bytes)))
}
