#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`).
package enum FileDescriptorLimit {
    /// The current soft limit.
    package static var current: rlim_t {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return limit.rlim_cur
    }

    /// Raises the soft limit to the hard limit, or to `target` when given (raising the hard limit too, which only
    /// succeeds for a privileged process; otherwise the hard limit is the ceiling).
    ///
    /// Call once at start-up: every open SQLite WAL connection holds several descriptors, and the default soft limit
    /// (1024 on Linux) is far below what a cache of actor stores needs.
    /// - Parameters:
    ///   - target: the limit wanted, or `nil` for "as high as the hard limit".
    /// - Returns: The soft limit in effect afterwards.
    @discardableResult
    package static func raise(to target: rlim_t? = nil) -> rlim_t {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return current }
        if let target, target > limit.rlim_max, limit.rlim_max != rlim_t.max {
            var wanted = rlimit(rlim_cur: target, rlim_max: target)
            if setrlimit(resource, &wanted) == 0 { return current }
        }
        var wanted = limit
        wanted.rlim_cur = target.map { min($0, limit.rlim_max) } ?? limit.rlim_max
        #if canImport(Darwin)
        // Darwin refuses RLIM_INFINITY and values above OPEN_MAX for the soft limit.
        if wanted.rlim_cur == rlim_t.max || wanted.rlim_cur > rlim_t(OPEN_MAX) { wanted.rlim_cur = rlim_t(OPEN_MAX) }
        #endif
        if wanted.rlim_cur > limit.rlim_cur { _ = setrlimit(resource, &wanted) }
        return current
    }

    /// The number of descriptors this process has open now (Linux: the entries of `/proc/self/fd`), or `nil` where
    /// that cannot be counted.
    package static func openCount() -> Int? {
        #if os(Linux)
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return count - 1  // the directory stream's own descriptor
        #else
        return nil
        #endif
    }

    #if os(Linux)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
