/// The version this server reports in `/xrpc/_health` unless `PDS_VERSION` overrides it.
package let pdsVersion = "0.1.0"
