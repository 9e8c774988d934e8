/// @file
/// @brief File descriptors without leaks or silent failures.
///
/// Two rules every loop stage relies on: a descriptor is closed exactly once, by the object that owns
/// it (UniqueFd), and a failing system call never goes unnoticed: check() turns a -1 into a
/// std::system_error whose message starts with the call's name ("pipe: Too many open files").
#pragma once

#include <sys/types.h>
#include <utility>

namespace looplab {

/// Owns one file descriptor and closes it when destroyed. Move-only, like std::unique_ptr.
class UniqueFd {
public:
    /// An empty owner (holds -1).
    UniqueFd() = default;
    /// Takes ownership of `fd`.
    explicit UniqueFd(int fd) : fd_(fd) {}
    /// Takes ownership from `other`, leaving it empty.
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    /// Closes what this holds, then takes ownership from `other`.
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    /// Closes the descriptor, if any.
    ~UniqueFd() { reset(); }

    /// The descriptor, still owned.
    [[nodiscard]] int get() const { return fd_; }
    /// True when a descriptor is held.
    explicit operator bool() const { return fd_ >= 0; }
    /// Gives up ownership without closing and returns the descriptor.
    int release() { return std::exchange(fd_, -1); }
    /// Closes the held descriptor (if any) and holds `fd` instead.
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

/// Returns `result` unless it is negative; then throws std::system_error(errno) whose message names
/// `call`. Use it on every system call: `check(pipe(fds), "pipe")`.
int check(int result, const char* call);
/// The same for calls that return ssize_t (read, write, send, recv).
ssize_t check(ssize_t result, const char* call);

/// Sets O_NONBLOCK on `fd`: calls that would wait fail with EAGAIN instead.
void set_nonblocking(int fd);
/// Sets FD_CLOEXEC on `fd`, so a child process started later does not inherit it.
void set_cloexec(int fd);

/// Both ends of a pipe: bytes written to `write` come out of `read`.
struct Pipe {
    UniqueFd read;   ///< the read end
    UniqueFd write;  ///< the write end
};
/// Makes a pipe whose ends close on exec.
Pipe make_pipe();

/// Two connected UNIX stream sockets: what one sends, the other receives.
std::pair<UniqueFd, UniqueFd> make_socketpair();

} // namespace looplab
