// Exercise 04_accept_emfile: the echo server's accept loop keeps serving when a client cannot be
// given a file descriptor. In-process clients on the loopback, virtual clock; the fd limit is lowered
// for the EMFILE check (256 fds to fill, not thousands) and restored afterwards.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <cerrno>
#include <string>
#include <vector>

#include "echo_server.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/trace.hpp"
#include "support/socket_rig.hpp"

using namespace looplab;

namespace {
struct Listener {
    UniqueFd fd;
    sockaddr_in address;
};

Listener make_listener() {
    Listener l{listen_loopback(0, 1024), {}};
    set_nonblocking(l.fd.get());
    l.address = loopback_address(local_port(l.fd.get()));
    return l;
}

// Sends `message`, then receives until as many bytes came back (or end of file); returns them.
Coroutine<std::string> echo_once(int fd, std::string message) {
    co_await send_all(fd, message);
    std::string back;
    while (back.size() < message.size()) {
        const std::string part = co_await recv(fd, message.size() - back.size());
        if (part.empty()) co_return back;
        back += part;
    }
    co_return back;
}

struct Scenario {
    UniqueFd early, refused, late;   // clients: before the table is full, while it is, after
    std::vector<UniqueFd> filler;
    bool to_fd_setsize = false;
    std::string first, during, after, refused_answer;
    int refused_error = 0;
};

Coroutine<> scenario(sockaddr_in to, Scenario* s, SelectLoop* loop) {
    co_await connect(s->early.get(), to);
    s->first = co_await echo_once(s->early.get(), "before");
    looplab::testing::fill_fd_table(&s->filler, s->to_fd_setsize);
    co_await connect(s->refused.get(), to);   // the handshake completes in the kernel; then the server refuses
    try {
        s->refused_answer = co_await recv(s->refused.get(), 100);   // closed by the server: end of file
    } catch (const std::system_error& e) {
        s->refused_error = e.code().value();   // or a reset: also a refusal
    }
    s->during = co_await echo_once(s->early.get(), "during");
    s->filler.clear();
    co_await connect(s->late.get(), to);
    s->after = co_await echo_once(s->late.get(), "after");
    loop->stop();
}

void run_scenario(Scenario* s, EchoStats* stats, std::vector<std::string>* log) {
    VirtualClock clock;
    Tracer trace(clock);
    Listener listener = make_listener();
    for (UniqueFd* fd : {&s->early, &s->refused, &s->late}) {
        *fd = tcp_socket();
        set_nonblocking(fd->get());
    }
    EchoServer server;
    SelectLoop loop(clock, trace);
    server.loop = &loop;
    server.listener = listener.fd.get();
    server.log = [log](const std::string& line) { log->push_back(line); };
    loop.spawn("server", accept_connections(&server));
    loop.spawn("scenario", scenario(listener.address, s, &loop));
    loop.run();
    *stats = server.stats;
}

Coroutine<> two_clients(sockaddr_in to, std::string* a, std::string* b, SelectLoop* loop) {
    UniqueFd x = co_await open_connection(to);
    UniqueFd y = co_await open_connection(to);
    *a = co_await echo_once(x.get(), "one");
    *b = co_await echo_once(y.get(), "two");
    loop->stop();
}
} // namespace

TEST_CASE("the server accepts clients and serves each in a task of its own" *
          doctest::description("loop forever: `UniqueFd sock = co_await accept(server->listener);`, then "
                               "server->loop->spawn(name, echo_connection(std::move(sock), server)) and count it")) {
    VirtualClock clock;
    Tracer trace(clock);
    Listener listener = make_listener();
    EchoServer server;
    SelectLoop loop(clock, trace);
    server.loop = &loop;
    server.listener = listener.fd.get();
    std::string a, b;
    loop.spawn("server", accept_connections(&server));
    loop.spawn("clients", two_clients(listener.address, &a, &b, &loop));
    loop.run();
    CHECK(a == "one");
    CHECK(b == "two");
    CHECK(server.stats.accepted == 2);
    CHECK(server.stats.refused == 0);
}

TEST_CASE("with no fd left (EMFILE) the client is refused, and the server keeps serving" *
          doctest::description("catch the std::system_error from accept() and test e.code().value() for EMFILE "
                               "and ENFILE. You cannot co_await inside a catch block: note the error there and "
                               "act after it. Free the spare fd, accept4() and close the waiting client, reopen "
                               "the spare; without that, the listener stays readable and the loop spins")) {
    std::vector<std::string> log;
    EchoStats stats;
    Scenario s;
    {
        const looplab::testing::ScopedFdLimit limit(256, 0);
        run_scenario(&s, &stats, &log);
    }
    CHECK(s.first == "before");
    CHECK(s.refused_answer.empty());
    CHECK((s.refused_error == 0 || s.refused_error == ECONNRESET));
    CHECK(s.during == "during");
    CHECK(s.after == "after");
    CHECK(stats.refused == 1);
    CHECK(stats.accepted == 2);
    REQUIRE(log.size() == 1);
    CHECK(log[0].find("refused a connection: no file descriptor left (EMFILE)") == 0);
}

TEST_CASE("a connection whose fd is FD_SETSIZE or more is refused, and the server keeps serving" *
          doctest::description("select() cannot watch such an fd (FD_SET would write past the fd_set): test "
                               "sock.get() >= FD_SETSIZE before spawning, log, and let the UniqueFd close it")) {
    std::vector<std::string> log;
    EchoStats stats;
    Scenario s;
    s.to_fd_setsize = true;
    {
        const looplab::testing::ScopedFdLimit limit(0, FD_SETSIZE + 64);
        run_scenario(&s, &stats, &log);
    }
    CHECK(s.during == "during");
    CHECK(s.after == "after");
    CHECK(stats.refused == 1);
    CHECK(stats.accepted == 2);
    REQUIRE(log.size() == 1);
    CHECK(log[0].find("refused a connection: its fd ") == 0);
}

TEST_CASE("any other accept() error is not swallowed: it stops the loop" *
          doctest::description("rethrow (`throw;`) every system_error that is not EMFILE or ENFILE: a server "
                               "that retries ENOTSOCK forever would spin and hide the bug")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();   // not a socket: accept() fails with ENOTSOCK
    set_nonblocking(pipe.read.get());
    EchoServer server;
    SelectLoop loop(clock, trace);
    server.loop = &loop;
    server.listener = pipe.read.get();
    loop.spawn("server", accept_connections(&server));
    try {
        loop.run();
        FAIL("run() should have thrown");
    } catch (const TaskError& e) {
        CHECK(std::string(e.what()).find("accept(fd " + std::to_string(pipe.read.get()) + ")") != std::string::npos);
    }
}
