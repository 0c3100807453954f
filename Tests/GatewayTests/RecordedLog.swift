import Logging
import Synchronization

/// Log records kept in memory, for tests of what is logged and what is not.
final class RecordedLog: Sendable {
    /// One log record.
    struct Record: Sendable, CustomStringConvertible {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata

        var description: String { "\(level): \(message) \(metadata)" }
    }

    /// Every record of every logger made from `logger`.
    let list = Mutex<[Record]>([])

    /// A logger at trace level that appends to `list`.
    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    /// The records at `level` or above.
    func records(atLeast level: Logger.Level) -> [Record] {
        list.withLock { $0.filter { $0.level >= level } }
    }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.list.withLock { $0.append(Record(level: event.level, message: "\(event.message)", metadata: metadata.merging(event.metadata ?? [:]) { $1 })) }
        }
    }
}
