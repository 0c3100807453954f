import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// This test process's scratch folder, `<temporary folder>/credit-broker-test-<random>`: the
/// embedded clusters and the tests' temporary folders (`TestPostgres.temporaryFolder()`) live in it.
///
/// Made on first use, with an owner record (this process's pid, start time and boot), and from
/// then on every program this process starts carries its path in its environment
/// (`ScratchSweep.markerVariable`, inherited by the programs those start). At a normal exit the
/// shared cluster is stopped and the folder removed. A process that does not get to exit (a crash,
/// SIGKILL) leaves both for the next test process: on first use each sweeps the temporary folder
/// in the background (`ScratchSweep`), ending the servers and programs of folders whose owner is
/// gone and removing those folders, and at exit waits for that sweep (at most a minute).
/// `CommandLineBinary.path` makes the folder too, so that every gateway a test starts carries the
/// marker.
public enum TestScratch {
    /// The folder's path.
    public static var folder: String { Root.path }

    private enum Root {
        static let path: String = {
            let path = NSTemporaryDirectory() + ScratchSweep.folderPrefix + TestPostgres.randomSuffix()
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            if let me = ScratchSweep.status(of: getpid())?.identity {
                let record = URL(fileURLWithPath: path).appendingPathComponent(ScratchSweep.ownerFileName)
                try? Data(me.record.utf8).write(to: record, options: .atomic)
            }
            // The one change to this process's environment, adding a name: glibc copies the list
            // into a new one and leaves the old one in place for a thread reading it at that moment.
            setenv(ScratchSweep.markerVariable, path, 1)
            atexit {
                TestPostgres.Embedded.instance?.stop()
                try? FileManager.default.removeItem(atPath: Root.path)
                // A short run would otherwise end the sweep halfway (removing a crashed run's
                // clusters takes seconds), leaving the rest to the next.
                _ = Root.swept.wait(timeout: .now() + 60)
            }
            Thread {
                let outcome = ScratchSweep.sweep(in: NSTemporaryDirectory())
                if !outcome.isEmpty {
                    FileHandle.standardError.write(Data("credit-broker tests: \(outcome.summary)\n".utf8))
                }
                Root.swept.signal()
            }.start()
            return path
        }()

        /// Signalled when the sweep this process started has ended.
        static let swept = DispatchSemaphore(value: 0)
    }
}

/// The `credit-broker` binary SwiftPM built beside the tests: the one name tests start it by.
/// Reading it makes this process's scratch folder first (`TestScratch`), so a gateway left
/// running by a test process that crashed is found and ended by the next one.
public enum CommandLineBinary {
    public static let path: String = {
        _ = TestScratch.folder
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("credit-broker").path
    }()
}
