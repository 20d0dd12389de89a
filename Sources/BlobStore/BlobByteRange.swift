/// A byte range of a blob, as in an HTTP `Range: bytes=…` header (a single range).
package enum BlobByteRange: Hashable, Sendable {
    /// `bytes=first-last` (inclusive) or, with `last == nil`, `bytes=first-`.
    case from(Int, through: Int?)
    /// `bytes=-length`: the last `length` bytes.
    case suffix(Int)

    /// Parses the value of an HTTP `Range` header; `nil` if it is not a single, well-formed byte range (callers then
    /// serve the whole blob, as RFC 9110 allows).
    /// - Parameters:
    ///   - header: for example `bytes=0-1023`.
    package init?(header: String) {
        guard header.hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst(6).trimmingSpaces
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingSpaces
        let last = spec[spec.index(after: dash)...].trimmingSpaces
        if first.isEmpty {
            guard let length = Int(last), length > 0 else { return nil }
            self = .suffix(length)
        } else {
            guard let start = Int(first), start >= 0 else { return nil }
            if last.isEmpty {
                self = .from(start, through: nil)
            } else {
                guard let end = Int(last), end >= start else { return nil }
                self = .from(start, through: end)
            }
        }
    }

    /// The header value, `bytes=…`.
    package var headerValue: String {
        switch self {
        case .from(let first, let last): "bytes=\(first)-\(last.map(String.init) ?? "")"
        case .suffix(let length): "bytes=-\(length)"
        }
    }

    /// The inclusive offsets this range selects in a blob of `size` bytes.
    /// - Parameters:
    ///   - size: the blob's size.
    /// - Throws: ``BlobStoreError/rangeNotSatisfiable(size:)`` if it selects nothing.
    package func resolve(size: Int) throws(BlobStoreError) -> ClosedRange<Int> {
        switch self {
        case .from(let first, let last):
            guard first < size else { throw .rangeNotSatisfiable(size: size) }
            return first...min(last ?? (size - 1), size - 1)
        case .suffix(let length):
            guard size > 0 else { throw .rangeNotSatisfiable(size: size) }
            return max(0, size - length)...(size - 1)
        }
    }
}

/// A blob (or a range of it) being read.
package struct BlobContent: Sendable {
    /// The size of the whole blob.
    package let size: Int
    /// The bytes `body` yields, or `nil` when it is the whole blob (HTTP 200 rather than 206).
    package let range: ClosedRange<Int>?
    /// The bytes.
    package let body: BlobByteStream

    /// The number of bytes `body` yields (`Content-Length`).
    package var contentLength: Int { range?.count ?? size }

    /// A content description.
    /// - Parameters:
    ///   - size: the whole blob's size.
    ///   - range: the selected bytes, `nil` for all.
    ///   - body: the bytes.
    package init(size: Int, range: ClosedRange<Int>?, body: BlobByteStream) {
        self.size = size
        self.range = range
        self.body = body
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
