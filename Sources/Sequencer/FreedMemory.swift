import ATCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Gives memory the process freed back to the operating system (glibc's `malloc_trim`), after backfills.
///
/// A backfill allocates and frees pages of events on whichever threads its tasks run; glibc keeps freed chunks in its
/// per-thread arenas instead of unmapping them, so without this the resident size stays at its high-water mark after
/// the subscribers are gone (measured: +37 MiB kept after 8 concurrent backfills of a 60 MB sequencer, release
/// build). `malloc_trim(0)` releases the free pages of every arena. It runs on the ``BlockingPool`` (it takes each
/// arena's lock in turn), a moment after it is asked for so that the connection's own buffers are freed by then, and
/// requests that arrive meanwhile share it. Elsewhere than glibc (musl, Darwin) it does nothing.
package enum FreedMemory {
    private static let scheduled = Atomic<Bool>(false)

    /// How long a trim waits after it is asked for.
    static let delay: Duration = .seconds(1)

    /// Schedules a trim unless one is already scheduled.
    package static func releaseSoon() {
        guard let trim = mallocTrim else { return }
        guard scheduled.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        Task {
            try? await Task.sleep(for: delay)
            scheduled.store(false, ordering: .releasing)
            BlockingPool.shared.submit { _ = trim(0) }
        }
    }

    /// Caps glibc's malloc arenas at two per processor, unless `MALLOC_ARENA_MAX` is set (the operator's choice
    /// wins); call it first thing in the process, before other threads start.
    ///
    /// glibc's default is eight arenas per processor; memory freed in one arena is reused only by the threads attached
    /// to it, so the tasks of concurrent backfills, hopping between threads, spread their pages over many arenas.
    /// Measured (debug build, 2 cores, 8 backfills of a 53 MB sequencer just written): peak +71 MiB and +54 MiB kept
    /// afterwards with the default; +25 to +34 MiB peak and back to the level before with four arenas.
    package static func limitArenas() {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil,
            let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt")
        else { return }
        typealias MalloptFunction = @convention(c) (Int32, Int32) -> Int32
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
        let arenas = Int32(clamping: 2 * max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        _ = unsafeBitCast(symbol, to: MalloptFunction.self)(mArenaMax, arenas)
        #endif
    }

    private typealias TrimFunction = @convention(c) (Int) -> Int32

    /// `malloc_trim`, looked up at run time: the Glibc module does not export `malloc.h`.
    private static let mallocTrim: TrimFunction? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: TrimFunction.self)
        #else
        return nil
        #endif
    }()
}
