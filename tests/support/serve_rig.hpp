// The `--serve 0` end-to-end test, minus its clients: shared by the stages whose binary has `--serve
// PORT` with stage 04's contract. It starts the stage binary as a child process and reads the port
// from its first line, connects the misbehaving clients (one that sends until its buffers are full
// and never reads, one that resets, one that sends garbage and leaves), makes the seeded random
// payloads, and at the end sends SIGTERM and checks the exit status, the summary line and that the
// stalled connection was closed. Each stage's test brings its own 200 concurrent clients, written
// with that stage's socket operations. Loopback only; bounded in time (the server gets SIGKILL if it
// has not exited 30 s after SIGTERM, which fails the test instead of hanging it).
#pragma once

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <future>
#include <limits.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/process.hpp"
#include "looplab/random.hpp"

namespace looplab::testing::serve {

/// The path of a stage binary: the test binaries live in BUILD/tests/, the stage binaries in BUILD/bin/.
inline std::string stage_binary(const std::string& name) {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0);
    std::string path(self, static_cast<std::size_t>(n));
    path = path.substr(0, path.rfind('/'));   // BUILD/tests
    path = path.substr(0, path.rfind('/'));   // BUILD
    return path + "/bin/" + name;
}

/// Reads one line from `fd`, waiting at most `limit` in total; "" if none came.
inline std::string read_line(int fd, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string line;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return "";
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return "";
        char c;
        const ssize_t got = ::read(fd, &c, 1);
        if (got <= 0) return "";
        if (c == '\n') return line;
        line += c;
    }
}

/// A running `BINARY --serve 0`: the child, its standard output, and where it listens.
struct Served {
    ChildProcess child;       ///< reaped (SIGTERM first) if the test ends early
    UniqueFd out;             ///< the read end of its standard output
    sockaddr_in address{};    ///< 127.0.0.1 and the port of its first line
};

/// Starts `binary --serve 0` and reads `listening on 127.0.0.1:PORT` from its first line.
inline Served start(const std::string& binary) {
    REQUIRE_MESSAGE(::access(binary.c_str(), X_OK) == 0, "build the stage binary first: " << binary);
    ignore_sigpipe();
    Pipe out = make_pipe();
    const int write_end = out.write.get();
    ChildProcess child = ChildProcess::start([&binary, write_end] {
        if (::dup2(write_end, STDOUT_FILENO) < 0) return 126;
        ::execl(binary.c_str(), binary.c_str(), "--serve", "0", static_cast<char*>(nullptr));
        return 127;   // exec failed
    });
    out.write.reset();
    const std::string first = read_line(out.read.get(), std::chrono::milliseconds(30000));
    const std::string prefix = "listening on 127.0.0.1:";
    REQUIRE_MESSAGE(first.rfind(prefix, 0) == 0, "first line: '" << first << "'");
    const int port = std::stoi(first.substr(prefix.size()));
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    return Served{std::move(child), std::move(out.read), loopback_address(static_cast<std::uint16_t>(port))};
}

/// A blocking connection to the server, made outside any loop.
inline UniqueFd connect_blocking(const sockaddr_in& address) {
    UniqueFd sock = tcp_socket();
    check(::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
    return sock;
}

/// The staller: sends until its own buffers are full and never reads. The server must stop reading
/// from it, not stall everybody (or buffer without limit). Returns its socket, still open.
inline UniqueFd start_staller(const sockaddr_in& address) {
    UniqueFd staller = connect_blocking(address);
    const std::string chunk(65536, 's');
    std::size_t sent = 0;
    while (true) {
        const ssize_t n = ::send(staller.get(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // Full for now; the server may still be draining. Wait a little for room; stop once
                // none comes: then the server has stopped reading from us.
                pollfd p{staller.get(), POLLOUT, 0};
                if (::poll(&p, 1, 200) <= 0) break;
                continue;
            }
            FAIL("staller send: " << errno);
        }
        sent += static_cast<std::size_t>(n);
        REQUIRE_MESSAGE(sent < (512u << 20), "the server swallowed 512 MiB from a client that never reads");
    }
    return staller;
}

/// Two more misbehaving clients: one resets its connection, one sends garbage and leaves.
inline void misbehave(const sockaddr_in& address) {
    {
        UniqueFd resetter = connect_blocking(address);
        check(::send(resetter.get(), "bye", 3, MSG_NOSIGNAL), "send");
        const linger hard{1, 0};
        check(::setsockopt(resetter.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), "setsockopt(SO_LINGER)");
    }   // a reset
    {
        UniqueFd garbage = connect_blocking(address);
        const std::string junk("\x00\xff\r\n\x1b[2J GET / HTTP/1.1\r\n\r\n", 28);
        check(::send(garbage.get(), junk.data(), junk.size(), MSG_NOSIGNAL), "send");
    }   // closed without reading the echo
}

/// `count` payloads of 1 to `max` random bytes from SplitMix64(`seed`).
inline std::vector<std::string> random_payloads(std::size_t count, std::uint64_t seed, std::size_t max) {
    SplitMix64 random(seed);
    std::vector<std::string> payloads(count);
    for (std::string& p : payloads) {
        p.resize(1 + random.below(max));
        for (char& byte : p) byte = static_cast<char>(random.next() & 0xFF);
    }
    return payloads;
}

/// SIGTERM: the server must close every connection (the staller's too), print its summary line and
/// exit 0.
inline void stop_and_check(Served& served, UniqueFd& staller) {
    REQUIRE(::kill(served.child.pid(), SIGTERM) == 0);
    ChildProcess& child = served.child;
    std::future<int> exit_code = std::async(std::launch::async, [&child] { return child.wait(); });
    if (exit_code.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ::kill(child.pid(), SIGKILL);
        FAIL_CHECK("the server did not exit within 30 s of SIGTERM");
    }
    CHECK(exit_code.get() == 0);
    const std::string last = read_line(served.out.get(), std::chrono::milliseconds(5000));
    CHECK(last.rfind("got SIGTERM: closed ", 0) == 0);

    // The staller's connection was closed by the server: draining it ends in end of file or a
    // reset, never in "still open".
    set_nonblocking(staller.get());
    bool closed = false;
    std::string drain(65536, '\0');
    for (int i = 0; i < 100000 && !closed; ++i) {
        const ssize_t n = ::recv(staller.get(), drain.data(), drain.size(), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            closed = true;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{staller.get(), POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) break;
        } else if (n < 0) {
            break;
        }
    }
    CHECK(closed);
}

} // namespace looplab::testing::serve
