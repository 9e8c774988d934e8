#include "looplab/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace looplab {

ChildProcess ChildProcess::start(const std::function<int()>& body) {
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid > 0) return ChildProcess(pid);

    // The child. Ask for SIGTERM when the parent dies, then check it has not died already (it may
    // have, between fork() and prctl(), and then no signal would ever come).
    int code = 1;
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(1);
    try {
        code = body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "child process: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "child process: an unknown exception\n");
    }
    // _exit, not exit: no atexit handlers, no flushing of the stdio buffers copied from the parent.
    ::_exit(code);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, 0)), status_(other.status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0) terminate();
        pid_ = std::exchange(other.pid_, 0);
        status_ = other.status_;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) terminate();
}

int ChildProcess::wait() {
    if (pid_ > 0) {
        int status = 0;
        pid_t r;
        do {
            r = ::waitpid(pid_, &status, 0);
        } while (r < 0 && errno == EINTR);
        if (r < 0) status_ = 255;   // not our child any more (someone else reaped it): nothing to wait for
        else status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = 0;
    }
    return status_;
}

int ChildProcess::terminate() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    return wait();
}

} // namespace looplab
