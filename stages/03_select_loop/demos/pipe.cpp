// Demo `pipe`: the demo starts a helper child process that writes a line into a pipe every 0.2 s.
// One coroutine reads the lines while two tickers tick; the reader is resumed only when a line has
// arrived. The child's timing is real time, so this demo is not in the golden transcripts.
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>
#include <unistd.h>

#include "demos/demos.hpp"
#include "loop.hpp"
#include "looplab/fd.hpp"
#include "looplab/process.hpp"

namespace looplab::inline stage03 {

namespace {
constexpr std::size_t line_size = 24;   // every line the child writes is exactly this long

Coroutine<> ticker(std::string name, int steps, Duration delay, const Clock* clock, Narrator* say) {
    for (int step = 1; step <= steps; ++step) {
        co_await Sleep{clock->now() + delay};
        say->task_line(name, "tick " + std::to_string(step) + " at " + format_time(clock->now()));
    }
}

// Read waits for `amount` bytes, so the child writes fixed-size lines and the reader asks for one
// line at a time. (A real line protocol needs readline(), which stage 07's streams provide.)
Coroutine<> line_reader(std::string name, int fd, const Clock* clock, Narrator* say) {
    while (true) {
        std::string line = co_await Read{fd, line_size};
        if (line.empty()) {
            say->task_line(name, "end of file at " + format_time(clock->now()) + ": the child closed its end");
            co_return;
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
        say->task_line(name, "\"" + line + "\" at " + format_time(clock->now()));
    }
}

// The child's whole life: a line every `period`, then exit (which closes its end of the pipe).
int write_lines(int fd, int lines, long period_ms) {
    for (int i = 1; i <= lines; ++i) {
        timespec pause{period_ms / 1000, (period_ms % 1000) * 1000000L};
        while (::nanosleep(&pause, &pause) != 0 && errno == EINTR) {}
        char text[line_size + 1];
        std::snprintf(text, sizeof text, "%-*s\n", static_cast<int>(line_size - 1),
                      ("line " + std::to_string(i) + " of " + std::to_string(lines)).c_str());
        if (::write(fd, text, line_size) != static_cast<ssize_t>(line_size)) return 1;   // reader gone
    }
    return 0;
}
} // namespace

void demo_pipe(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    constexpr int lines = 5;
    constexpr long period_ms = 200;

    say.heading("A reader of a slow pipe, and two tickers");
    say.say("The demo starts a child process (fork) that writes a " + std::to_string(line_size) +
            "-byte line into a pipe every 0.2 s, five times, then exits. The reader awaits Read{fd, " +
            std::to_string(line_size) + "}: select() keeps it asleep until the pipe has bytes, so it "
            "is resumed only when a line has arrived, and the tickers run in between. Try --timeline: "
            "the reader's row is all waiting but for a blip every 0.2 s.");
    say.say("This demo is not deterministic: the lines come on the child's real-time schedule, whatever "
            "the clock. With --clock virtual the tickers race through their virtual time at once, and "
            "then, with only the pipe left, the loop blocks in select() for real and the lines arrive "
            "with the virtual clock standing still.");
    say.source("read SelectLoop::wait() in loop.hpp, and common/include/looplab/process.hpp");
    say.gap();

    FrameWatch frames;
    Pipe pipe = make_pipe();
    const int write_end = pipe.write.get();
    // Owned by this scope: if anything below throws, the destructor terminates and reaps the child.
    // If this process is killed instead, the kernel sends the child SIGTERM (see process.hpp).
    ChildProcess child = ChildProcess::start([write_end] { return write_lines(write_end, lines, period_ms); });
    // Our copy of the write end must go, or the reader would never see end of file: the pipe stays
    // open while anyone holds a write end.
    pipe.write.reset();
    say.line("started the writer: child process " + std::to_string(child.pid()));

    SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
    loop.spawn("reader", line_reader("reader", pipe.read.get(), &ctx.clock, &say));
    loop.spawn("tick-fast", ticker("tick-fast", 7, seconds(0.15), &ctx.clock, &say));
    loop.spawn("tick-slow", ticker("tick-slow", 4, seconds(0.25), &ctx.clock, &say));
    loop.run();

    const int status = child.wait();
    say.gap();
    say.line("the child exited with status " + std::to_string(status) + " and was reaped; " +
             std::to_string(loop.stats().selects) + " select() calls for " + std::to_string(loop.stats().resumes) +
             " resumes; " + frames.line());
    if (status != 0) throw std::runtime_error("the writer child failed with status " + std::to_string(status));
}

} // namespace looplab::stage03
