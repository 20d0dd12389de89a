import Foundation

/// One stored object of a logical file.
///
/// A *generation* starts with a whole copy of the file (index 0, the object `v1/<file>/<generation>-<size>.v`); a
/// database's generation continues with WAL segments (``WALSegment``), index 1, 2, … in shipping order, each the
/// object `v1/<file>/<generation>-<index>-<time>-<size>.v`. A file that is not a database (a key, a blob, the
/// high-water mark) has generations of one object each.
package struct BackupVersion: Sendable, Hashable, Codable {
    /// The logical file (``BackupFile``).
    package var file: String
    /// When the generation's copy was taken, in milliseconds since 1970.
    package var generation: Int64
    /// The object's place in its generation: 0 for the copy, then the segments.
    package var index: Int
    /// When the object's content was read, in milliseconds since 1970 (the generation for the copy): it holds the
    /// transactions committed before then.
    package var time: Int64
    /// The object's size in bytes (sealed).
    package var size: Int

    /// The prefix of every object name of this format.
    package static let root = "v1/"
    /// The key check object: a sealed empty payload that tells a wrong key before anything is read or written.
    package static let keyCheck = "v1/keycheck"

    /// The object name.
    package var objectName: String {
        let padded = String(generation).leftPadded(to: 15)
        guard index > 0 else { return "\(Self.root)\(file)/\(padded)-\(size).v" }
        return "\(Self.root)\(file)/\(padded)-\(String(index).leftPadded(to: 9))-\(String(time).leftPadded(to: 15))-\(size).v"
    }

    /// A generation's copy.
    package init(file: String, generation: Int64, size: Int) {
        self.init(file: file, generation: generation, index: 0, time: generation, size: size)
    }

    /// An object of a generation.
    package init(file: String, generation: Int64, index: Int, time: Int64, size: Int) {
        self.file = file
        self.generation = generation
        self.index = index
        self.time = time
        self.size = size
    }

    /// Parses an object name; `nil` for names of other objects.
    package init?(objectName name: String) {
        guard name.hasPrefix(Self.root), name.hasSuffix(".v"), let slash = name.lastIndex(of: "/") else { return nil }
        let file = name[name.index(name.startIndex, offsetBy: Self.root.count)..<slash]
        let stem = name[name.index(after: slash)..<name.index(name.endIndex, offsetBy: -2)]
        let parts = stem.split(separator: "-").map { Int64($0) }
        guard !file.isEmpty, !parts.contains(nil) else { return nil }
        switch parts.count {
        case 2: self.init(file: String(file), generation: parts[0]!, size: Int(parts[1]!))
        case 4:
            guard parts[1]! > 0 else { return nil }
            self.init(file: String(file), generation: parts[0]!, index: Int(parts[1]!), time: parts[2]!, size: Int(parts[3]!))
        default: return nil
        }
    }

    /// Orders objects by generation, then index.
    static func precedes(_ a: BackupVersion, _ b: BackupVersion) -> Bool {
        (a.generation, a.index) < (b.generation, b.index)
    }
}

/// Every object a target holds, by logical file, oldest first (by generation, then index).
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
        for file in versions.keys { versions[file]?.sort(by: BackupVersion.precedes) }
    }

    /// Records a version just shipped.
    package mutating func add(_ version: BackupVersion) {
        var list = versions[version.file] ?? []
        list.append(version)
        if list.count > 1, !BackupVersion.precedes(list[list.count - 2], version) {
            list.sort(by: BackupVersion.precedes)
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

    /// The newest object of `file` read at or before `time` (milliseconds).
    package func version(of file: String, at time: Int64) -> BackupVersion? {
        versions[file]?.last { $0.time <= time }
    }

    /// The objects that rebuild `file` as it was at `time` (milliseconds): the copy of the newest generation taken at
    /// or before `time`, then its segments read at or before `time`, in order; empty when there is none.
    /// - Throws: ``BackupError/missingSegment(file:generation:index:)`` when the generation's copy or one of its
    ///   segments before the last one needed is missing.
    package func chain(of file: String, at time: Int64) throws(BackupError) -> [BackupVersion] {
        guard let list = versions[file], let generation = list.last(where: { $0.generation <= time })?.generation else {
            return []
        }
        let objects = list.filter { $0.generation == generation && $0.time <= time }
        for (expected, object) in objects.enumerated() where object.index != expected {
            throw BackupError.missingSegment(file: file, generation: generation, index: expected)
        }
        guard !objects.isEmpty else { throw BackupError.missingSegment(file: file, generation: generation, index: 0) }
        return objects
    }

    /// The objects a retention cutoff removes: whole generations superseded by a newer generation started at or
    /// before `cutoff` (so a restore at any time from `cutoff` on still finds the file's state then).
    package func expired(before cutoff: Int64) -> [BackupVersion] {
        var expired: [BackupVersion] = []
        for list in versions.values {
            guard let covering = list.last(where: { $0.generation <= cutoff })?.generation else { continue }
            expired += list.filter { $0.generation < covering }
        }
        return expired
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
