// Stage 04, sockets.hpp: recv, send_all, accept, connect, each "try; on EAGAIN await readiness".
// Socketpairs and loopback TCP only: data, end of file, waiting, partial writes with a tiny send
// buffer, reset, broken pipe without SIGPIPE, several connections accepted at once, a refused connect.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <vector>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/frames.hpp"
#include "looplab/net.hpp"
#include "looplab/trace.hpp"
#include "sockets.hpp"

using namespace looplab;

namespace {
// Every event `task` suspended on whose description starts with `prefix`.
int suspends(const Tracer& trace, const std::string& task, const std::string& prefix) {
    int n = 0;
    for (const TraceEvent& e : trace.events())
        if (e.kind == TraceKind::Suspend && trace.tasks()[static_cast<std::size_t>(e.task)] == task &&
            e.detail.rfind(prefix, 0) == 0)
            ++n;
    return n;
}

// Receives until end of file, `max` at a time; records each piece's size.
Coroutine<> receive_all(int fd, std::size_t max, std::string* out, std::vector<std::size_t>* pieces) {
    while (true) {
        const std::string bytes = co_await recv(fd, max);
        if (pieces) pieces->push_back(bytes.size());
        if (bytes.empty()) co_return;
        *out += bytes;
    }
}

Coroutine<> send_then_close(UniqueFd* fd, std::string bytes, Duration at) {
    co_await Sleep{at};
    co_await send_all(fd->get(), std::move(bytes));
    fd->reset();   // end of file for the other side
}

Coroutine<> catch_recv(int fd, std::string* message, int* code) {
    try {
        co_await recv(fd, 100);
    } catch (const std::system_error& e) {
        *message = e.what();
        *code = e.code().value();
    }
}

Coroutine<> catch_send(int fd, std::string bytes, std::string* message, int* code) {
    try {
        co_await send_all(fd, std::move(bytes));
    } catch (const std::system_error& e) {
        *message = e.what();
        *code = e.code().value();
    }
}

std::string pattern(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
}

std::pair<UniqueFd, UniqueFd> nonblocking_pair() {
    auto pair = make_socketpair();
    set_nonblocking(pair.first.get());
    set_nonblocking(pair.second.get());
    return pair;
}
} // namespace

TEST_CASE("recv waits (Readable) while nothing has arrived, returns the bytes, then an empty string at end of file") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    {
        auto [a, b] = nonblocking_pair();
        std::string got;
        std::vector<std::size_t> pieces;
        SelectLoop loop(clock, trace);
        loop.spawn("receiver", receive_all(a.get(), 1000, &got, &pieces));
        loop.spawn("sender", send_then_close(&b, "hello, world", seconds(1)));
        loop.run();
        CHECK(got == "hello, world");
        CHECK(pieces == std::vector<std::size_t>{12, 0});
        // It found nothing at first (EAGAIN) and awaited Readable, once: the sender wrote and closed
        // in one step, so the end of file was already there when it came back for more.
        CHECK(suspends(trace, "receiver", "Readable fd " + std::to_string(a.get())) == 1);
    }
    CHECK(frames::counts().alive() == before);
}

TEST_CASE("recv returns at most `max` bytes per call, and refuses max 0") {
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = nonblocking_pair();
    check(::send(b.get(), "abcdefghij", 10, 0), "send");
    b.reset();
    std::string got, message;
    std::vector<std::size_t> pieces;
    SelectLoop loop(clock, trace);
    loop.spawn("receiver", receive_all(a.get(), 4, &got, &pieces));
    loop.run();
    CHECK(got == "abcdefghij");
    CHECK(pieces == std::vector<std::size_t>{4, 4, 2, 0});
    loop.spawn("zero", [](int fd, std::string* m) -> Coroutine<> {
        try {
            co_await recv(fd, 0);
        } catch (const std::invalid_argument& e) {
            *m = e.what();
        }
    }(a.get(), &message));
    loop.run();
    CHECK(message.find("recv of 0 bytes") == 0);
}

TEST_CASE("send_all sends everything through a tiny send buffer: partial writes, and waits for Writable") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    {
        auto [a, b] = nonblocking_pair();
        const int tiny = 4096;
        check(::setsockopt(a.get(), SOL_SOCKET, SO_SNDBUF, &tiny, sizeof tiny), "setsockopt(SO_SNDBUF)");
        check(::setsockopt(b.get(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), "setsockopt(SO_RCVBUF)");
        const std::string data = pattern(1 << 20);
        std::string got;
        SelectLoop loop(clock, trace);
        loop.spawn("receiver", receive_all(b.get(), 1000, &got, nullptr));
        loop.spawn("sender", send_then_close(&a, data, Duration::zero()));
        loop.run();
        CHECK(got.size() == data.size());
        CHECK(got == data);
        // 1 MiB cannot fit in a few KiB of buffers: the sender must have waited for room many times.
        CHECK(suspends(trace, "sender", "Writable fd") > 10);
    }
    CHECK(frames::counts().alive() == before);
}

TEST_CASE("send_all to a peer that has gone raises EPIPE naming the call, and SIGPIPE does not kill us") {
    // No ignore_sigpipe() here: MSG_NOSIGNAL alone must keep the test process alive.
    VirtualClock clock;
    Tracer trace(clock);
    auto [a, b] = nonblocking_pair();
    b.reset();
    std::string message;
    int code = 0;
    SelectLoop loop(clock, trace);
    loop.spawn("sender", catch_send(a.get(), "into the void", &message, &code));
    loop.run();
    CHECK(code == EPIPE);
    CHECK(message.find("send(fd " + std::to_string(a.get()) + ")") == 0);
}

TEST_CASE("recv on a connection the peer reset raises ECONNRESET naming the call") {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd listener = listen_loopback(0);
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    UniqueFd client = tcp_socket();
    check(::connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
    UniqueFd server(check(::accept(listener.get(), nullptr, nullptr), "accept"));
    set_nonblocking(client.get());
    // SO_LINGER with a zero timeout: close() sends a reset (RST) instead of the orderly FIN.
    const linger hard{1, 0};
    check(::setsockopt(server.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), "setsockopt(SO_LINGER)");
    server.reset();
    std::string message;
    int code = 0;
    SelectLoop loop(clock, trace);
    loop.spawn("receiver", catch_recv(client.get(), &message, &code));
    loop.run();
    CHECK(code == ECONNRESET);
    CHECK(message.find("recv(fd " + std::to_string(client.get()) + ")") == 0);
}

namespace {
Coroutine<> accept_n(int listener, int n, std::vector<UniqueFd>* accepted) {
    for (int i = 0; i < n; ++i) accepted->push_back(co_await accept(listener));
}
} // namespace

TEST_CASE("accept takes several waiting connections at once, each non-blocking, then waits for the next") {
    VirtualClock clock;
    Tracer trace(clock);
    trace.keep_events(true);
    UniqueFd listener = listen_loopback(0);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 5; ++i) {   // five clients already waiting in the backlog
        clients.push_back(tcp_socket());
        check(::connect(clients.back().get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
    }
    std::vector<UniqueFd> accepted;
    SelectLoop loop(clock, trace);
    loop.spawn("acceptor", accept_n(listener.get(), 6, &accepted));
    loop.spawn("late client", [](sockaddr_in to, std::vector<UniqueFd>* keep) -> Coroutine<> {
        keep->push_back(co_await open_connection(to));
    }(address, &clients));
    loop.run();
    REQUIRE(accepted.size() == 6);
    for (const UniqueFd& fd : accepted) {
        CHECK((::fcntl(fd.get(), F_GETFL) & O_NONBLOCK) != 0);
        CHECK((::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    }
    // The five were taken without waiting; only the sixth made the acceptor await Readable.
    CHECK(suspends(trace, "acceptor", "Readable fd " + std::to_string(listener.get())) == 1);
}

TEST_CASE("connect, then data both ways on the new connection") {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd listener = listen_loopback(0);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    std::string server_got, client_got;
    SelectLoop loop(clock, trace);
    loop.spawn("server", [](int l, std::string* got) -> Coroutine<> {
        UniqueFd sock = co_await accept(l);
        *got = co_await recv(sock.get(), 100);
        co_await send_all(sock.get(), "pong");
    }(listener.get(), &server_got));
    loop.spawn("client", [](sockaddr_in to, std::string* got) -> Coroutine<> {
        UniqueFd sock = tcp_socket();
        set_nonblocking(sock.get());
        co_await connect(sock.get(), to);
        co_await send_all(sock.get(), "ping");
        *got = co_await recv(sock.get(), 100);
    }(address, &client_got));
    loop.run();
    CHECK(server_got == "ping");
    CHECK(client_got == "pong");
}

TEST_CASE("a refused connect raises ECONNREFUSED naming the address") {
    VirtualClock clock;
    Tracer trace(clock);
    sockaddr_in address{};
    {
        UniqueFd closed = listen_loopback(0);
        address = loopback_address(local_port(closed.get()));
    }   // nobody listens on that port any more
    std::string message;
    int code = 0;
    SelectLoop loop(clock, trace);
    loop.spawn("client", [](sockaddr_in to, std::string* m, int* c) -> Coroutine<> {
        try {
            UniqueFd sock = co_await open_connection(to);
        } catch (const std::system_error& e) {
            *m = e.what();
            *c = e.code().value();
        }
    }(address, &message, &code));
    loop.run();
    CHECK(code == ECONNREFUSED);
    CHECK(message.find("connect(" + to_string(address) + ")") == 0);
}
