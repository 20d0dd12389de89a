import Hummingbird

extension ComAtprotoModeration {
    /// `com.atproto.moderation.createReport` (STD +TD): forwarded with a service JWT to the report service
    /// (`PDS_REPORT_SERVICE_*`, default the mod service; or the `atproto-proxy` header's), its body streamed as it
    /// came. Taken-down accounts may report too, so that they can appeal; which reports they may file is the report
    /// service's rule, as in the reference.
    func createReport(_ request: Request) async throws -> Response {
        try await pipethrough.forward(request, lxm: "com.atproto.moderation.createReport", allowTakendown: true)
    }
}
