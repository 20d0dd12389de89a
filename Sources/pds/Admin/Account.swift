import ArgumentParser

extension PDSCommand {
    /// `pds account …`: the accounts of the running server.
    struct Account: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "account",
            abstract: "Manage the accounts of the running server.",
            discussion: """
                These commands talk to the running PDS over HTTP with the admin password, as the reference's \
                pdsadmin does. The configuration is read as `pds serve` reads it: the PDS_* environment, or \
                --env-file pds.env. An account is named by its DID or its handle.
                """,
            subcommands: [
                List.self, Info.self, Create.self, Delete.self, Takedown.self, Untakedown.self, ResetPassword.self,
                SetHandle.self, SetEmail.self, Migrate.self,
            ]
        )
    }
}
