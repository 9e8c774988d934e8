/// @file
/// @brief run(main): the entry point. Make a loop, run main to completion, clean up, close.
///
/// **What this file adds.** asyncio.run(): a loop on the given clock runs `main` as a Task; then every
/// task still pending is cancelled and the loop runs until they have cleaned up (failures reported),
/// so none is destroyed half-way; then the loop closes, and main's result (or exception) comes back.
///
/// Stage 08: closing the loop also waits for every job of its executor, as asyncio.run() does
/// (shutdown_default_executor()); a job that never returns keeps run() from returning.
///
/// **What it leaves out.** Async generators. **What it costs.** One loop; for cleanup, a Future and
/// a done-callback per task left.
#pragma once

#include "executor.hpp"
#include "gather.hpp"
#include "queue.hpp"
#include "shield.hpp"
#include "signals.hpp"
#include "sleep.hpp"
#include "sync.hpp"
#include "task.hpp"
#include "timeout.hpp"
#include "wait_for.hpp"

namespace looplab::inline stage08 {

/// How run() sets up its loop.
struct RunOptions {
    bool debug = false;                 ///< debug mode: report slow callbacks (C14)
    Tracer* tracer = nullptr;           ///< scheduling events go here when it is on
    ExceptionHandler exception_handler; ///< empty: the default (print to stderr)
    int workers = 4;                    ///< threads of the default executor (run_in_executor, to_thread)
    Duration watchdog{0};               ///< > 0: a Watchdog reports callbacks running longer than this
    Watchdog::Report watchdog_report;   ///< where its reports go (empty: standard error)
};

/// Cancels every pending task of `loop` and runs the loop until they are all done. asyncio awaits
/// gather() of them; waiting for each in turn ends at the same point, as they all run meanwhile.
inline void cancel_all_tasks(EventLoop& loop) {
    std::vector<AnyTask> pending = loop.all_tasks();
    for (AnyTask& t : pending) t.cancel();
    for (AnyTask& t : pending) loop.run_until_done(*t.state());
    for (AnyTask& t : pending)
        if (std::exception_ptr e = t.cancelled() ? nullptr : t.state()->exception())
            loop.call_exception_handler({"unhandled exception during run() shutdown", e, t.name()});
}

/// Runs `main` on a new loop over `clock` and returns its result; see the file comment.
template <typename T>
T run(Coroutine<T> main, Clock& clock, RunOptions options = {}) {
    std::optional<Watchdog> watchdog;   // before the loop: it must outlive every callback
    if (options.watchdog > Duration{0}) watchdog.emplace(options.watchdog, options.watchdog_report);
    EventLoop loop(clock, make_selector(), options.tracer);
    loop.set_watchdog(watchdog ? &*watchdog : nullptr);
    loop.set_exception_handler(std::move(options.exception_handler));
    loop.set_debug(options.debug);
    loop.set_default_executor_workers(options.workers);
    struct Cleanup {
        EventLoop& loop;
        ~Cleanup() {
            try { cancel_all_tasks(loop); }
            catch (...) { loop.call_exception_handler({"run(): cleanup failed", std::current_exception(), "run"}); }
            loop.close();
        }
    } cleanup{loop};
    return loop.run_until_complete(Future<T>(loop.create_task(std::move(main), "main")));
}

} // namespace looplab::stage08
