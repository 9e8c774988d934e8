#include "looplab/fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace looplab {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

void UniqueFd::reset(int fd) {
    // close() is not retried on EINTR: on Linux the descriptor is gone either way, and a retry could
    // close a descriptor another thread just received.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

int check(int result, const char* call) {
    if (result < 0) throw std::system_error(errno, std::generic_category(), call);
    return result;
}

ssize_t check(ssize_t result, const char* call) {
    if (result < 0) throw std::system_error(errno, std::generic_category(), call);
    return result;
}

void set_nonblocking(int fd) {
    const int flags = check(::fcntl(fd, F_GETFL), "fcntl(F_GETFL)");
    check(::fcntl(fd, F_SETFL, flags | O_NONBLOCK), "fcntl(F_SETFL, O_NONBLOCK)");
}

void set_cloexec(int fd) {
    const int flags = check(::fcntl(fd, F_GETFD), "fcntl(F_GETFD)");
    check(::fcntl(fd, F_SETFD, flags | FD_CLOEXEC), "fcntl(F_SETFD, FD_CLOEXEC)");
}

Pipe make_pipe() {
    int fds[2];
    check(::pipe2(fds, O_CLOEXEC), "pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::pair<UniqueFd, UniqueFd> make_socketpair() {
    int fds[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace looplab
