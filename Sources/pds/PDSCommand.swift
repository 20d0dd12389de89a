import ArgumentParser
import PDSServer

/// The `pds` command: the server and its admin tools.
@main
struct PDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pds",
        abstract: "An AT Protocol Personal Data Server.",
        discussion: """
            Configuration comes from the reference PDS's PDS_* environment variables \
            (PDS_HOSTNAME, PDS_PORT, PDS_DATA_DIRECTORY, ...). See config/pds.env.example.
            """,
        version: pdsVersion,
        subcommands: [Serve.self, Repo.self, SequencerCommand.self, Identity.self, Hostname.self, PLC.self],
        defaultSubcommand: Serve.self
    )
}
