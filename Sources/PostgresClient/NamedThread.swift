import CLibPQ
import Foundation

/// A thread of this module's own, named as `top -H`, `perf` and `/proc/…/comm` show it.
///
/// Named from inside: Foundation's `Thread.name`, set before `start()`, never reached the kernel
/// (the thread kept its creator's name, `oot.default-qos` for a Dispatch worker). The kernel keeps
/// at most 15 bytes of a name.
enum NamedThread {
    static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= 15, "a thread's name is cut at 15 bytes")
        Thread {
            credit_broker_name_this_thread(name)
            body()
        }.start()
    }
}
