import Testing

@testable import PDSServer

/// The downstream services and `PDS_PROXY_*`, under the reference's names and defaults.
@Suite struct ProxyConfigurationTests {
    @Test func defaultsMatchTheReference() throws {
        let configuration = try PDSConfiguration.fromEnvironment([:])
        #expect(configuration.downstream.appView == nil)
        #expect(configuration.downstream.appViewCDNURLPattern == nil)
        #expect(configuration.downstream.modService == nil && configuration.downstream.reportService == nil)
        let proxy = configuration.proxy
        #expect(proxy.headersTimeoutMs == 10_000 && proxy.bodyTimeoutMs == 30_000)
        #expect(proxy.maxResponseSize == 10_485_760 && proxy.maxRetries == 0 && !proxy.allowHTTP2)
        #expect(!proxy.disableSSRFProtection)
        #expect(try PDSConfiguration.fromEnvironment(["PDS_DEV_MODE": "true"]).proxy.disableSSRFProtection)
    }

    @Test func readsTheReferenceVariableNames() throws {
        let configuration = try PDSConfiguration.fromEnvironment([
            "PDS_BSKY_APP_VIEW_URL": "https://api.bsky.app/", "PDS_BSKY_APP_VIEW_DID": "did:web:api.bsky.app",
            "PDS_MOD_SERVICE_URL": "https://mod.bsky.app", "PDS_MOD_SERVICE_DID": "did:plc:ar7c4by46qjdydhdevvrndac",
            "PDS_PROXY_HEADERS_TIMEOUT": "1000", "PDS_PROXY_BODY_TIMEOUT": "2000",
            "PDS_PROXY_MAX_RESPONSE_SIZE": "-1", "PDS_PROXY_MAX_RETRIES": "3", "PDS_PROXY_ALLOW_HTTP2": "true",
            "PDS_DISABLE_SSRF_PROTECTION": "true",
            "PDS_BSKY_APP_VIEW_CDN_URL_PATTERN": "https://cdn.bsky.app/img/%s/plain/%s/%s@jpeg",
        ])
        let downstream = configuration.downstream
        #expect(downstream.appViewCDNURLPattern == "https://cdn.bsky.app/img/%s/plain/%s/%s@jpeg")
        #expect(
            downstream.appView
                == PDSConfiguration.ServiceEndpoint(url: "https://api.bsky.app", did: "did:web:api.bsky.app"))
        #expect(
            downstream.modService
                == PDSConfiguration.ServiceEndpoint(
                    url: "https://mod.bsky.app", did: "did:plc:ar7c4by46qjdydhdevvrndac"))
        #expect(downstream.reportService == downstream.modService, "the report service defaults to the mod service")
        let proxy = configuration.proxy
        #expect(proxy.headersTimeoutMs == 1000 && proxy.bodyTimeoutMs == 2000)
        #expect(proxy.maxResponseSize == nil && proxy.maxRetries == 3 && proxy.allowHTTP2)
        #expect(proxy.disableSSRFProtection)

        let report = try PDSConfiguration.fromEnvironment([
            "PDS_MOD_SERVICE_URL": "https://mod.example.com", "PDS_MOD_SERVICE_DID": "did:web:mod.example.com",
            "PDS_REPORT_SERVICE_URL": "https://report.example.com", "PDS_REPORT_SERVICE_DID": "did:web:r.example.com",
        ]).downstream.reportService
        #expect(
            report == PDSConfiguration.ServiceEndpoint(url: "https://report.example.com", did: "did:web:r.example.com"))
    }

    @Test func incompleteOrInvalidServicesAreNamed() {
        #expect {
            try PDSConfiguration.fromEnvironment([
                "PDS_BSKY_APP_VIEW_URL": "https://api.bsky.app", "PDS_MOD_SERVICE_URL": "mod.bsky.app",
                "PDS_MOD_SERVICE_DID": "did:plc:ar7c4by46qjdydhdevvrndac",
                "PDS_REPORT_SERVICE_URL": "https://r.example.com",
                "PDS_REPORT_SERVICE_DID": "not-a-did", "PDS_PROXY_MAX_RETRIES": "-1", "PDS_PROXY_ALLOW_HTTP2": "yes",
            ])
        } throws: { error in
            guard let error = error as? PDSConfigurationError else { return false }
            return error.problems.count == 5
                && error.problems.contains("PDS_BSKY_APP_VIEW_DID is required when PDS_BSKY_APP_VIEW_URL is set")
                && error.description.contains("PDS_MOD_SERVICE_URL must be an http(s) URL")
                && error.description.contains("PDS_REPORT_SERVICE_DID must be a DID")
                && error.description.contains("PDS_PROXY_MAX_RETRIES")
                && error.description.contains("PDS_PROXY_ALLOW_HTTP2")
        }
    }
}
