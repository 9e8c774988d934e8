// Test rig for "EINTR is retried": interrupts the calling thread with a signal while it is blocked
// inside select(), and makes the signal handler write the one byte the blocked loop is waiting for.
// A loop that reported EINTR as an error (or gave up on it) fails its test; only a loop that retries
// the interrupted select() sees the byte. Shared by the select-loop stages' tests.
#pragma once

#include <chrono>
#include <csignal>
#include <fstream>
#include <pthread.h>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "looplab/fd.hpp"

namespace looplab::testing {

namespace detail {
inline int interrupt_wake_fd = -1;

extern "C" inline void interrupt_on_usr1(int) {
    const char byte = '!';
    [[maybe_unused]] ssize_t r = ::write(interrupt_wake_fd, &byte, 1);
}

// The system call a thread is blocked in, from /proc (-1 if unknown).
inline long current_syscall(pid_t tid) {
    std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/syscall");
    long number = -1;
    f >> number;
    return number;
}
} // namespace detail

/// Runs `block()` on this thread; it must block in select() until `wake_fd` (the write end of
/// something the loop reads) gets a byte. A helper thread waits until /proc shows this thread inside
/// select (or pselect6, which glibc may use for it), then sends SIGUSR1, whose handler (installed
/// without SA_RESTART, and restored afterwards) writes '!' into `wake_fd`.
template <typename Block>
void interrupt_select_with_byte(int wake_fd, Block block) {
    detail::interrupt_wake_fd = wake_fd;
    struct sigaction action {}, old {};
    action.sa_handler = detail::interrupt_on_usr1;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;   // no SA_RESTART (select() is never restarted anyway)
    looplab::check(::sigaction(SIGUSR1, &action, &old), "sigaction");   // a failure fails the test

    const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
    const pthread_t thread = ::pthread_self();
    std::thread signaller([tid, thread] {
        for (int i = 0; i < 5000; ++i) {
            const long n = detail::current_syscall(tid);
#ifdef SYS_select
            if (n == SYS_select) break;
#endif
            if (n == SYS_pselect6) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ::pthread_kill(thread, SIGUSR1);
    });
    // Join and restore on every path: if the loop under test throws (say, it reports EINTR instead
    // of retrying), the test must fail with that error, not abort on a joinable thread.
    try {
        block();
    } catch (...) {
        signaller.join();
        ::sigaction(SIGUSR1, &old, nullptr);
        throw;
    }
    signaller.join();
    ::sigaction(SIGUSR1, &old, nullptr);
}

} // namespace looplab::testing
