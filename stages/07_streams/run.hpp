/// @file
/// @brief run(main): the entry point. Make a loop, run main to completion, clean up, close.
///
/// **What this file adds.** asyncio.run() in C++: the four things every program does around its loop,
/// done once and in the right order:
///  1. make an EventLoop on the given clock (with the tracer and exception handler, and debug mode
///     when asked);
///  2. run `main` as a Task until it is done (run_until_complete);
///  3. cancel every task that is still pending and run the loop until they have all finished their
///     cleanup, so none is destroyed half-way ("Task was destroyed but it is pending!" is reserved
///     for loops closed without this courtesy). A task that fails during that cleanup is reported;
///  4. close the loop.
/// Then main's result is returned, or its exception rethrown.
///
/// **What it leaves out.** asyncio.run's shutdown of async generators and of the default executor
/// (looplab has neither yet), and its refusal to run inside another running loop is the loop's own
/// check (C12).
///
/// **What it costs.** One loop; the cleanup pass, one Future and a done-callback per task left.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "coroutine.hpp"
#include "event_loop.hpp"
#include "future.hpp"
#include "gather.hpp"
#include "looplab/clock.hpp"
#include "looplab/trace.hpp"
#include "queue.hpp"
#include "shield.hpp"
#include "sleep.hpp"
#include "sync.hpp"
#include "task.hpp"
#include "timeout.hpp"
#include "wait_for.hpp"

namespace looplab::inline stage07 {

/// How run() sets up its loop.
struct RunOptions {
    bool debug = false;                 ///< debug mode: report slow callbacks (C14)
    Tracer* tracer = nullptr;           ///< scheduling events go here when it is on
    ExceptionHandler exception_handler; ///< empty: the default (print to stderr)
};

/// Cancels every pending task of `loop` and runs the loop until they are all done (step 3 of run()).
/// asyncio does this with gather(); a count of the tasks still running does the same without it.
inline void cancel_all_tasks(EventLoop& loop) {
    std::vector<AnyTask> pending = loop.all_tasks();
    if (pending.empty()) return;
    for (AnyTask& t : pending) t.cancel();
    Future<void> all_done(loop, "cancel_all_tasks");
    auto left = std::make_shared<std::size_t>(pending.size());
    for (AnyTask& t : pending) {
        t.state()->add_callback([all_done, left](detail::FutureBase&) {
            if (--*left == 0) all_done.set_result();
        }, "cancel_all_tasks");
    }
    loop.run_until_complete(all_done);
    for (AnyTask& t : pending) {
        if (t.cancelled()) continue;
        if (std::exception_ptr e = t.state()->exception())
            loop.call_exception_handler({"unhandled exception during run() shutdown", e, t.name()});
    }
}

/// Runs `main` on a new loop over `clock` and returns its result; see the file comment.
template <typename T>
T run(Coroutine<T> main, Clock& clock, RunOptions options = {}) {
    EventLoop loop(clock, std::make_unique<SelectSelector>(), options.tracer);
    loop.set_exception_handler(std::move(options.exception_handler));
    loop.set_debug(options.debug);
    struct Cleanup {
        EventLoop& loop;
        ~Cleanup() {
            try {
                cancel_all_tasks(loop);
            } catch (...) {
                loop.call_exception_handler({"run(): cleanup failed", std::current_exception(), "run"});
            }
            loop.close();
        }
    } cleanup{loop};
    return loop.run_until_complete(Future<T>(loop.create_task(std::move(main), "main")));
}

} // namespace looplab::stage07
