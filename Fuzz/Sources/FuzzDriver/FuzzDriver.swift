import Foundation

#if FUZZING
import CLibFuzzer
#endif

/// The entry point shared by the fuzzing harnesses (`pds-fuzz`, `pds-fuzz-server`).
///
/// Built by `scripts/fuzz.sh` with `-DFUZZING` and libFuzzer's coverage instrumentation, a harness hands its
/// arguments to libFuzzer's driver (`pds-fuzz -runs=1000000 Fuzz/corpus/cbor`), fuzzing the target named by
/// `PDS_FUZZ_TARGET`. In an ordinary build it replays files instead: `pds-fuzz <target> <file or directory>...` runs
/// every file through the target once, which is how a crash file found by the fuzzer is checked after a fix.
package enum FuzzDriver {
    /// A target: its name and what it does with one input. Parser errors are expected; a trap (or a broken
    /// invariant, checked with `precondition`) is a finding.
    package typealias Target = (name: String, run: @Sendable ([UInt8]) -> Void)

    /// The target a fuzzing run uses, set once before libFuzzer starts.
    nonisolated(unsafe) static var selected: (@Sendable ([UInt8]) -> Void)?

    /// Runs the harness: libFuzzer on the target `PDS_FUZZ_TARGET` names, or a replay of files.
    /// - Parameters:
    ///   - targets: the harness's targets.
    package static func main(_ targets: [Target]) throws -> Never {
        let names = targets.map(\.name).joined(separator: "|")
        #if FUZZING
        let name = ProcessInfo.processInfo.environment["PDS_FUZZ_TARGET"] ?? ""
        guard let target = targets.first(where: { $0.name == name }) else {
            fail("set PDS_FUZZ_TARGET to one of \(names)")
        }
        selected = target.run
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                FuzzDriver.selected?(Array(UnsafeBufferPointer(start: data, count: size)))
                return 0
            })
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count > 1, let target = targets.first(where: { $0.name == arguments[0] }) else {
            fail("usage: \(CommandLine.arguments[0]) <\(names)> <file or directory>...")
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in try files(at: path) {
                target.run(Array(try Data(contentsOf: file)))
                count += 1
            }
        }
        print("\(target.name): \(count) inputs replayed without a crash")
        exit(0)
        #endif
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(2)
    }

    /// The regular files at `path`: the file itself, or a directory's files (not recursive).
    private static func files(at path: String) throws -> [URL] {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return [url]
        }
        return try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .sorted { $0.path < $1.path }
    }
}
