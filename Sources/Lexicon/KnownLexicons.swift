/// The lexicons compiled into the binary: the record types the server validates, the `com.atproto` XRPC methods
/// (their parameters and input encodings are enforced for the methods served), and everything they reference.
///
/// The documents are embedded by `scripts/generate-known-lexicons.py`, so the shipped binary reads no lexicon
/// files at run time.
package enum KnownLexicons {
    /// The catalog of embedded documents, parsed on first use.
    package static let catalog: LexiconCatalog = {
        var catalog = LexiconCatalog()
        for (nsid, json) in documentsJSON {
            do {
                catalog.add(try LexiconDocument(json: Array(json.utf8)))
            } catch {
                preconditionFailure("embedded lexicon \(nsid) does not parse: \(error)")
            }
        }
        return catalog
    }()

    /// A validator over the embedded catalog.
    package static let validator = LexiconValidator(catalog: catalog)
}
