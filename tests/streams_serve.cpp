// The streams echo server's `--serve 0`, end to end, with stage 04's contract, for every stage that
// has it (07 and later; tests/CMakeLists.txt names the binary in LOOPLAB_STAGE_BINARY): starts it as a
// child process, reads the port from its first line, connects three misbehaving clients (one resets,
// one sends garbage and leaves, one sends and never reads), then 200 concurrent clients with seeded
// random payloads of up to 256 KiB, checks every byte that comes back, sends SIGTERM and checks that
// the server closes the stalled connection and exits with status 0. The rig is
// tests/support/serve_rig.hpp (shared with stage 04); the clients are this stage's socket operations
// on this stage's loop, on the real clock. Bounded in time: the loop is stopped after 120 s.
#include <doctest/doctest.h>

#include <string>
#include <sys/socket.h>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "run.hpp"
#include "socket_ops.hpp"
#include "support/serve_rig.hpp"

using namespace looplab;

namespace {
namespace serve = looplab::testing::serve;

Coroutine<std::string> receive_all(int fd) {
    std::string all;
    while (true) {
        std::string part = co_await sock_recv(fd, 65536);
        if (part.empty()) co_return all;
        all += part;
    }
}

// Connects, receives in a task of its own while it sends the whole payload, then closes its sending
// side: the server echoes everything and then closes, which is the receiver's end of file.
Coroutine<std::string> client(sockaddr_in address, std::string payload) {
    UniqueFd sock = co_await connect_tcp(address);
    Task<std::string> receiver = create_task(receive_all(sock.get()));
    co_await sock_sendall(sock.get(), std::move(payload));
    check(::shutdown(sock.get(), SHUT_WR), "shutdown");
    co_return co_await receiver;
}

Coroutine<std::vector<std::string>> all_clients(sockaddr_in address, std::vector<std::string> payloads) {
    std::vector<Task<std::string>> tasks;
    for (std::string& p : payloads) tasks.push_back(create_task(client(address, std::move(p))));
    co_return co_await gather(tasks);
}
} // namespace

TEST_CASE("--serve 0: 200 concurrent clients, random payloads up to 256 KiB, every byte checked, misbehaving clients disturb nobody, SIGTERM exits 0") {
    serve::Served served = serve::start(serve::stage_binary(LOOPLAB_STAGE_BINARY));
    UniqueFd staller = serve::start_staller(served.address);
    serve::misbehave(served.address);

    constexpr std::size_t clients = 200;
    const std::vector<std::string> payloads = serve::random_payloads(clients, 20261122, 256 * 1024);
    std::vector<std::string> received;
    bool timed_out = false;
    RealClock clock;
    {
        EventLoop loop(clock);
        loop.call_later(seconds(120), [&] {
            timed_out = true;
            loop.stop();
        });
        try {
            received = loop.run_until_complete(all_clients(served.address, payloads));
        } catch (const RuntimeError& e) {
            FAIL_CHECK("the clients did not finish: " << e.what());
        }
        cancel_all_tasks(loop);
    }
    CHECK_FALSE(timed_out);
    REQUIRE(received.size() == clients);
    std::size_t ok = 0;
    for (std::size_t i = 0; i < clients; ++i) ok += received[i] == payloads[i] ? 1 : 0;
    CHECK(ok == clients);

    serve::stop_and_check(served, staller);
}
