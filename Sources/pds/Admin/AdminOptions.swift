import ArgumentParser

/// The options every admin command takes: where the configuration comes from, where the server is, and how to
/// print.
struct AdminOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read PDS_* variables from this file (pds.env format; default $PDS_ENV_FILE).", valueName: "path"),
        completion: .file())
    var envFile: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The running PDS's base URL (default http://localhost:$PDS_PORT).", valueName: "url"))
    var url: String?

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false
}
