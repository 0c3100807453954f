import ArgumentParser

/// One wrk run's figures, read from the `RESULT k=v …` line that the shared bench's report format prints.
struct LoadResult {
    let rate: Double
    let p50: Double
    let p99: Double
    let requests: Int
    let non2xx: Int
    let socketErrors: Int

    /// Responses with a 2xx status.
    var successes: Int { requests - non2xx }

    /// Reads the `RESULT` line from a wrk run's output.
    init(output: String) throws {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw ValidationError("wrk printed no RESULT line: \(output.suffix(2_000))")
        }
        var values: [Substring: Double] = [:]
        for pair in line.dropFirst(7).split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { values[parts[0]] = value }
        }
        func value(_ key: Substring) throws -> Double {
            guard let value = values[key] else { throw ValidationError("wrk's RESULT line lacks \(key): \(line)") }
            return value
        }
        rate = try value("rps")
        p50 = try value("p50_ms")
        p99 = try value("p99_ms")
        requests = Int(try value("requests"))
        non2xx = Int(try value("non2xx"))
        socketErrors = Int(try value("err_connect") + value("err_read") + value("err_write") + value("err_timeout"))
    }

    /// `12345 req/s, p50 1.23 ms, p99 4.56 ms`, with any failures.
    var summary: String {
        var text = "\(Int(rate.rounded())) req/s, p50 \(p50) ms, p99 \(p99) ms"
        if non2xx > 0 || socketErrors > 0 { text += " (\(non2xx) non-2xx, \(socketErrors) socket errors)" }
        return text
    }
}
