import Foundation

/// The repository's folder, for tests that read its files (contracts, policies, deploy scripts).
public enum Repository {
    /// `Tests/TestSupport/Repository.swift`, three folders up.
    public static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
