import ArgumentParser
import Foundation
import Gateway

/// Where the HTTP server listens.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env CREDIT_BROKER_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env CREDIT_BROKER_PORT).")
    var port: Int?

    var configuration: GatewayServer.Configuration {
        let environment = ProcessInfo.processInfo.environment
        return GatewayServer.Configuration(
            host: host ?? environment["CREDIT_BROKER_HOST"] ?? "127.0.0.1",
            port: port ?? environment["CREDIT_BROKER_PORT"].flatMap(Int.init) ?? 8443
        )
    }
}
