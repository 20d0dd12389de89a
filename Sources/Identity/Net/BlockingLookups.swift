import NIOPosix

/// The threads that run blocking name lookups (DNS sockets with `poll()`, `getaddrinfo`).
///
/// A dedicated pool: lookups can block for a whole timeout, and on the shared NIO pool (two threads on a two-core
/// machine, also used for file I/O) a burst of slow lookups would starve everything else and push later lookups
/// past their deadlines while they wait for a thread.
enum BlockingLookups {
    /// How many lookups run at once; more wait for a thread (their deadlines keep running).
    static let threadCount = 16

    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }()
}
