import ArgumentParser

extension PDSCommand {
    /// `pds invite …`: invite codes.
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "invite",
            abstract: "Create, list and disable invite codes on the running server.",
            subcommands: [Create.self, List.self, Disable.self]
        )
    }
}
