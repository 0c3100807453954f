// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "CreditBroker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "credit-broker", targets: ["CreditBrokerCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.36.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
    ],
    targets: [
        // MARK: PostgreSQL through libpq
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: National algorithms (SM2, SM3, SM4) through the system's OpenSSL 3 libcrypto
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "GMCrypto", dependencies: ["CLibCrypto"]),

        // MARK: Starting programs (posix_spawn with only the descriptors given)
        .target(name: "ChildProcesses"),

        // MARK: A private PostgreSQL cluster in a folder (development, the demo, the tests)
        .target(
            name: "EmbeddedPostgres",
            dependencies: ["PostgresClient", "ChildProcesses", .product(name: "Logging", package: "swift-log")]
        ),

        // MARK: Text formats: the one CSV reader and writer, JSON parser and string writer, YAML reader
        .target(
            name: "Formats",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: optimizedInDebug
        ),

        // MARK: Domain (pure: no I/O)
        .target(
            name: "BrokerCore",
            dependencies: [
                "Formats",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: optimizedInDebug
        ),

        // MARK: Storage
        .target(
            name: "BrokerStore",
            dependencies: [
                "PostgresClient",
                "BrokerCore",
                "GMCrypto",
                "ChildProcesses",
                "EmbeddedPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Migrations")],
            swiftSettings: optimizedInDebug
        ),

        // MARK: Feed ingest
        .target(name: "Ingest", dependencies: ["Formats", "BrokerStore", "BrokerCore"], swiftSettings: optimizedInDebug),
        // MARK: Metering (meter ledger, quotas, rate limits, idempotency, usage)
        .target(
            name: "Metering",
            dependencies: [
                "PostgresClient", "BrokerStore", "BrokerCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Billing (rate plans applied to the meter ledger: statements, adjustments, usage export)
        .target(
            name: "Billing",
            dependencies: ["Formats", "PostgresClient", "BrokerStore", "BrokerCore", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // MARK: Synthetic data
        .target(name: "SyntheticProvince", dependencies: ["Formats", "BrokerCore"], swiftSettings: optimizedInDebug),

        // MARK: Scoring (scorecards, training, metrics)
        .target(
            name: "Scoring",
            dependencies: ["Formats", "BrokerCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: optimizedInDebug
        ),

        // MARK: Scoring validation (synthetic data with known default models, for the CLI, benchmarks and tests)
        .target(
            name: "ScoringValidation",
            dependencies: ["Formats", "Scoring", "SyntheticProvince", "BrokerCore"],
            swiftSettings: optimizedInDebug
        ),

        // MARK: Credit reports (the document, its HTML and the PDF renderer pool)
        .target(
            name: "Reports",
            dependencies: [
                "BrokerCore",
                "ChildProcesses",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The report's template and style sheet, compiled into the binary.
            resources: [.embedInCode("Templates")]
        ),

        // MARK: Certificates (a certificate authority for development and tests, CRLs, fingerprints)
        .target(
            name: "PKI",
            dependencies: [
                "BrokerCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // MARK: HTTP
        .target(
            name: "Gateway",
            dependencies: [
                "Formats",
                "BrokerStore",
                "Metering",
                "Billing",
                "Scoring",
                "Reports",
                "BrokerCore",
                "PostgresClient",
                "GMCrypto",
                "PKI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            // The admin console's templates, style sheet and script, compiled into the binary.
            resources: [.embedInCode("Admin/Console/Resources")]
        ),

        // MARK: Command line
        .executableTarget(
            name: "CreditBrokerCLI",
            dependencies: [
                "Formats",
                "PostgresClient",
                "BrokerCore",
                "BrokerStore",
                "Gateway",
                "PKI",
                "SyntheticProvince",
                "Scoring",
                "ScoringValidation",
                "Ingest",
                "Metering",
                "Billing",
                "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: Benchmarks
        .executableTarget(
            name: "CreditBrokerBench",
            dependencies: [
                "Formats",
                "BrokerCore", "Scoring", "ScoringValidation", "BrokerStore", "Ingest", "Metering", "Billing", "PostgresClient", "SyntheticProvince", "Reports", "Gateway",
                "GMCrypto", "ChildProcesses", "EmbeddedPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CreditBrokerBench"
        ),

        // MARK: Fault harness (issue 14): real gateway processes under load, faults and hostile input
        .executableTarget(
            name: "CreditBrokerFaults",
            dependencies: [
                "BrokerCore", "BrokerStore", "Ingest", "PostgresClient", "SyntheticProvince", "ChildProcesses", "EmbeddedPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            path: "Tests/Faults/CreditBrokerFaults"
        ),

        // MARK: Tests
        // The tests' scaffolding: the repository, its policies and contracts, the test PostgreSQL, and
        // the broker's routers without a database or TLS (HummingbirdTesting).
        .target(
            name: "TestSupport",
            dependencies: [
                "BrokerCore", "BrokerStore", "PostgresClient", "EmbeddedPostgres", "ChildProcesses", "Gateway", "GMCrypto", "Scoring",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "TestSupport"]),
        .testTarget(name: "GMCryptoTests", dependencies: ["GMCrypto", "BrokerStore", "ChildProcesses"]),
        .testTarget(
            name: "BrokerStoreTests",
            dependencies: [
                "BrokerStore", "BrokerCore", "PostgresClient", "TestSupport", "GMCrypto", "ChildProcesses", "EmbeddedPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "BrokerStore", "BrokerCore", "PostgresClient", "TestSupport"]),
        .testTarget(
            name: "MeteringTests",
            dependencies: [
                "Metering", "BrokerCore", "BrokerStore", "PostgresClient", "TestSupport", "ChildProcesses",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "BillingTests",
            dependencies: [
                "Formats",
                "Billing", "BrokerCore", "BrokerStore", "PostgresClient", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Formats",
                "Gateway",
                "BrokerCore",
                "BrokerStore",
                "Ingest",
                "Metering",
                "Billing",
                "PostgresClient",
                "Scoring",
                "Reports",
                "TestSupport",
                "GMCrypto",
                "PKI",
                "ChildProcesses",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "CreditBrokerCLITests",
            dependencies: [
                "Formats",
                "CreditBrokerCLI", "BrokerCore", "BrokerStore", "PostgresClient", "TestSupport", "ChildProcesses",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "FormatsTests", dependencies: ["Formats"]),
        .testTarget(
            name: "BrokerCoreTests",
            dependencies: [
                "Formats",
                "BrokerCore", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "ReportsTests",
            dependencies: ["Reports", "BrokerCore", "BrokerStore", "ChildProcesses", "TestSupport", .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(
            name: "SyntheticProvinceTests",
            dependencies: ["Formats", "SyntheticProvince", "BrokerCore", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "ScoringTests",
            dependencies: ["Formats", "Scoring", "ScoringValidation", "BrokerCore", "SyntheticProvince", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// The modules on the per-line path of a load (identifiers, COPY encoding, feed parsing (`Formats`)
/// and validation, the province generator) are optimised in debug builds too, so that the README's
/// `swift run credit-broker demo` loads its province in seconds; and feature fusion and training
/// (`Scoring`, `ScoringValidation`), which the validation tests run over a hundred thousand
/// synthetic organisations.
var optimizedInDebug: [SwiftSetting] { [.unsafeFlags(["-O"], .when(configuration: .debug))] }
