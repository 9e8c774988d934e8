// Stage 07: transports, protocols and streams. main() only registers the demos, binds the stage's
// options, and hands `--serve PORT` to serve_echo(); the lesson is in the headers this stage adds to
// stage 06 (socket_ops.hpp, protocols.hpp, transports.hpp, flow_control.hpp, servers.hpp,
// stream_reader.hpp, streams.hpp), and the demos are in demos/.
#include "demos/demos.hpp"
#include "looplab/net.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("07-streams",
                 "Stage 07: transports, protocols and streams - the loop pushes chunks, a program pulls lines");
    StageOptions opts;
    ignore_sigpipe();   // a write to a dead socket must be an EPIPE error, not a silent death
    int serve_port = -1;
    CLI::App& cli = app.cli();
    cli.add_option("--clients", opts.clients, "How many echo clients (echo, echo-protocol: 20; each costs two fds, and select() watches fds below 1024)")
        ->check(number(1, 500, "each client takes two fds, and select() watches only fds below 1024"));
    cli.add_option("--messages", opts.messages, "Round trips per echo client (echo, echo-protocol: 50)")->check(number(1, 100000));
    cli.add_option("--size", opts.size, "The longest echo line in bytes (echo, echo-protocol: 2048)")->check(number(1, 60000));
    cli.add_option("--serve", serve_port,
                   "Run the streams echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; "
                   "the first line printed is 'listening on 127.0.0.1:PORT'")
        ->check(number(0, 65535));
    app.add({"echo-protocol", "the echo workload against a Protocol server: the loop pushes chunks, the clients pull lines",
             [&](DemoContext& ctx) { demo_echo_protocol(ctx, opts); }});
    app.add({"echo", "a streams echo server and its clients (--clients, 20) with readline, one thread, every line checked",
             [&](DemoContext& ctx) { demo_echo(ctx, opts); }});
    app.set_tour("echo");
    if (auto code = app.parse(argc, argv)) return *code;
    if (serve_port >= 0) return serve_echo(static_cast<std::uint16_t>(serve_port));
    return app.run();
}
