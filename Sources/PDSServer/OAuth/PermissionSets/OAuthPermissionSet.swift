import Foundation

/// A Lexicon `permission-set` (atproto.com/specs/permission): the `main` definition of a published Lexicon whose
/// permissions an `include:<nsid>` scope grants, with the title and detail the consent page shows.
package struct OAuthPermissionSet: Sendable, Equatable {
    /// A permission parameter's value, as the Lexicon JSON gives it.
    package enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
        case list([String])
    }

    /// The Lexicon's NSID.
    package var nsid: String
    package var title: String?
    /// `title:lang`: the title by language tag.
    package var localizedTitles: [String: String]
    package var detail: String?
    /// `detail:lang`: the detail by language tag.
    package var localizedDetails: [String: String]
    /// Each `permission` object's parameters: `resource` and the others; an object with a parameter of another JSON
    /// type is kept as `nil` (and grants nothing).
    package var permissions: [[String: Value]?]

    /// Why a Lexicon document is not a usable permission set.
    package struct Invalid: Error, Equatable, CustomStringConvertible {
        package var description: String
    }

    /// Reads the permission set from a Lexicon document.
    /// - Parameters:
    ///   - nsid: the NSID it was resolved for; the document's `id` must match it.
    ///   - document: the Lexicon document (JSON).
    /// - Throws: ``Invalid`` when it is not JSON, names another NSID, or its `main` is not a `permission-set`.
    package init(nsid: String, document: Data) throws(Invalid) {
        let decoded: LexiconDocument
        do {
            decoded = try JSONDecoder().decode(LexiconDocument.self, from: document)
        } catch {
            throw Invalid(description: "The Lexicon document for \(nsid) is not a Lexicon (\(error))")
        }
        guard decoded.id == nsid else { throw Invalid(description: "The Lexicon document for \(nsid) has another id") }
        guard let main = decoded.defs.main, main.type == "permission-set" else {
            throw Invalid(description: "The Lexicon \(nsid) is not a permission set")
        }
        guard let list = main.permissions else {
            throw Invalid(description: "The permission set \(nsid) has no permissions list")
        }
        self.nsid = nsid
        title = main.title
        detail = main.detail
        localizedTitles = main.localizedTitles?.values ?? [:]
        localizedDetails = main.localizedDetails?.values ?? [:]
        permissions = list.map(\.parameters)
    }

    /// The title in the first of `languages` (BCP 47 tags, best first) it has, matching a tag or its primary
    /// language; else the default title.
    package func title(languages: [String]) -> String? { Self.pick(localizedTitles, languages) ?? title }

    /// The detail in the first of `languages` it has; else the default detail.
    package func detail(languages: [String]) -> String? { Self.pick(localizedDetails, languages) ?? detail }

    static func pick(_ localized: [String: String], _ languages: [String]) -> String? {
        let byTag = Dictionary(
            localized.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        for language in languages.map({ $0.lowercased() }) {
            if let exact = byTag[language] { return exact }
            let primary = language.split(separator: "-").first.map(String.init) ?? language
            if let match = byTag[primary] ?? byTag.first(where: { $0.key.hasPrefix(primary + "-") })?.value {
                return match
            }
        }
        return nil
    }
}

/// The parts of a Lexicon document a permission set needs; other definitions are ignored.
private struct LexiconDocument: Decodable {
    struct Defs: Decodable { var main: Main? }
    struct Main: Decodable {
        var type: String
        var title: String?
        var detail: String?
        var localizedTitles: LenientStrings?
        var localizedDetails: LenientStrings?
        var permissions: [Permission]?

        enum CodingKeys: String, CodingKey {
            case type, title, detail, permissions
            case localizedTitles = "title:lang"
            case localizedDetails = "detail:lang"
        }
    }

    /// A language map; entries that are not strings are skipped.
    struct LenientStrings: Decodable {
        var values: [String: String] = [:]
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys {
                if let value = try? container.decode(String.self, forKey: key) { values[key.stringValue] = value }
            }
        }
    }

    /// One entry of `permissions`: its parameters, or `nil` when it is not a `permission` object or holds a value
    /// other than a string, a boolean or a list of strings.
    struct Permission: Decodable {
        var parameters: [String: OAuthPermissionSet.Value]?
        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: AnyKey.self),
                (try? container.decode(String.self, forKey: AnyKey("type"))) == "permission"
            else { return }
            var out: [String: OAuthPermissionSet.Value] = [:]
            for key in container.allKeys where key.stringValue != "type" {
                if let flag = try? container.decode(Bool.self, forKey: key) {
                    out[key.stringValue] = .bool(flag)
                } else if let string = try? container.decode(String.self, forKey: key) {
                    out[key.stringValue] = .string(string)
                } else if let list = try? container.decode([String].self, forKey: key) {
                    out[key.stringValue] = .list(list)
                } else {
                    return
                }
            }
            parameters = out
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    var id: String
    var defs: Defs
}
