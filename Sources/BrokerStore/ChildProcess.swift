import ChildProcesses

/// `ChildProcesses.ChildProcess`, under the name this module's users have always used.
package typealias ChildProcess = ChildProcesses.ChildProcess
