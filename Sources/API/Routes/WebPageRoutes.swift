import Foundation
import Hummingbird
import HTTPTypes

/// The browser page at `/` (issue 13): static files bundled with the server, which use only the
/// public API from the browser (`WebSocket`, `EventSource`, `fetch`). No build step, no CDN.
///
/// `TIDELINE_WEB_DIR` serves the files from a folder instead, read on every request, so that
/// the page can be edited and reloaded without rebuilding the server.
struct WebPageRoutes: Sendable {
    /// The files of the page, by the path they are served at, and their media types.
    static let files: [(path: String, file: String, contentType: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ]

    /// Only the page's own origin, for scripts, styles, fetches and the live connections.
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    let folder: URL?
    /// The bundled modules by name, read once at start-up like the page's other files.
    let bundledModules: [String: Data]

    init(folder: String? = ProcessInfo.processInfo.environment["TIDELINE_WEB_DIR"]) {
        self.folder = folder.flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0, isDirectory: true) }
        let bundle = Bundle.module.url(forResource: "js", withExtension: nil, subdirectory: "web")
        let names = bundle.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        var modules: [String: Data] = [:]
        for name in names where Self.isModuleName(name) {
            modules[name] = bundle.flatMap { try? Data(contentsOf: $0.appendingPathComponent(name)) }
        }
        bundledModules = modules
    }

    func add(to router: Router<TidelineRequestContext>) {
        for entry in Self.files {
            let bundled = Self.bundled(entry.file)
            let respond = { @Sendable (withBody: Bool) throws -> Response in
                guard let body = read(entry.file) ?? bundled else {
                    throw APIError.notFound("\(entry.file) is not bundled with this build")
                }
                return Self.response(body, contentType: entry.contentType, withBody: withBody)
            }
            router.get(RouterPath(entry.path)) { _, _ in try respond(true) }
            // Link checkers and caches ask with HEAD: the same headers, no body.
            router.head(RouterPath(entry.path)) { _, _ in try respond(false) }
        }
        // The page's modules, imported by app.js: /js/<name>.js.
        router.get("js/:module") { _, context in try module(context, withBody: true) }
        router.head("js/:module") { _, context in try module(context, withBody: false) }
    }

    private func module(_ context: TidelineRequestContext, withBody: Bool) throws -> Response {
        guard let name = context.parameters.get("module"), Self.isModuleName(name),
              let body = read("js/" + name) ?? bundledModules[name]
        else { throw APIError.notFound("no such module") }
        return Self.response(body, contentType: "text/javascript; charset=utf-8", withBody: withBody)
    }

    /// `^[a-z][a-z0-9-]*\.js$`, at most 64 characters (`chat.js`, `live-connection.js`):
    /// nothing that could climb out of the folder.
    static func isModuleName(_ name: String) -> Bool {
        let stem = name.utf8.dropLast(3)
        func isLower(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
        return name.hasSuffix(".js") && name.utf8.count <= 64 && stem.first.map(isLower) == true
            && stem.allSatisfy { isLower($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }

    private static func response(_ body: Data, contentType: String, withBody: Bool) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-cache"]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        guard withBody else {
            headers[.contentLength] = String(body.count)
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    private func read(_ file: String) -> Data? {
        guard let folder else { return nil }
        return try? Data(contentsOf: folder.appendingPathComponent(file))
    }

    static func bundled(_ file: String) -> Data? {
        let name = (file as NSString).deletingPathExtension, type = (file as NSString).pathExtension
        guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "web") else { return nil }
        return try? Data(contentsOf: url)
    }
}
