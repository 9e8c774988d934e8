/// @file
/// @brief add_signal_handler(): a Unix signal delivered as an ordinary callback on the loop.
///
/// **What this file adds.** A signal handler interrupts whatever the thread was doing, between any
/// two instructions, and may call almost nothing (no locks, no allocation, no iostreams; POSIX lists
/// the async-signal-safe functions, and write() is one). So the real handler here does one thing:
/// it writes the signal's number, one byte, into a pipe, the **self-pipe**. The loop watches the
/// pipe's other end like any fd; its reader reads the numbers and schedules each signal's callback
/// with call_soon(). The callback then runs as every callback does, on the loop's thread, between
/// two others, free to do anything. A loop asleep in epoll_wait() wakes up because the pipe became
/// readable (and the interrupted epoll_wait() is retried anyway: EINTR, PEP 475). This is asyncio's
/// design (signal.set_wakeup_fd() and a C-level handler); stage 07's `--serve` did it by hand.
///
/// **Why a pipe and not signalfd.** Linux's signalfd reads signals as data, but only signals that are
/// blocked in *every* thread, and the executor's threads may already exist: a signal not blocked in
/// one of them goes there, to its default action. The self-pipe works whichever thread the kernel picks.
///
/// **What it leaves out.** Signals for more than one loop at a time (the handler has one pipe to write
/// to; asyncio allows handlers only in the main thread), SA_SIGINFO's sender details, and counting:
/// two quick SIGINTs may write two bytes or, with the pipe full, one. **What it costs.** A pipe (two
/// fds) while a handler is set; per signal a write(), a read() and a callback.
#pragma once

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <system_error>

#include "event_loop.hpp"
#include "looplab/fd.hpp"

namespace looplab::inline stage08 {

namespace detail {
/// The write end of the one self-pipe; -1 when no loop has signal handlers. Read inside the handler,
/// on whichever thread the kernel picked: an atomic, and a lock-free one, as a signal handler needs.
inline std::atomic<int> signal_pipe_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);

/// The real signal handler: one async-signal-safe write(), errno left as it was.
inline void write_signal_number(int signo) {
    const int saved = errno;
    const unsigned char byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(signal_pipe_fd.load(), &byte, 1);   // pipe full: a byte is waiting already
    errno = saved;
}
} // namespace detail

/// The signal handlers of one loop: the self-pipe, its reader, and the dispositions to restore.
class SignalHandlers {
public:
    /// Makes the self-pipe and watches it on `loop`. RuntimeError if another loop has signal handlers.
    explicit SignalHandlers(EventLoop& loop) : loop_(loop), pipe_(make_pipe()) {
        if (detail::signal_pipe_fd.load() != -1) throw RuntimeError("signal handlers can be set on one event loop at a time");
        set_nonblocking(pipe_.read.get());
        set_nonblocking(pipe_.write.get());   // the handler must never block
        detail::signal_pipe_fd.store(pipe_.write.get());
        loop_.add_reader(pipe_.read.get(), [this] { dispatch(); }, "signal wake-up (self-pipe)");
    }
    SignalHandlers(const SignalHandlers&) = delete;
    /// Restores every disposition it replaced and gives the pipe up.
    ~SignalHandlers() {
        for (const auto& [signo, old] : previous_) ::sigaction(signo, &old, nullptr);
        detail::signal_pipe_fd.store(-1);
        loop_.remove_reader(pipe_.read.get());
    }

    /// Sets (or replaces) `callback` for `signo`. A signal that cannot be caught is a system_error
    /// naming sigaction (SIGKILL, SIGSTOP), as is an invalid number.
    void add(int signo, std::function<void()> callback) {
        struct sigaction action {};
        action.sa_handler = detail::write_signal_number;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;   // a slow system call elsewhere resumes instead of failing with EINTR
        struct sigaction old {};
        if (::sigaction(signo, &action, &old) != 0)
            throw std::system_error(errno, std::generic_category(), "sigaction(" + signal_name(signo) + ")");
        if (!previous_.contains(signo)) previous_[signo] = old;   // the disposition from before us, kept once
        callbacks_[signo] = std::move(callback);
    }
    /// Removes the callback for `signo` and restores what was there before. Returns whether there was one.
    bool remove(int signo) {
        auto it = previous_.find(signo);
        if (it == previous_.end()) return false;
        ::sigaction(signo, &it->second, nullptr);
        previous_.erase(it);
        callbacks_.erase(signo);
        return true;
    }
    [[nodiscard]] bool empty() const { return callbacks_.empty(); }   ///< No handler left?

    /// "SIGINT", or "signal 42".
    static std::string signal_name(int signo) {
        const char* abbrev = signo > 0 && signo < NSIG ? sigabbrev_np(signo) : nullptr;
        return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
    }

private:
    // The pipe's reader: every byte is a signal; its callback goes to the ready queue like any other.
    void dispatch() {
        unsigned char signals[64];
        ssize_t n;
        while ((n = ::read(pipe_.read.get(), signals, sizeof signals)) > 0)
            for (ssize_t i = 0; i < n; ++i)
                if (auto it = callbacks_.find(signals[i]); it != callbacks_.end())
                    loop_.call_soon(it->second, "signal handler " + signal_name(signals[i]));
    }

    EventLoop& loop_;
    Pipe pipe_;
    std::map<int, std::function<void()>> callbacks_;
    std::map<int, struct sigaction> previous_;
};

inline void EventLoop::add_signal_handler(int signo, std::function<void()> callback) {
    check_open();
    if (!signals_) signals_ = std::make_shared<SignalHandlers>(*this);
    try {
        signals_->add(signo, std::move(callback));
    } catch (...) {
        if (signals_->empty()) signals_.reset();   // a refused first handler leaves no pipe behind
        throw;
    }
}

inline bool EventLoop::remove_signal_handler(int signo) {
    if (!signals_ || !signals_->remove(signo)) return false;
    if (signals_->empty()) signals_.reset();   // the pipe goes, and the reader with it
    return true;
}

} // namespace looplab::stage08
