import Testing

@testable import PDSServer

/// `PDS_METRICS_*` (our extension).
@Suite struct MetricsConfigurationTests {
    @Test func offByDefault() throws {
        let metrics = try PDSConfiguration.fromEnvironment([:]).metrics
        #expect(!metrics.enabled)
        #expect(metrics.port == nil)
        #expect(metrics.token == nil)
    }

    @Test func readsTheVariables() throws {
        let metrics = try PDSConfiguration.fromEnvironment([
            "PDS_METRICS_ENABLED": "true", "PDS_METRICS_PORT": "9090", "PDS_METRICS_TOKEN": "t0ken",
        ]).metrics
        #expect(metrics.enabled)
        #expect(metrics.port == 9090)
        #expect(metrics.token == "t0ken")
    }

    @Test func invalidValuesAreNamed() {
        for (key, value) in [
            ("PDS_METRICS_ENABLED", "yes"), ("PDS_METRICS_PORT", "0"), ("PDS_METRICS_PORT", "2583"),
            ("PDS_METRICS_PORT", "x"), ("PDS_METRICS_TOKEN", ""),
        ] {
            #expect {
                try PDSConfiguration.fromEnvironment([key: value])
            } throws: { error in
                (error as? PDSConfigurationError)?.problems.contains { $0.hasPrefix(key) } == true
            }
        }
    }

    @Test func bearerTokensAreComparedExactly() {
        #expect(MetricsEndpoint.authorized("Bearer abc", token: "abc"))
        #expect(!MetricsEndpoint.authorized("Bearer abd", token: "abc"))
        #expect(!MetricsEndpoint.authorized("Bearer abcd", token: "abc"))
        #expect(!MetricsEndpoint.authorized("bearer abc", token: "abc"))
        #expect(!MetricsEndpoint.authorized(nil, token: "abc"))
    }
}
