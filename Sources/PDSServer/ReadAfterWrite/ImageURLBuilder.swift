import Foundation

/// Builds the image URLs of views made locally (the reference's `ImageUrlBuilder`): the AppView's CDN URL when
/// `PDS_BSKY_APP_VIEW_CDN_URL_PATTERN` is set, else this server's `com.atproto.sync.getBlob` URL. No image is
/// processed here.
package struct ImageURLBuilder: Sendable, Equatable {
    /// The CDN pattern, a `util.format` string given the preset, the DID and the CID in turn (for example
    /// `https://cdn.bsky.app/img/%s/plain/%s/%s@jpeg`).
    package var cdnURLPattern: String?
    /// This server's public URL (`https://<PDS_HOSTNAME>`), for the `getBlob` fallback.
    package var publicURL: String

    /// Creates a builder.
    /// - Parameters:
    ///   - cdnURLPattern: `PDS_BSKY_APP_VIEW_CDN_URL_PATTERN`.
    ///   - publicURL: this server's public URL.
    package init(cdnURLPattern: String?, publicURL: String) {
        self.cdnURLPattern = cdnURLPattern
        self.publicURL = publicURL
    }

    /// The URL of a blob shown with `preset` (`avatar`, `banner`, `feed_thumbnail`, `feed_fullsize`).
    /// - Parameters:
    ///   - preset: the CDN preset.
    ///   - did: the blob's owner.
    ///   - cid: the blob's CID.
    package func build(_ preset: String, did: String, cid: String) -> String {
        guard let cdnURLPattern else {
            return "\(publicURL)/xrpc/com.atproto.sync.getBlob?did=\(did)&cid=\(cid)"
        }
        return Self.format(cdnURLPattern, [preset, did, cid])
    }

    /// Node's `util.format` for `%s` arguments: each `%s` takes the next argument (left as it is once they run out),
    /// `%%` is a `%`, and arguments left over are appended, separated by spaces.
    static func format(_ pattern: String, _ arguments: [String]) -> String {
        var out = ""
        var remaining = arguments[...]
        var index = pattern.startIndex
        while index < pattern.endIndex {
            let character = pattern[index]
            let next = pattern.index(after: index)
            if character == "%", next < pattern.endIndex {
                if pattern[next] == "s", let argument = remaining.popFirst() {
                    out += argument
                    index = pattern.index(after: next)
                    continue
                }
                if pattern[next] == "%" {
                    out += "%"
                    index = pattern.index(after: next)
                    continue
                }
            }
            out.append(character)
            index = next
        }
        for argument in remaining { out += " " + argument }
        return out
    }
}
