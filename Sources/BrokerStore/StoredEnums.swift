import BrokerCore
import PostgresClient

// The text columns that hold one of an enum's values, read and bound as the enum: a value the
// enum does not know fails the row's decoding with the column named (`PostgresTextEnum`).

extension SubjectKind: PostgresTextEnum {}
extension RecordStatus: PostgresTextEnum {}
extension StagedEvent.Kind: PostgresTextEnum {}
extension WatchedChange: PostgresTextEnum {}
extension BatchReview.Status: PostgresTextEnum {}
extension StoredDispute.State: PostgresTextEnum {}
extension StoredDispute.Outcome: PostgresTextEnum {}
extension StoredDispute.Channel: PostgresTextEnum {}
