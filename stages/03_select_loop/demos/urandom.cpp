// Demo `urandom`: a ticker and a reader of 32 KiB from /dev/urandom share the loop. /dev/urandom is
// a character device that always has bytes, so select() always says "readable": the reader never
// waits, and what decides the interleaving is the loop's fairness (one read per fd per turn, then
// the timers). Then the lesson of that: regular files are "ready" too, which is why real loops hand
// file I/O to threads.
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/select.h>

#include "demos/demos.hpp"
#include "loop.hpp"
#include "looplab/fd.hpp"

namespace looplab::inline stage03 {

namespace {
Coroutine<> ticker(std::string name, int steps, Duration delay, const Clock* clock, Narrator* say) {
    for (int step = 1; step <= steps; ++step) {
        co_await Sleep{clock->now() + delay};
        say->task_line(name, "tick " + std::to_string(step) + " of " + std::to_string(steps) + " at " +
                                 format_time(clock->now()));
    }
}

Coroutine<> reader(std::string name, int fd, std::size_t total, std::size_t chunk, const Clock* clock,
                   Narrator* say) {
    std::size_t have = 0;
    while (have < total) {
        const std::string bytes = co_await Read{fd, chunk};   // the loop reads; we get the bytes
        if (bytes.empty()) break;                             // end of file (never, for urandom)
        have += bytes.size();
        say->task_line(name, "got " + std::to_string(bytes.size()) + " bytes (" + std::to_string(have) + " of " +
                                 std::to_string(total) + ") at " + format_time(clock->now()));
    }
}

// Does select() say `fd` is readable right now? A zero timeout: a poll, no waiting.
bool readable_now(int fd) {
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    timeval zero{};
    int n;
    do {
        n = ::select(fd + 1, &set, nullptr, nullptr, &zero);
    } while (n < 0 && errno == EINTR);
    check(n, "select");
    return n == 1;
}
} // namespace

void demo_urandom(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int steps = opts.steps > 0 ? opts.steps : 5;
    const Duration delay = seconds(opts.delay);
    constexpr std::size_t total = 32 * 1024, chunk = 4096;

    say.heading("A ticker and a reader of /dev/urandom on one loop");
    say.say("The reader asks for 32 KiB, 4 KiB at a time: std::string bytes = co_await Read{fd, 4096}. "
            "The loop puts the fd in select()'s set; when select() says it is readable, the loop "
            "read()s and resumes the reader with the bytes. The ticker sleeps " + format_time(delay) +
            " between ticks, as in stage 02. Each turn, the loop serves every ready fd once and then "
            "runs the timers that are due, so neither can starve the other.");
    say.source("read SelectLoop::run_once(), wait() and serve() in loop.hpp");
    say.gap();

    FrameWatch frames;
    UniqueFd urandom(check(::open("/dev/urandom", O_RDONLY | O_CLOEXEC), "open(/dev/urandom)"));
    SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
    loop.spawn("ticker", ticker("ticker", steps, delay, &ctx.clock, &say));
    loop.spawn("reader", reader("reader", urandom.get(), total, chunk, &ctx.clock, &say));
    loop.run();
    say.gap();
    say.line("done at " + format_time(ctx.clock.now()) + ": " + std::to_string(loop.stats().selects) +
             " select() calls, " + std::to_string(loop.stats().reads) + " read() calls, " + frames.line());
    say.gap();
    if (ctx.clock.is_virtual())
        say.say("On the virtual clock, reading costs no time and every turn of the loop moves the clock to "
                "the next deadline: so one 4 KiB read per turn, one tick per turn, and the reader's "
                "chunks land " + format_time(delay) + " apart until the ticker is done, then all at once. On the real clock "
                "(run it without --clock virtual) the reader takes all 32 KiB in well under a "
                "millisecond, before the first tick is due: /dev/urandom never makes anyone wait.");
    else
        say.say("On the real clock the reader took all 32 KiB in well under a millisecond, before the "
                "first tick was due: /dev/urandom never makes anyone wait, so the reader was resumed "
                "turn after turn while the ticker slept. On the virtual clock (--clock virtual) every "
                "turn moves time to the next deadline, so there the chunks interleave with the ticks.");

    say.heading("Why a file is always \"ready\"");
    UniqueFd self(check(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC), "open(/proc/self/exe)"));
    say.line(std::string("select() on /dev/urandom (a character device): ") +
             (readable_now(urandom.get()) ? "readable" : "not readable"));
    say.line(std::string("select() on /proc/self/exe (this program, a regular file): ") +
             (readable_now(self.get()) ? "readable" : "not readable"));
    say.say("select() answers one question: would a read() return without waiting *for someone else*? "
            "A pipe or a socket can be empty until the other end writes, so for them \"not ready\" "
            "is a real answer. A regular file, or a device like /dev/urandom, has no other end: its "
            "bytes are there, and the kernel always says ready. But a read() from a file on a slow or "
            "busy disk still blocks the thread while the disk works, and select() cannot warn you. "
            "That is why real event loops hand file I/O to a pool of threads (asyncio's to_thread, "
            "libuv's thread pool): readiness only means something for pipes, sockets and terminals.");
}

} // namespace looplab::stage03
