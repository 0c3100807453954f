import Foundation
import Yams

/// The items of Policies/catalog.yaml, read minimally: ids, sources and typed fields.
struct CatalogSchema {
    struct Field {
        let type: String
        let required: Bool
        let values: [String]
    }

    struct Item {
        let source: String
        let fields: [String: Field]
    }

    let items: [String: Item]
    let sources: Set<String>

    static let shared: CatalogSchema = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Policies/catalog.yaml")
        // The catalog is part of the repository; failing to read it is a broken checkout.
        let root = try! Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as! [String: Any]
        let sources = Set((root["sources"] as! [String: Any]).keys)
        var items: [String: Item] = [:]
        for item in root["items"] as! [[String: Any]] {
            var fields: [String: Field] = [:]
            for (name, spec) in item["fields"] as! [String: [String: Any]] {
                fields[name] = Field(
                    type: spec["type"] as! String, required: spec["required"] as? Bool ?? false,
                    values: spec["values"] as? [String] ?? [])
            }
            items[item["id"] as! String] = Item(source: item["source"] as! String, fields: fields)
        }
        return CatalogSchema(items: items, sources: sources)
    }()
}
