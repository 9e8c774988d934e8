// Stage 03: a select loop. main() only registers the demos and binds the stage's options; the
// lesson is in coroutine.hpp and loop.hpp, and the demos are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("03-select-loop", "Stage 03: a select loop - one select() waits for the next deadline and for fds at once");
    StageOptions opts;
    CLI::App& cli = app.cli();
    cli.add_option("--tasks", opts.tasks, "How many tickers (blocking: 3)")->check(number(1, 100));
    cli.add_option("--steps", opts.steps, "How many ticks each (urandom: 5; blocking: 8)")->check(number(1, 1000));
    cli.add_option("--delay", opts.delay, "Seconds between ticks (urandom, blocking)")
        ->check(number(0.0, 10.0))
        ->capture_default_str();
    cli.add_option("--queue", "The timer queue: list (sorted again on every insert) or heap")
        ->check(CLI::IsMember({"list", "heap"}))
        ->each([&opts](const std::string& kind) { opts.queue = kind == "list" ? QueueKind::List : QueueKind::Heap; })
        ->default_str("heap");

    app.add({"urandom", "a sleeper and a reader of /dev/urandom; why files are always \"ready\"",
             [&](DemoContext& ctx) { demo_urandom(ctx, opts); }});
    app.add({"pipe", "a child process writes a line every 0.2 s; the reader wakes only when one arrives",
             [&](DemoContext& ctx) { demo_pipe(ctx, opts); }, /*deterministic=*/false});
    app.add({"blocking", "one blocking call of 1 s freezes every other coroutine",
             [&](DemoContext& ctx) { demo_blocking(ctx, opts); }});
    app.set_tour("pipe");
    return app.main(argc, argv);
}
