// Stage 04, echo_server.hpp, in-process: misbehaving clients (a reset, garbage, one that never reads)
// do not disturb a good one; the server stops reading from a client that does not read (bounded
// memory); a connection whose fd would be >= FD_SETSIZE, or that finds no fd left (EMFILE), is
// refused with a log line while the open connections carry on and later ones are served again.
#include <doctest/doctest.h>

#include <cerrno>
#include <algorithm>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <system_error>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <vector>

#include "echo_server.hpp"
#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/frames.hpp"
#include "looplab/net.hpp"
#include "looplab/random.hpp"
#include "looplab/trace.hpp"
#include "sockets.hpp"
#include "support/socket_rig.hpp"

using namespace looplab;

namespace {
// A listening socket for an in-process server, and its address.
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

// Sends `message`, then receives until as many bytes came back; returns them.
Coroutine<std::string> echo_once(int fd, std::string message) {
    co_await send_all(fd, message);
    std::string back;
    while (back.size() < message.size()) {
        const std::string part = co_await recv(fd, message.size() - back.size());
        if (part.empty()) co_return back;   // end of file: the caller sees it came back short
        back += part;
    }
    co_return back;
}

Coroutine<> send_everything(int fd, std::string data) {
    co_await send_all(fd, std::move(data));
    check(::shutdown(fd, SHUT_WR), "shutdown");
}

Coroutine<> receive_until_eof(int fd, std::string* out) {
    while (true) {
        const std::string part = co_await recv(fd, 65536);
        if (part.empty()) co_return;
        *out += part;
    }
}

std::string random_bytes(std::size_t size, std::uint64_t seed) {
    SplitMix64 random(seed);
    std::string s(size, '\0');
    for (char& c : s) c = static_cast<char>(random.next() & 0xFF);
    return s;
}

std::vector<std::string> logged(const EchoServer& server, const std::vector<std::string>& all, const std::string& word) {
    (void)server;
    std::vector<std::string> out;
    for (const std::string& line : all)
        if (line.find(word) != std::string::npos) out.push_back(line);
    return out;
}

struct Misbehaviour {
    std::vector<UniqueFd> keep;         // sockets kept open until the end of the test
    bool staller_sent_everything = false;
    std::uint64_t echoed_before_good = 0;
    std::string good_received;
    std::string garbage_back;
};

// Resets: sends a little, then closes with SO_LINGER 0, which sends RST.
Coroutine<> resetter(sockaddr_in to) {
    UniqueFd sock = co_await open_connection(to);
    co_await send_all(sock.get(), "about to vanish");
    const linger hard{1, 0};
    check(::setsockopt(sock.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard), "setsockopt(SO_LINGER)");
}   // closed here: a reset

// The largest value of a Linux TCP buffer sysctl (`min default max`), or `fallback`.
std::size_t sysctl_max(const char* path, std::size_t fallback) {
    std::ifstream f(path);
    std::size_t low = 0, normal = 0, high = 0;
    if (f >> low >> normal >> high) return high;
    return fallback;
}

// More than every buffer between the staller and the server can hold, even grown to their largest:
// its send and receive buffers and the server's, two of each kind. A server that stopped reading
// from it can never have let all of this through.
std::size_t staller_bytes() {
    const std::size_t w = sysctl_max("/proc/sys/net/ipv4/tcp_wmem", 4u << 20);
    const std::size_t r = sysctl_max("/proc/sys/net/ipv4/tcp_rmem", 6u << 20);
    return std::max<std::size_t>(64u << 20, 2 * (w + r) + (1u << 20));
}

// Sends staller_bytes() and never reads a byte of the echo.
Coroutine<> staller(sockaddr_in to, Misbehaviour* m) {
    UniqueFd sock = co_await open_connection(to);
    const int fd = sock.get();
    m->keep.push_back(std::move(sock));
    co_await send_all(fd, std::string(staller_bytes(), 's'));
    m->staller_sent_everything = true;
}

Coroutine<> garbage(sockaddr_in to, Misbehaviour* m) {
    UniqueFd sock = co_await open_connection(to);
    m->garbage_back = co_await echo_once(sock.get(), random_bytes(10000, 99));
}

// Lets 3000 turns of the loop pass (1 ms of virtual time each: a server that read without limit
// would take 64 KiB a turn from the staller, 187 MiB in all), then runs a good client: 1 MiB
// sent and received at the same time, by two tasks. Stops the loop when it has it all.
Coroutine<> good_client(sockaddr_in to, Misbehaviour* m, EchoServer* server, SelectLoop* loop, const Clock* clock) {
    for (int i = 0; i < 3000; ++i) co_await Sleep{clock->now() + seconds(0.001)};
    m->echoed_before_good = server->stats.bytes;
    UniqueFd sock = co_await open_connection(to);
    loop->spawn("good sender", send_everything(sock.get(), random_bytes(1 << 20, 7)));
    co_await receive_until_eof(sock.get(), &m->good_received);
    loop->stop();
}
} // namespace

TEST_CASE("a reset, garbage and a client that never reads do not disturb a good client, the server stops reading from the staller") {
    const auto before = frames::counts().alive();
    VirtualClock clock;
    Tracer trace(clock);
    Listener listener = make_listener();
    Misbehaviour m;
    std::vector<std::string> log;
    EchoServer server;
    {
        SelectLoop loop(clock, trace);
        server.loop = &loop;
        server.listener = listener.fd.get();
        server.log = [&log](const std::string& line) { log.push_back(line); };
        loop.spawn("server", accept_connections(&server));
        loop.spawn("resetter", resetter(listener.address));
        loop.spawn("staller", staller(listener.address, &m));
        loop.spawn("garbage", garbage(listener.address, &m));
        loop.spawn("good", good_client(listener.address, &m, &server, &loop, &clock));
        loop.run();
        CHECK(server.stats.accepted == 4);
        CHECK(server.stats.open == 1);   // the staller's connection, stuck in its send_all()
    }
    CHECK(m.good_received == random_bytes(1 << 20, 7));
    CHECK(m.garbage_back == random_bytes(10000, 99));
    CHECK(server.stats.failed == 1);
    CHECK(logged(server, log, "Connection reset by peer").size() == 1);
    // Backpressure: after 3000 turns the staller still has not sent everything, because the server
    // stopped reading from it once its echo could not be delivered. Unbounded buffering would have
    // swallowed it all (64 KiB a turn) long before.
    REQUIRE(staller_bytes() < 3000u * EchoServer::default_chunk);
    CHECK_FALSE(m.staller_sent_everything);
    CHECK(m.echoed_before_good < staller_bytes());
    CHECK(frames::counts().alive() == before);
}

namespace {
struct RefusalScenario {
    UniqueFd early;       // connected before the table is full
    UniqueFd refused;     // made before the table is full, connected after
    UniqueFd late;        // made before, connected after the table has room again
    std::vector<UniqueFd>* filler;
    bool fill_to_fd_setsize;   // fill every fd below FD_SETSIZE; otherwise fill until EMFILE
    std::string first, during, after, refused_answer;
    int refused_error = 0;
};

void fill(RefusalScenario* s) { looplab::testing::fill_fd_table(s->filler, s->fill_to_fd_setsize); }

Coroutine<> refusal_scenario(sockaddr_in to, RefusalScenario* s, SelectLoop* loop) {
    co_await connect(s->early.get(), to);
    s->first = co_await echo_once(s->early.get(), "before");
    fill(s);
    co_await connect(s->refused.get(), to);   // the handshake completes in the kernel, then the server refuses
    try {
        s->refused_answer = co_await recv(s->refused.get(), 100);   // closed by the server: end of file
    } catch (const std::system_error& e) {
        s->refused_error = e.code().value();   // or a reset, if the close raced our data: also a refusal
    }
    s->during = co_await echo_once(s->early.get(), "during");   // the open connection carries on
    s->filler->clear();
    co_await connect(s->late.get(), to);
    s->after = co_await echo_once(s->late.get(), "after");
    loop->stop();
}

void run_refusal(bool fill_to_fd_setsize, std::vector<std::string>* log, EchoStats* stats, RefusalScenario* s) {
    VirtualClock clock;
    Tracer trace(clock);
    Listener listener = make_listener();
    std::vector<UniqueFd> filler;
    s->filler = &filler;
    s->fill_to_fd_setsize = fill_to_fd_setsize;
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
    loop.spawn("scenario", refusal_scenario(listener.address, s, &loop));
    loop.run();
    *stats = server.stats;
}
} // namespace

namespace {
// What both refusal tests expect: the client before, during and after the refusal is served, the
// refused one gets no answer (a clean close or a reset), and exactly one log line says why.
void check_refused_once(const RefusalScenario& s, const EchoStats& stats, const std::vector<std::string>& log) {
    CHECK(s.first == "before");
    CHECK(s.refused_answer.empty());
    CHECK((s.refused_error == 0 || s.refused_error == ECONNRESET));
    CHECK(s.during == "during");
    CHECK(s.after == "after");
    CHECK(stats.refused == 1);
    CHECK(stats.accepted == 2);
    REQUIRE(log.size() == 1);
}

} // namespace

TEST_CASE("a connection whose fd would be >= FD_SETSIZE is refused with a log line, the server keeps serving") {
    std::vector<std::string> log;
    EchoStats stats;
    RefusalScenario s;
    {
        const looplab::testing::ScopedFdLimit limit(0, FD_SETSIZE + 64);   // fds above FD_SETSIZE must exist
        run_refusal(true, &log, &stats, &s);
    }
    check_refused_once(s, stats, log);
    CHECK(log[0].find("refused a connection: its fd ") == 0);
    CHECK(log[0].find("FD_SETSIZE (" + std::to_string(FD_SETSIZE) + ")") != std::string::npos);
}

TEST_CASE("a connection that finds no fd left (EMFILE) is refused with a log line, the server keeps serving") {
    std::vector<std::string> log;
    EchoStats stats;
    RefusalScenario s;
    {
        const looplab::testing::ScopedFdLimit limit(256, 0);   // fill 256 fds, not thousands
        run_refusal(false, &log, &stats, &s);
    }
    check_refused_once(s, stats, log);
    CHECK(log[0].find("refused a connection: no file descriptor left (EMFILE)") == 0);
}
