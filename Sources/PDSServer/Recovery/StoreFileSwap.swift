import ATCore
import ActorStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces an offline actor's `store.sqlite` and `key` with restored ones (blocking; ``LiveAccountRestore`` runs it
/// on the offload pool while the actor is offline).
///
/// The live files (`store.sqlite`, its `-wal` and `-shm`, `key`) are first moved into `previous` (the WAL files before
/// the database, so nothing can pair the database with a foreign WAL), then the restored store and key are moved in.
/// A move is a `rename` when both sides are on one file system, else a copy (written beside the destination, synced,
/// renamed over it) and an unlink. If any step fails, what was moved in is removed and the previous files are moved
/// back, and ``LiveAccountRestore/Failure/swapFailed(did:cause:)`` is thrown.
struct StoreFileSwap {
    /// The actor.
    let did: DID
    /// Its live location.
    let live: ActorLocation
    /// Where the replaced files go.
    let previous: URL

    /// The live files, in the order they are moved aside.
    private var liveFiles: [URL] {
        [
            URL(fileURLWithPath: live.database.path + "-wal"), URL(fileURLWithPath: live.database.path + "-shm"),
            live.database, live.key,
        ]
    }

    /// Moves the live files aside and the restored `store.sqlite` and `key` of `restored` in.
    func replace(with restored: ActorLocation) throws {
        let manager = FileManager.default
        var movedAside: [(from: URL, to: URL)] = []
        var movedIn: [URL] = []
        do {
            try manager.createDirectory(at: previous, withIntermediateDirectories: true)
            try manager.createDirectory(at: live.directory, withIntermediateDirectories: true)
            for file in liveFiles where manager.fileExists(atPath: file.path) {
                let aside = previous.appendingPathComponent(file.lastPathComponent)
                try Self.move(file, to: aside)
                movedAside.append((file, aside))
            }
            for (source, destination) in [(restored.database, live.database), (restored.key, live.key)] {
                try Self.move(source, to: destination)
                movedIn.append(destination)
            }
            Self.syncDirectory(live.directory)
        } catch {
            for file in movedIn { unlink(file.path) }
            for (original, aside) in movedAside.reversed() { try? Self.move(aside, to: original) }
            throw LiveAccountRestore.Failure.swapFailed(did: did, cause: "\(error)")
        }
    }

    /// The error of a failed system call.
    struct SystemError: Error, CustomStringConvertible {
        let call: String
        let path: String
        let code: Int32
        var description: String { "\(call) \(path): \(String(cString: strerror(code)))" }
    }

    /// Moves `source` to `destination` (replacing it): a rename, or across file systems a synced copy and an unlink.
    static func move(_ source: URL, to destination: URL) throws {
        if rename(source.path, destination.path) == 0 { return }
        guard errno == EXDEV else { throw SystemError(call: "rename", path: source.path, code: errno) }
        let temporary = destination.deletingLastPathComponent().appendingPathComponent(
            ".\(destination.lastPathComponent).restore-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(at: source, to: temporary)
        let fd = open(temporary.path, O_RDONLY | O_CLOEXEC)
        let synced = fd >= 0 && fsync(fd) == 0
        if fd >= 0 { close(fd) }
        guard synced, rename(temporary.path, destination.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw SystemError(call: "copy", path: destination.path, code: code)
        }
        unlink(source.path)
    }

    /// Makes the directory's entries durable (best effort).
    static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
