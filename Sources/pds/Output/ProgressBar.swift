import Foundation

/// A progress bar on standard error for long work: `label [#####.....] 12/40`, redrawn in place. Drawn only when
/// standard error is a terminal, so scripts and logs get clean output.
final class ProgressBar {
    private let label: String
    private let total: Int
    private var done = 0
    private let enabled: Bool
    private var lastDrawn = Date.distantPast

    /// Starts a bar for `total` steps.
    init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = isatty(FileHandle.standardError.fileDescriptor) != 0 && total > 0
    }

    /// Counts one step (redrawing at most ten times a second, and at the end).
    func advance() {
        done += 1
        guard enabled, done == total || Date().timeIntervalSince(lastDrawn) > 0.1 else { return }
        lastDrawn = Date()
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
