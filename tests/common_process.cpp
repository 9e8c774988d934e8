// common/process.hpp: a child is reaped by its owner, killed when its owner is destroyed while it
// still runs, and dies with its parent even when the parent's destructors never run.
#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "looplab/fd.hpp"
#include "looplab/process.hpp"

using namespace looplab;

namespace {
// True once nobody holds the write end of `p` any more: read() sees end of file. Waits at most
// `ms` milliseconds for it (a liveness bound for a dead test, not a timing assertion).
bool sees_eof(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    while (true) {
        const int n = ::poll(&p, 1, ms);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        char c;
        const ssize_t r = ::read(fd, &c, 1);
        if (r == 0) return true;
        if (r < 0) return false;
    }
}
} // namespace

TEST_CASE("wait() reaps the child and returns its exit code") {
    ChildProcess child = ChildProcess::start([] { return 3; });
    const pid_t pid = child.pid();
    CHECK(pid > 0);
    CHECK(child.wait() == 3);
    CHECK(child.pid() == 0);
    CHECK(child.wait() == 3);
    // Reaped: the pid is no longer our child.
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
}

TEST_CASE("a child whose function throws exits with code 1") {
    ChildProcess child = ChildProcess::start([]() -> int { throw std::runtime_error("deliberate, from a test"); });
    CHECK(child.wait() == 1);
}

TEST_CASE("destroying the owner of a running child terminates and reaps it") {
    pid_t pid = 0;
    {
        ChildProcess child = ChildProcess::start([] {
            ::pause();   // until a signal kills it
            return 0;
        });
        pid = child.pid();
    }
    CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
    ChildProcess other = ChildProcess::start([] {
        ::pause();
        return 0;
    });
    CHECK(other.terminate() == 128 + SIGTERM);
}

TEST_CASE("a child dies with its parent even when the parent's destructors never run") {
    // The test process starts a middle process, which starts a grandchild holding the write end of a
    // pipe, then leaves with _exit() (as if killed: no destructors). The grandchild must die too,
    // which the test sees as end of file on the pipe.
    Pipe pipe = make_pipe();   // forked children inherit both ends (no exec, so close-on-exec does not apply)
    ChildProcess middle = ChildProcess::start([]() -> int {
        ChildProcess grandchild = ChildProcess::start([] {
            ::pause();
            return 0;
        });
        (void)grandchild;
        ::_exit(0);
    });
    // The middle process and the grandchild inherited the write end; ours must go, or EOF never comes.
    pipe.write.reset();
    CHECK(middle.wait() == 0);
    CHECK(sees_eof(pipe.read.get(), 10000));
}
