// swift-tools-version:6.0
import PackageDescription

/// sprx: social prescribing referral equity pipeline.
///
/// One library target per pipeline stage (ingest → clean → enrich → aggregate), an
/// engine that connects them (`SPRXRunner`), models, report and the publishing layer
/// after it, and a thin `sprx` executable. Dependencies flow one way, with the data:
/// the allowed import graph is in docs/design.md ("Layout") and checked by a test.
/// The per-row hot path (ingest, clean, enrich, aggregate, runner) is built without
/// dynamic exclusivity checks in release builds: the profile showed them at ~5 % of a
/// run. Debug builds, and so the test suite and its sanitizer runs, keep them.
/// Debug builds optimise the same modules (`-O`, exclusivity checks and preconditions
/// kept): the test suite runs the binary about 150 times, and unoptimised, reading the
/// reference lookups took 6 s of CPU per run on the 3,000-row sample (0.9 s optimised).
let hotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "sprx",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sprx", targets: ["sprx"]),
        .library(name: "SPRXRunner", targets: ["SPRXRunner"]),
        .library(name: "SPRXPublish", targets: ["SPRXPublish"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // ISA-L's inflate, loaded with dlopen when libisal.so.2 is installed: nothing of
        // ISA-L is needed to build (dlopen is in glibc's libc from 2.34; libdl before).
        .target(name: "CIsal", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "SPRXCore", swiftSettings: hotPath),
        .target(name: "SPRXPipeline", dependencies: ["SPRXCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "SPRXIngest", dependencies: ["CZlib", "CIsal", "SPRXCore"], swiftSettings: hotPath),
        .target(name: "SPRXClean", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXIngest"], swiftSettings: hotPath),
        .target(name: "SPRXEnrich", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXIngest"], swiftSettings: hotPath),
        .target(name: "SPRXInspect", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXIngest", "SPRXClean", "SPRXEnrich"]),
        .target(name: "SPRXAggregate", dependencies: ["SPRXCore", "SPRXPipeline"], swiftSettings: hotPath),
        .target(
            name: "SPRXRunner",
            dependencies: ["SPRXCore", "SPRXPipeline", "SPRXIngest", "SPRXClean", "SPRXEnrich", "SPRXAggregate"],
            swiftSettings: hotPath
        ),
        .target(name: "SPRXModels", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXAggregate"]),
        .target(name: "SPRXReport", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXClean", "SPRXAggregate", "SPRXModels"]),
        .target(
            name: "SPRXPublish",
            dependencies: [
                "SPRXCore", "SPRXPipeline", "SPRXIngest", "SPRXClean", "SPRXEnrich", "SPRXAggregate", "SPRXRunner", "SPRXModels", "SPRXReport",
            ]
        ),
        .target(name: "SPRXValidate", dependencies: ["SPRXCore", "SPRXIngest"]),
        .target(
            name: "SPRXGenerate", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXIngest", "SPRXEnrich"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .executableTarget(
            name: "sprx",
            dependencies: [
                "SPRXCore", "SPRXPipeline", "SPRXIngest", "SPRXRunner", "SPRXPublish", "SPRXGenerate", "SPRXValidate", "SPRXInspect",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the tests share: the package root, a seeded random generator and a
        // verifier that feeds a decoder its input in every kind of split.
        .target(name: "SPRXTestSupport", dependencies: ["SPRXCore", "SPRXIngest"], path: "Tests/SPRXTestSupport"),
        .testTarget(name: "SPRXCoreTests", dependencies: ["SPRXCore", "SPRXTestSupport"]),
        .testTarget(name: "SPRXIngestTests", dependencies: ["SPRXCore", "SPRXIngest", "CZlib", "CIsal", "SPRXTestSupport"]),
        .testTarget(name: "SPRXPipelineTests", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXTestSupport"]),
        .testTarget(name: "SPRXCleanTests", dependencies: ["SPRXCore", "SPRXClean", "SPRXIngest", "SPRXPipeline", "SPRXTestSupport"]),
        .testTarget(name: "SPRXEnrichTests", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXEnrich", "SPRXTestSupport"]),
        .testTarget(
            name: "SPRXAggregateTests", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXAggregate", "SPRXEnrich", "SPRXTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SPRXRunnerTests",
            dependencies: [
                "SPRXCore", "SPRXRunner", "SPRXPublish", "SPRXGenerate", "SPRXPipeline", "SPRXClean", "SPRXAggregate", "SPRXTestSupport",
            ],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SPRXModelsTests", dependencies: ["SPRXCore", "SPRXPipeline", "SPRXModels", "SPRXAggregate", "SPRXTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SPRXGenerateTests",
            dependencies: ["SPRXCore", "SPRXEnrich", "SPRXAggregate", "SPRXRunner", "SPRXGenerate", "SPRXPublish", "SPRXTestSupport"]),
        .testTarget(name: "SPRXInspectTests", dependencies: ["SPRXCore", "SPRXInspect", "SPRXIngest", "SPRXPipeline", "SPRXTestSupport"]),
        .testTarget(name: "SPRXValidateTests", dependencies: ["SPRXCore", "SPRXValidate", "SPRXTestSupport"]),
        .testTarget(
            name: "SPRXReportTests",
            dependencies: [
                "SPRXCore", "SPRXPipeline", "SPRXAggregate", "SPRXModels", "SPRXRunner", "SPRXReport", "SPRXPublish", "SPRXTestSupport",
            ],
            exclude: ["Snapshots"]),
        .testTarget(name: "EndToEndTests", dependencies: ["SPRXCore", "SPRXIngest", "SPRXTestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
