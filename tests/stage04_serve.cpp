// Stage 04, `--serve 0`, end to end: starts build/bin/04-nonblocking-sockets as a child process,
// reads the port from its first line, connects three misbehaving clients (one resets, one sends
// garbage and leaves, one sends and never reads) and then 200 concurrent clients with seeded random
// payloads of up to 256 KiB, checks every byte that comes back, sends SIGTERM and checks that the
// server closes the stalled connection and exits with status 0. The rig (the child, the misbehaving
// clients, the SIGTERM checks) is tests/support/serve_rig.hpp, shared with stage 05; the 200 clients
// are this stage's coroutines. Bounded in time: a watchdog stops the clients' loop after 120 s.
#include <doctest/doctest.h>

#include <string>
#include <sys/socket.h>
#include <vector>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/trace.hpp"
#include "sockets.hpp"
#include "support/serve_rig.hpp"

using namespace looplab;

namespace {
namespace serve = looplab::testing::serve;

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

} // namespace

TEST_CASE("--serve 0: 200 concurrent clients, random payloads up to 256 KiB, every byte checked, misbehaving clients disturb nobody, SIGTERM exits 0") {
    serve::Served served = serve::start(serve::stage_binary("04-nonblocking-sockets"));
    const sockaddr_in address = served.address;
    UniqueFd staller = serve::start_staller(address);
    serve::misbehave(address);

    // The 200 clients, on our own loop, with seeded random payloads.
    constexpr std::size_t clients = 200;
    Run run;
    run.clients.resize(clients);
    run.sockets.resize(clients);
    run.remaining = static_cast<int>(clients);
    const std::vector<std::string> payloads = serve::random_payloads(clients, 20261122, 256 * 1024);
    std::size_t total = 0;
    for (std::size_t i = 0; i < clients; ++i) {
        run.clients[i].payload = payloads[i];
        total += payloads[i].size();
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

    serve::stop_and_check(served, staller);
}
