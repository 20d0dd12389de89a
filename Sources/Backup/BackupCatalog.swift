import Foundation

/// One stored version of a logical file: the object `v1/<file>/<generation>-<size>.v`.
package struct BackupVersion: Sendable, Hashable, Codable {
    /// The logical file (``BackupFile``).
    package var file: String
    /// When its copy was taken, in milliseconds since 1970.
    package var generation: Int64
    /// The object's size in bytes (sealed).
    package var size: Int

    /// The prefix of every object name of this format.
    package static let root = "v1/"
    /// The key check object: a sealed empty payload that tells a wrong key before anything is read or written.
    package static let keyCheck = "v1/keycheck"

    /// The object name.
    package var objectName: String {
        let padded = String(generation).leftPadded(to: 15)
        return "\(Self.root)\(file)/\(padded)-\(size).v"
    }

    /// A version.
    package init(file: String, generation: Int64, size: Int) {
        self.file = file
        self.generation = generation
        self.size = size
    }

    /// Parses an object name; `nil` for names of other objects.
    package init?(objectName name: String) {
        guard name.hasPrefix(Self.root), name.hasSuffix(".v"), let slash = name.lastIndex(of: "/") else { return nil }
        let file = name[name.index(name.startIndex, offsetBy: Self.root.count)..<slash]
        let stem = name[name.index(after: slash)..<name.index(name.endIndex, offsetBy: -2)]
        let parts = stem.split(separator: "-")
        guard !file.isEmpty, parts.count == 2, let generation = Int64(parts[0]), let size = Int(parts[1]) else {
            return nil
        }
        self.init(file: String(file), generation: generation, size: size)
    }
}

/// Every version a target holds, by logical file, oldest first.
package struct BackupCatalog: Sendable {
    /// The versions of each file, oldest first.
    package private(set) var versions: [String: [BackupVersion]] = [:]

    /// An empty catalog.
    package init() {}

    /// The catalog of the object names listed from a target (other names are ignored).
    package init(objectNames: [String]) {
        for name in objectNames {
            if let version = BackupVersion(objectName: name) { versions[version.file, default: []].append(version) }
        }
        for file in versions.keys { versions[file]?.sort { $0.generation < $1.generation } }
    }

    /// Records a version just shipped.
    package mutating func add(_ version: BackupVersion) {
        var list = versions[version.file] ?? []
        list.append(version)
        if list.count > 1, list[list.count - 2].generation > version.generation {
            list.sort { $0.generation < $1.generation }
        }
        versions[version.file] = list
    }

    /// Forgets versions (pruned).
    package mutating func remove(_ removed: Set<BackupVersion>) {
        for file in Set(removed.map(\.file)) {
            versions[file]?.removeAll { removed.contains($0) }
            if versions[file]?.isEmpty == true { versions[file] = nil }
        }
    }

    /// The newest version of `file`.
    package func newest(_ file: String) -> BackupVersion? { versions[file]?.last }

    /// The newest version of `file` taken at or before `time` (milliseconds), for a point-in-time restore.
    package func version(of file: String, at time: Int64) -> BackupVersion? {
        versions[file]?.last { $0.generation <= time }
    }

    /// The versions a retention cutoff removes: every version older than `cutoff` except, per file, the newest of
    /// those (so a restore at any time within retention still finds the file's state then).
    package func expired(before cutoff: Int64) -> [BackupVersion] {
        var expired: [BackupVersion] = []
        for list in versions.values {
            let old = list.filter { $0.generation < cutoff }
            expired += old.dropLast()
        }
        return expired
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
