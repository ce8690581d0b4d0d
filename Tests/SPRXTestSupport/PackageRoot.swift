import Foundation

/// The package's root folder (where `Package.swift`, `SampleData/` and `.build/` are),
/// found from this file's own path, so tests read fixtures and run the built binary
/// wherever the checkout is.
public let packageRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // Tests/SPRXTestSupport
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent().path
