/// @file
/// @brief A helper child process that a demo starts, and that never outlives the demo.
///
/// Stage 03's `pipe` demo needs something on the other end of a pipe that writes slowly, on its own
/// schedule: a second process. ChildProcess forks one that runs a function (no exec, no shell, no
/// second binary to find) and guarantees three things:
///  - its owner reaps it: the destructor terminates a child that is still running (SIGTERM) and
///    waits for it, so a demo that throws half-way leaves neither an orphan nor a zombie;
///  - it dies with its parent: the child asks the kernel (Linux's PR_SET_PDEATHSIG) for SIGTERM when
///    the parent dies, so even a parent killed by SIGINT, SIGTERM or SIGKILL, whose destructors never
///    run, takes the child with it;
///  - it never runs the parent's code: the child leaves with `_exit()`, so it cannot return into the
///    caller's stack, run its destructors or flush the parent's buffered output a second time.
///
/// What it leaves out: exec, redirections, process groups. The function runs in a copy of the
/// parent's memory, so it may use what it captured, but nothing it changes reaches the parent.
#pragma once

#include <functional>
#include <sys/types.h>

namespace looplab {

/// A forked child running a function; see the file comment.
class ChildProcess {
public:
    /// Forks. The child runs `body` and exits with the code it returns (1 if it throws, after
    /// printing the error on stderr). Throws std::system_error naming fork if the fork fails.
    static ChildProcess start(const std::function<int()>& body);

    /// Takes ownership of `other`'s child.
    ChildProcess(ChildProcess&& other) noexcept;
    /// Terminates and reaps our child (if any), then takes `other`'s.
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    /// A child still running is sent SIGTERM and waited for: it never outlives its owner.
    ~ChildProcess();

    /// The child's process id; 0 once it has been reaped.
    [[nodiscard]] pid_t pid() const { return pid_; }
    /// Waits for the child to exit and reaps it. Returns its exit code, or 128 + the signal number
    /// if a signal killed it (the shell's convention). EINTR is retried. Calling it again returns
    /// the same code.
    int wait();
    /// Sends SIGTERM (if the child is still running), then wait()s.
    int terminate();

private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = 0;
    int status_ = -1;
};

} // namespace looplab
