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
            (PDS_HOSTNAME, PDS_PORT, PDS_DATA_DIRECTORY, ...) or an env file in its pds.env format \
            (--env-file, or PDS_ENV_FILE). See config/pds.env.example.

            The administration commands talk to the running server over HTTP (--url, default \
            http://localhost:$PDS_PORT) with the admin password (PDS_ADMIN_PASSWORD, or in dev mode the one \
            in <data>/dev-secrets.json). They print a table, or JSON with --json; a failure is one line on \
            stderr and a non-zero exit status: 1 (not found or refused), 64 (usage), 69 (server unreachable), \
            76 (an answer that is not the method's output), 77 (admin password rejected), 78 (configuration).
            """,
        version: pdsVersion,
        groupedSubcommands: [
            CommandGroup(name: "Server", subcommands: [Serve.self, PLC.self]),
            CommandGroup(
                name: "Administration",
                subcommands: [Account.self, Invite.self, RequestCrawl.self]),
            CommandGroup(
                name: "Maintenance (offline: the server stopped)",
                subcommands: [Repo.self, SequencerCommand.self, Identity.self, Hostname.self]),
            CommandGroup(name: "Backups (our extension)", subcommands: [BackupCommand.self]),
        ],
        defaultSubcommand: Serve.self
    )
}
