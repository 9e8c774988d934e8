// Stage 05: futures and tasks. main() only registers the demos, binds the stage's options, and hands
// `--serve PORT` to serve_echo(); the lesson is in the headers (start with event_loop.hpp, then
// future.hpp and task.hpp), and the demos are in demos/.
#include "demos/demos.hpp"
#include "looplab/net.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("05-futures-tasks",
                 "Stage 05: futures and tasks - the loop runs callbacks; Futures and Tasks turn them back into coroutines");
    StageOptions opts;
    ignore_sigpipe();   // a write to a dead socket must be an EPIPE error, not a silent death
    int serve_port = -1;
    CLI::App& cli = app.cli();
    cli.add_option("--seed", opts.seed, "Seed of the random numbers (chain, queue, random-int)")->capture_default_str();
    cli.add_option("--clients", opts.clients, "How many echo clients (echo, echo-protocol: 20; each costs two fds, and select() watches fds below 1024)")
        ->check(CLI::Range(1, 500));
    cli.add_option("--messages", opts.messages, "Round trips per echo client (echo, echo-protocol: 50)")->check(CLI::Range(1, 100000));
    cli.add_option("--size", opts.size, "The longest echo line in bytes (echo, echo-protocol: 2048)")->check(CLI::Range(1, 60000));
    cli.add_option("--serve", serve_port,
                   "Run the streams echo server alone on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; "
                   "the first line printed is 'listening on 127.0.0.1:PORT'")
        ->check(CLI::Range(0, 65535));

    app.add({"callbacks", "a program written with plain callbacks, then as a coroutine", demo_callbacks});
    app.add({"await-vs-task", "awaiting a coroutine does not cede control; creating a task does", demo_await_vs_task});
    app.add({"count", "five counters sleeping 1 s then 2 s, gathered: 3 s, not 15 s", demo_count});
    app.add({"chain", "chains of two dependent steps with seeded random delays, gathered",
             [&](DemoContext& ctx) { demo_chain(ctx, opts); }});
    app.add({"queue", "producers and consumers around a Queue; join, then cancel the consumers",
             [&](DemoContext& ctx) { demo_queue(ctx, opts); }});
    app.add({"chess", "one master, 24 boards: about 1 h simultaneously, 12 h one at a time (a Lock)", demo_chess});
    app.add({"cancel", "cancel a waiting task, catch and clean up, wait_for timing out", demo_cancel});
    app.add({"selfish", "a task that never awaits starves the others; debug mode; sleep(0) fixes it", demo_selfish});
    app.add({"bench", "tasks created and completed per second, Queue round trips per second (wall time)",
             demo_bench, /*deterministic=*/false});
    app.add({"recv-chain", "one sock_recv() through loop, callback, Future, Task and coroutine, from the trace",
             demo_recv_chain});
    app.add({"echo", "a streams echo server and 20 clients with readline, one thread, every line checked",
             [&](DemoContext& ctx) { demo_echo(ctx, opts); }});
    app.add({"random-int", "three coroutines draw seeded random integers until each beats its threshold, gathered",
             [&](DemoContext& ctx) { demo_random_int(ctx, opts); }});
    app.add({"restaurant", "one waiter, three customers: 16 min one table at a time, 10 min gathered", demo_restaurant});
    app.add({"echo-protocol", "the echo workload against a Protocol server: the loop pushes chunks, the clients pull lines",
             [&](DemoContext& ctx) { demo_echo_protocol(ctx, opts); }});
    app.set_tour("await-vs-task");
    if (auto code = app.parse(argc, argv)) return *code;
    if (serve_port >= 0) return serve_echo(static_cast<std::uint16_t>(serve_port));
    return app.run();
}
