import Foundation

/// How `pds account migrate` shows its progress on stderr: a progress bar per phase when stderr is a terminal, and
/// always one line when a phase ends (`blobs: done, 20 copied, 0 already there`), so logs and scripts can follow it.
final class MigrationConsole {
    private var bar: ProgressBar?
    private var phase = ""

    /// Starts `phase` with `total` steps.
    func begin(_ phase: String, total: Int) {
        self.phase = phase
        bar = total > 0 ? ProgressBar(phase, total: total) : nil
    }

    /// One step of the current phase done.
    func advance() {
        bar?.advance()
    }

    /// The current phase ended: `summary` says how.
    func done(_ summary: String) {
        bar = nil
        Stderr.write("\(phase): done, \(summary)\n")
    }

    /// A line about what is happening (`account: created on …`).
    func note(_ line: String) {
        Stderr.write(line + "\n")
    }
}
