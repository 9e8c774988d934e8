// Stage 08: beyond select(). main() only registers the demos, binds the stage's options, and hands
// `--serve PORT` to serve_echo(); the lesson is in the headers this stage adds to stage 07
// (epoll_selector.hpp first; the README gives the reading order), and the demos are in demos/.
#include <map>

#include "demos/demos.hpp"
#include "looplab/net.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("08-beyond-select", "Stage 08: beyond select() - epoll, threads for blocking work, a watchdog, signals");
    StageOptions opts;
    ignore_sigpipe();   // a write to a dead socket must be an EPIPE error, not a silent death
    int serve_port = -1;
    SelectorKind selector = SelectorKind::epoll;
    CLI::App& cli = app.cli();
    cli.add_option("--selector", selector, "The readiness backend every loop uses: epoll (the default) or select")
        ->transform(CLI::CheckedTransformer(std::map<std::string, SelectorKind>{{"select", SelectorKind::select},
                                                                               {"epoll", SelectorKind::epoll}}));
    cli.add_option("--connections", opts.connections, "The numbers of idle connections c10k measures (10 100 500 1000 10000)")
        ->check(number(1, 1000000));
    cli.add_option("--iterations", opts.iterations, "Loop iterations c10k times per size and selector (2000)")
        ->check(number(10, 10000000));
    cli.add_option("--workers", opts.workers, "Threads of each loop's default executor (run_in_executor, to_thread: 4)")
        ->check(number(1, 64));
    cli.add_option("--watchdog", opts.watchdog, "Report a loop callback running longer than SECONDS, while it runs (0: off; watchdog demo: 0.1)")
        ->check(number(0.0, 3600.0));
    cli.add_option("--serve", serve_port,
                   "Run the streams echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; "
                   "the first line printed is 'listening on 127.0.0.1:PORT'")
        ->check(number(0, 65535));
    app.add({"c10k", "select() against epoll: the cost of one loop iteration as idle connections grow (measured, not golden)",
             [&](DemoContext& ctx) { demo_c10k(ctx, opts); }, /*deterministic=*/false});
    app.add({"to-thread", "stage 03's blocking call moved to a thread: the tickers keep ticking; a file read through a thread",
             [&](DemoContext& ctx) { demo_to_thread(ctx, opts); }});
    app.add({"watchdog", "a task that blocks the loop, named by a watchdog thread while it blocks (real time: not golden)",
             [&](DemoContext& ctx) { demo_watchdog(ctx, opts); }, /*deterministic=*/false});
    app.set_tour("to-thread");
    if (auto code = app.parse(argc, argv)) return *code;
    default_selector_kind = selector;
    if (serve_port >= 0) return serve_echo(static_cast<std::uint16_t>(serve_port));
    return app.run();
}
