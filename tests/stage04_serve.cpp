// Stage 04, `--serve 0`, end to end: starts build/bin/04-nonblocking-sockets as a child process,
// reads the port from its first line, connects three misbehaving clients (one resets, one sends
// garbage and leaves, one sends and never reads) and then 200 concurrent clients with seeded random
// payloads of up to 256 KiB, checks every byte that comes back, sends SIGTERM and checks that the
// server closes the stalled connection and exits with status 0. Loopback only; bounded in time:
// a watchdog stops the clients' loop after 120 s, and the server gets SIGKILL if it has not exited
// 30 s after SIGTERM (either makes the test fail, never hang).
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

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/process.hpp"
#include "looplab/random.hpp"
#include "looplab/trace.hpp"
#include "sockets.hpp"

using namespace looplab;

namespace {
// The test binaries live in BUILD/tests/, the stage binaries in BUILD/bin/.
std::string stage_binary() {
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    REQUIRE(n > 0);
    std::string path(self, static_cast<std::size_t>(n));
    path = path.substr(0, path.rfind('/'));   // BUILD/tests
    path = path.substr(0, path.rfind('/'));   // BUILD
    return path + "/bin/04-nonblocking-sockets";
}

// Reads one line from `fd`, waiting at most `limit` in total; "" if none came.
std::string read_line(int fd, std::chrono::milliseconds limit) {
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

struct Client {
    std::string payload;
    std::string received;
    bool done = false;
};

struct Run {
    std::vector<Client> clients;
    std::vector<UniqueFd> sockets;
    int remaining = 0;
    bool timed_out = false;
    SelectLoop* loop = nullptr;
};

Coroutine<> reader(int fd, Client* client, Run* run) {
    while (true) {
        const std::string part = co_await recv(fd, 65536);
        if (part.empty()) break;
        client->received += part;
    }
    client->done = true;
    if (--run->remaining == 0) run->loop->stop();
}

// Connects, starts a reader on the connection, sends the whole payload, then closes its sending
// side: the server echoes everything and then closes, which is the reader's end of file.
Coroutine<> client(sockaddr_in address, std::size_t index, Run* run) {
    UniqueFd sock = co_await open_connection(address);
    const int fd = sock.get();
    run->sockets[index] = std::move(sock);
    run->loop->spawn("reader " + std::to_string(index), reader(fd, &run->clients[index], run));
    co_await send_all(fd, run->clients[index].payload);
    check(::shutdown(fd, SHUT_WR), "shutdown");
}

Coroutine<> watchdog(Duration limit, const Clock* clock, Run* run) {
    co_await Sleep{clock->now() + limit};
    run->timed_out = true;
    run->loop->stop();
}

// A blocking connection to the server, made outside the loop.
UniqueFd connect_blocking(const sockaddr_in& address) {
    UniqueFd sock = tcp_socket();
    check(::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
    return sock;
}
} // namespace

TEST_CASE("--serve 0: 200 concurrent clients, random payloads up to 256 KiB, every byte checked, misbehaving clients disturb nobody, SIGTERM exits 0") {
    const std::string binary = stage_binary();
    REQUIRE_MESSAGE(::access(binary.c_str(), X_OK) == 0, "build the stage binary first: " << binary);
    ignore_sigpipe();

    Pipe out = make_pipe();
    const int write_end = out.write.get();
    ChildProcess server = ChildProcess::start([&binary, write_end] {
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
    const sockaddr_in address = loopback_address(static_cast<std::uint16_t>(port));

    // The misbehaving clients. The staller sends until its own buffers are full and never reads:
    // the server must stop reading from it, not stall everybody (or buffer without limit).
    UniqueFd staller = connect_blocking(address);
    {
        const std::string chunk(65536, 's');
        std::size_t sent = 0;
        while (true) {
            const ssize_t n = ::send(staller.get(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    // Full for now; the server may still be draining. Wait a little for room; stop
                    // once none comes: then the server has stopped reading from us.
                    pollfd p{staller.get(), POLLOUT, 0};
                    if (::poll(&p, 1, 200) <= 0) break;
                    continue;
                }
                FAIL("staller send: " << errno);
            }
            sent += static_cast<std::size_t>(n);
            REQUIRE_MESSAGE(sent < (512u << 20), "the server swallowed 512 MiB from a client that never reads");
        }
    }
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

    // The 200 clients, on our own loop, with seeded random payloads.
    constexpr std::size_t clients = 200;
    Run run;
    run.clients.resize(clients);
    run.sockets.resize(clients);
    run.remaining = static_cast<int>(clients);
    SplitMix64 random(20261122);
    std::size_t total = 0;
    for (Client& c : run.clients) {
        c.payload.resize(1 + random.below(256 * 1024));
        for (char& byte : c.payload) byte = static_cast<char>(random.next() & 0xFF);
        total += c.payload.size();
    }
    RealClock clock;
    Tracer trace(clock);
    {
        SelectLoop loop(clock, trace);
        run.loop = &loop;
        for (std::size_t i = 0; i < clients; ++i) loop.spawn("client " + std::to_string(i), client(address, i, &run));
        loop.spawn("watchdog", watchdog(seconds(120), &clock, &run));
        loop.run();
    }
    CHECK_FALSE(run.timed_out);
    std::size_t ok = 0, bytes = 0;
    for (const Client& c : run.clients) {
        if (c.done && c.received == c.payload) ++ok;
        bytes += c.received.size();
    }
    CHECK(ok == clients);
    CHECK(bytes == total);
    run.sockets.clear();

    // SIGTERM: the server closes every connection (the staller's too) and exits 0.
    REQUIRE(::kill(server.pid(), SIGTERM) == 0);
    std::future<int> exit_code = std::async(std::launch::async, [&server] { return server.wait(); });
    if (exit_code.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ::kill(server.pid(), SIGKILL);
        FAIL_CHECK("the server did not exit within 30 s of SIGTERM");
    }
    CHECK(exit_code.get() == 0);
    const std::string last = read_line(out.read.get(), std::chrono::milliseconds(5000));
    CHECK(last.rfind("got SIGTERM: closed ", 0) == 0);

    // The staller's connection was closed by the server: draining it ends in end of file or a
    // reset, never in "still open".
    set_nonblocking(staller.get());
    bool closed = false;
    std::string drain(65536, '\0');
    for (int i = 0; i < 100000 && !closed; ++i) {
        const ssize_t n = ::recv(staller.get(), drain.data(), drain.size(), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) closed = true;
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pollfd p{staller.get(), POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) break;
        } else if (n < 0) {
            break;
        }
    }
    CHECK(closed);
}
