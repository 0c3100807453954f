import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ports for servers the tests start as processes (demo, serve): the one place tests pick them.
public enum TestPorts {
    /// A port P below the kernel's ephemeral range (32768–60999 on Linux, from which every outgoing
    /// connection on the machine takes its local port) such that P ..< P + `count` are free now.
    /// Picking at random in 40001–49999 met "Address already in use" in DemoTests and
    /// AdminClientTests once other programs on the machine held many connections.
    public static func consecutive(_ count: Int) -> Int {
        while true {
            let base = Int.random(in: 20_000...(32_000 - count))
            if (base..<base + count).allSatisfy(isFree) { return base }
        }
    }

    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
