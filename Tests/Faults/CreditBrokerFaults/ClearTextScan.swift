import BrokerCore
import BrokerStore
import ChildProcesses
import Foundation

/// Scenario 8: no resident ID number in clear. After a scenario, the database (`pg_dump`), the
/// logs, the metrics text and the scenario's folder (the gateways' state folder, the PKI, the
/// cluster's own files and log) are searched for every ID number any request carried and for the
/// pattern itself: 17 digits and a check character, not inside a longer run of letters or digits,
/// that `ResidentIDNumber` accepts (address code, birth date and check character all valid).
struct ClearTextScan {
    struct Finding: CustomStringConvertible {
        let place: String
        let count: Int
        /// How many of them a request carried.
        let sent: Int

        var description: String { "\(place): \(count) clear ID number(s), \(sent) of them sent in requests" }
    }

    /// Every ID number a request carried (kept in memory only).
    let sent: Set<String>

    /// Searches the dump, the metrics texts and every file under `folder`.
    func scan(folder: URL, dump: String, metrics: [String]) -> [Finding] {
        var findings: [Finding] = []
        func look(_ bytes: some Collection<UInt8>, place: String) {
            let found = Self.identifiers(in: Array(bytes), alsoInvalid: sent)
            if !found.isEmpty { findings.append(Finding(place: place, count: found.count, sent: found.intersection(sent).count)) }
        }
        look(Array(dump.utf8), place: "pg_dump of the database")
        for (index, text) in metrics.enumerated() { look(Array(text.utf8), place: "metrics text \(index + 1)") }
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let file = files?.nextObject() as? URL {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = FileManager.default.contents(atPath: file.path)
            else { continue }
            look(data, place: String(file.path.dropFirst(folder.path.count + 1)))
        }
        return findings
    }

    /// The valid resident ID numbers in `bytes`, and any of `alsoInvalid` (numbers sent with a wrong
    /// check character, which the pattern alone would not catch).
    static func identifiers(in bytes: [UInt8], alsoInvalid: Set<String> = []) -> Set<String> {
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        var found = Set<String>()
        var index = 0
        let today = CivilDate.today()
        while index + 18 <= bytes.count {
            guard isDigit(bytes[index]), index == 0 || !isAlphanumeric(bytes[index - 1]) else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count, end - index < 17, isDigit(bytes[end]) { end += 1 }
            guard end - index == 17, end < bytes.count else {
                index = max(end, index + 1)
                continue
            }
            let check = bytes[end]
            guard isDigit(check) || check == 0x58 || check == 0x78, end + 1 == bytes.count || !isAlphanumeric(bytes[end + 1]) else {
                index = end
                continue
            }
            let text = String(decoding: bytes[index...end], as: UTF8.self).uppercased()
            if alsoInvalid.contains(text) || (try? ResidentIDNumber(text, today: today)) != nil { found.insert(text) }
            index = end + 1
        }
        return found
    }

    /// The database as `pg_dump` writes it (plain SQL, data included).
    static func dump(_ topology: Topology) throws -> String {
        try dump(conninfo: topology.conninfo)
    }

    static func dump(conninfo: String) throws -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        let candidates = versions.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"]
        guard let pgDump = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ScenarioFailure("pg_dump not found: apt-get install postgresql-client")
        }
        return try ChildProcess.run(pgDump, ["--no-owner", "-d", conninfo])
    }

    /// Runs the scan on a topology and reports it; returns the findings (empty: clean).
    static func run(_ topology: Topology, sent: Set<String>, metrics: [String]) throws -> [Finding] {
        let findings = ClearTextScan(sent: sent).scan(folder: topology.root, dump: try dump(topology), metrics: metrics)
        if findings.isEmpty {
            say("clear-text scan: no clear ID number in pg_dump, \(metrics.count) metrics text(s), logs and \(topology.root.path) (\(sent.count) ID numbers sent)")
        } else {
            for finding in findings { say("clear-text scan: FOUND \(finding)") }
        }
        return findings
    }
}

/// A scenario's failure, with what it found.
struct ScenarioFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
