// Demo `to-thread`: stage 03's `blocking` demo again, three tickers and a coroutine that makes a
// blocking call of 1 s, but the call now runs on a worker thread, through to_thread(), so the
// tickers keep ticking. Then a file is read through a thread, as aiofiles does, and a failing read
// shows where the thread's exception goes.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "demos/demos.hpp"

namespace looplab::inline stage08 {

namespace {

// Ticks on a fixed schedule (start + k * delay), and says how late each tick ran.
Coroutine<void> ticker(std::string name, int steps, Duration delay, Narrator* say) {
    const Duration start = get_running_loop().time();
    for (int step = 1; step <= steps; ++step) {
        const Duration due = start + delay * step;
        co_await sleep(to_seconds(due - get_running_loop().time()));
        const Duration late = get_running_loop().time() - due;
        say->task_line(name, "tick " + std::to_string(step) + " due " + format_time(due) + ", ran at " + loop_now() +
                                 (late > seconds(0.05) ? "  <- " + format_time(late) + " late" : ""));
    }
}

// The blocking call, now on a worker: std::this_thread::sleep_for stands for time.sleep(1), a
// blocking read, a long computation. It must not touch the loop, its clock or its narrator: it runs
// on another thread, and none of them has a lock.
int blocking_call() {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return 42;
}

Coroutine<void> blocker(Duration after, Narrator* say) {
    co_await sleep(to_seconds(after));
    say->task_line("blocker", "at " + loop_now() + " hands a blocking call of 1 s to a thread");
    const int answer = co_await to_thread(blocking_call);
    say->task_line("blocker", "at " + loop_now() + " has the thread's answer: " + std::to_string(answer));
}

Coroutine<void> scene(int tickers, int steps, Duration delay, Narrator* say) {
    std::vector<Task<void>> all;
    for (int i = 1; i <= tickers; ++i)
        all.push_back(create_task(ticker("ticker " + std::to_string(i), steps, delay, say), "ticker " + std::to_string(i)));
    all.push_back(create_task(blocker(delay * 5 / 2, say), "blocker"));
    for (Task<void>& t : all) co_await t;
}

// What aiofiles does for open().read(): the whole blocking read on a worker thread.
std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path + " for reading");
    std::ostringstream all;
    all << in.rdbuf();
    return all.str();
}

Coroutine<void> read_through_a_thread(std::string path, Narrator* say) {
    // The lambda is named, not a temporary inside the co_await: GCC 12 may destroy a temporary with a
    // non-trivial capture (here a std::string) in a co_await expression twice.
    auto read_it = [path] { return read_file(path); };
    const std::string text = co_await to_thread(read_it);
    say->task_line("reader", loop_now() + " read " + std::to_string(text.size()) + " bytes, " +
                                 std::to_string(std::count(text.begin(), text.end(), '\n')) + " lines, through a thread");
    try {
        co_await to_thread([] { return read_file("/nonexistent/looplab.txt"); });
    } catch (const std::runtime_error& e) {
        say->task_line("reader", loop_now() + " the thread's exception reached the coroutine: " + e.what());
    }
}

} // namespace

void demo_to_thread(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const Duration delay = seconds(0.2);
    say.heading("A blocking call on a thread, and everybody keeps going");
    say.say("Stage 03's blocking demo again: three tickers tick every 0.2 s, and the blocker makes a blocking call "
            "of 1 s. This time it awaits to_thread(blocking_call): the call runs on one of " +
            std::to_string(opts.workers) + " worker threads, the loop's thread stays free, and the answer comes back "
            "through call_soon_threadsafe, on the loop's thread.");
    if (ctx.clock.is_virtual())
        say.say("On the virtual clock a thread still takes real time, so the loop waits for it, for real, and the clock "
                "does not jump past its result: the tickers pause while the thread works, and the times below do not "
                "move. Run it on the real clock to see them tick through the blocking second.");
    say.source("read executor.hpp, then threadsafe_queue.hpp and thread_pool.hpp");
    say.gap();
    run(scene(3, 8, delay, &say), ctx.clock, demo_run_options(ctx, opts));

    say.heading("A file read through a thread, as aiofiles does");
    say.say("select() and epoll call a regular file always ready, and then read() waits for the disk: so a loop "
            "reads files on a thread. An exception thrown there travels back through the Future.");
    char path[] = "/tmp/looplab-to-thread-XXXXXX";
    UniqueFd file(check(::mkstemp(path), "mkstemp"));
    std::string lines;
    for (int i = 1; i <= 1000; ++i) lines += "line " + std::to_string(i) + "\n";
    check(::write(file.get(), lines.data(), lines.size()), "write");
    run(read_through_a_thread(path, &say), ctx.clock, demo_run_options(ctx, opts));
    ::unlink(path);
    say.gap();
    say.say("Cancelling a task that awaits to_thread() stops the waiting, not the thread: the call runs to its end "
            "and its result is dropped. And run() waits for every thread job before it returns.");
}

} // namespace looplab::stage08
