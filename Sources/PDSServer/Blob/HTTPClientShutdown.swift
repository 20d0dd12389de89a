import AsyncHTTPClient
import ServiceLifecycle

/// Shuts down an HTTP client the services own (the S3 blobstore's) when the service group stops.
///
/// Listed first among the application's services, it is the last to stop: the HTTP server (always last in the
/// group) drains its requests before this runs.
struct HTTPClientShutdown: Service {
    /// The client to shut down.
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
