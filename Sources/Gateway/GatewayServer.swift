import Hummingbird
import Logging
import PostgresClient

/// Builds the broker's HTTP application.
public enum GatewayServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 8443) {
            self.host = host
            self.port = port
        }
    }

    /// The application, ready for `runService()`.
    public static func application(
        _ configuration: Configuration,
        pool: PostgresPool,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        HealthRoutes(pool: pool).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "credit-broker"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}
