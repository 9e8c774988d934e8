// Stage 04: non-blocking sockets. main() only registers the demos, binds the stage's options, and
// hands `--serve PORT` to serve_echo(); the lesson is in coroutine.hpp, loop.hpp, sockets.hpp and
// echo_server.hpp, and the demos are in demos/.
#include "demos/demos.hpp"
#include "looplab/net.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    ignore_sigpipe();   // a write to a dead socket must be an EPIPE error, not a silent death
    StageApp app("04-nonblocking-sockets", "Stage 04: non-blocking sockets - try, and on EAGAIN wait for readiness");
    StageOptions opts;
    int serve_port = -1;
    CLI::App& cli = app.cli();
    // Each client takes two fds (its socket and the server's), and select() watches only fds below
    // 1024: 508 clients fit with the listener, the server's spare fd and stdin/out/err; 500 leaves room
    // for fds a parent process passes down.
    cli.add_option("--clients", opts.clients, "How many echo clients (echo: 20; at most 500: each takes two fds, and select() watches fds below 1024)")
        ->check(number(1, 500, "each client takes two fds, and select() watches only fds below 1024"));
    cli.add_option("--messages", opts.messages, "Round trips per echo client (echo: 50)")->check(number(1, 100000));
    cli.add_option("--size", opts.size, "The largest echo message in bytes (echo: 2048)")->check(number(1, 1 << 20));
    cli.add_option("--delay", opts.delay, "Seconds between the recv demo's chunks")
        ->check(number(0.0, 10.0))
        ->capture_default_str();
    cli.add_option("--queue", "The timer queue: list (sorted again on every insert) or heap")
        ->check(CLI::IsMember({"list", "heap"}))
        ->each([&opts](const std::string& kind) { opts.queue = kind == "list" ? QueueKind::List : QueueKind::Heap; })
        ->default_str("heap");
    cli.add_option("--serve", serve_port,
                   "Run the echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; "
                   "the first line printed is 'listening on 127.0.0.1:PORT'")
        ->check(number(0, 65535));

    app.add({"recv", "a client receives 32 KiB from an in-process server, beside /dev/urandom and a sleeper",
             [&](DemoContext& ctx) { demo_recv(ctx, opts); }, /*deterministic=*/false});
    app.add({"echo", "one echo server and its clients (--clients, 20) on one thread, every byte checked",
             [&](DemoContext& ctx) { demo_echo(ctx, opts); }});
    app.add({"ugly", "the retry loops spelled out: every EAGAIN and EINPROGRESS as it happens",
             [&](DemoContext& ctx) { demo_ugly(ctx, opts); }, /*deterministic=*/false});
    app.set_tour("echo");
    if (auto code = app.parse(argc, argv)) return *code;
    if (serve_port >= 0) return serve_echo(static_cast<std::uint16_t>(serve_port));
    return app.run();
}
