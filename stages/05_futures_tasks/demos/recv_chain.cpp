// Demo `recv-chain`: one sock_recv() followed through the split, from the trace. A task awaits
// sock_recv() on one end of a socketpair; a timer callback sends 12 bytes into the other end at
// 1 s. Every step between is a trace event (the loop's, the reader callback's notes, the Future's
// call_soon note, the Task's resume), kept in memory and printed after the run, one line each, with
// the layer that took the step. The output names no fd and no address, so an asyncio twin can print
// the same lines.
#include <string>
#include <sys/socket.h>
#include <vector>

#include "demos/demos.hpp"
#include "looplab/fd.hpp"
#include "sockets.hpp"

namespace looplab::inline stage05 {

namespace {

const std::string kMessage = "hello, world";

Coroutine<std::string> receive(int sock) { co_return co_await sock_recv(sock, 100); }

// Which layer of the split took a step, from the event alone: the loop queues callbacks (I/O ready,
// timer due); a Task resumes and suspends; a Future schedules its done-callbacks (call_soon); the
// callbacks (named "... callback") make system calls and complete Futures; what a task's own row
// notes happened inside its coroutine.
std::string layer(const TraceEvent& e, const std::string& who) {
    switch (e.kind) {
    case TraceKind::IoReady:
    case TraceKind::TimerDue: return "loop";
    case TraceKind::Resume:
    case TraceKind::Suspend:
    case TraceKind::Done:
    case TraceKind::Error: return "Task";
    case TraceKind::Note: break;
    }
    if (e.detail.rfind("call_soon(", 0) == 0) return "Future";
    if (who.size() > 9 && who.compare(who.size() - 9, 9, " callback") == 0) return "callback";
    return "coroutine";
}

// What the step was, in words, from the event's detail (without the fd number a trace line shows).
std::string step_text(const TraceEvent& e, const std::string& who) {
    switch (e.kind) {
    case TraceKind::IoReady: return "select(): the socket is readable; queue " + who;
    case TraceKind::TimerDue: return "the timer is due; queue " + who;
    case TraceKind::Resume: return "step() resumes " + who;
    case TraceKind::Suspend: return who + " suspends, waiting for the Future " + e.detail;
    case TraceKind::Done: return who + " is done";
    case TraceKind::Error: return who + " failed: " + e.detail;
    case TraceKind::Note: break;
    }
    if (e.detail.rfind("call_soon(", 0) == 0) return "Future " + who + " is done: " + e.detail;
    return (who.size() > 9 && who.compare(who.size() - 9, 9, " callback") == 0 ? who + ": " : "") + e.detail;
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.resize(width, ' ');
    return s;
}

} // namespace

void demo_recv_chain(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("One recv(), through loop, callback, Future, Task and coroutine");
    say.say("A task named reader awaits sock_recv() on one end of a socketpair. Nothing is there yet, so "
            "sock_recv() registers a reader callback with add_reader() and awaits a Future. At 1 s a "
            "timer callback sends \"" + kMessage + "\" into the other end. The lines below are the "
            "trace of that one recv(), step by step, each with the layer that took it (run with --trace "
            "to see the raw events).");
    say.source("read sock_recv() in sockets.hpp, FutureBase::schedule_callbacks() in future.hpp, "
               "TaskBase::step() in task.hpp");
    say.gap();

    // The steps come from the trace, so keep its events even when no trace view was asked for.
    ctx.trace.keep_events(true);
    auto [near, far] = make_socketpair();
    set_nonblocking(near.get());
    std::string got;
    {
        EventLoop loop(ctx.clock, std::make_unique<SelectSelector>(), &ctx.trace);
        Narrator* narrator = &say;
        loop.set_exception_handler([narrator](const ErrorContext& c) { narrator->line("loop reports: " + format_report(c)); });
        const int sender_fd = far.get();
        loop.call_later(
            seconds(1),
            [sender_fd, &loop] {
                check(::send(sender_fd, kMessage.data(), kMessage.size(), MSG_NOSIGNAL), "send");
                if (loop.tracing()) loop.tracer()->note("sender callback", "send() " + std::to_string(kMessage.size()) + " bytes into the other end");
            },
            "sender callback");
        got = loop.run_until_complete(loop.create_task(receive(near.get()), "reader"));
        loop.close();
    }

    // Print the steps of the reader task, its sock_recv and the sender, in the order they happened.
    const std::vector<std::string>& names = ctx.trace.tasks();
    int n = 0;
    int first = 0;   // the lesson: from select() waking to the coroutine resuming
    int last = 0;
    for (const TraceEvent& e : ctx.trace.events()) {
        const std::string& who = names[static_cast<std::size_t>(e.task)];
        const bool ours = who == "reader" || who == "sock_recv" || who == "sock_recv callback" || who == "sender callback";
        if (!ours) continue;
        if (who == "reader" && e.kind == TraceKind::Note && e.detail.rfind("call_soon(", 0) == 0) continue;   // after the end
        ++n;
        if (e.kind == TraceKind::IoReady && who == "sock_recv callback") first = n;
        if (e.kind == TraceKind::Note && e.detail.rfind("sock_recv: resumes", 0) == 0) last = n;
        say.line(pad(std::to_string(n), 3) + format_time(e.at) + "  " + pad(layer(e, who), 11) + step_text(e, who));
    }
    say.line("the coroutine got \"" + got + "\"");
    say.gap();
    say.say("Steps " + std::to_string(first) + " to " + std::to_string(last) + " are the lesson. select() only says the socket is readable; the loop queues the "
            "reader callback, which makes the recv() and completes the Future with the bytes. The Future "
            "does not resume anybody itself: it schedules its done-callback, the task's wake-up, with "
            "call_soon. One iteration later the wake-up runs step(), which resumes the coroutine exactly "
            "where it awaited, and sock_recv() returns the bytes to it. Had the bytes been there at the "
            "first try, none of this would have happened: sock_recv() would have returned at once.");
}

} // namespace looplab::stage05
