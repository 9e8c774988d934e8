// Demo `echo`: one echo server (echo_server.hpp) and 20 client coroutines, all in one thread. Each
// client sends its own seeded-random messages, one at a time, and checks every byte of every echo.
// The transcript is a summary computed after the run, so it is the same on every run: on the
// virtual clock it is a golden transcript; on the real clock it adds how fast it went.
#include <chrono>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <vector>

#include "demos/demos.hpp"
#include "echo_server.hpp"
#include "loop.hpp"
#include "looplab/net.hpp"
#include "looplab/random.hpp"
#include "sockets.hpp"

namespace looplab::inline stage04 {

namespace {
// What one client did.
struct ClientResult {
    int round_trips = 0;
    std::uint64_t bytes = 0;
    bool ok = false;      // every echo matched, and the server closed after we did
};

// Stops the loop when the last client is done (the server's accept loop never ends by itself).
struct Countdown {
    int remaining;
    SelectLoop* loop;
    void done() {
        if (--remaining == 0) loop->stop();
    }
};

// Sends `messages` messages of 1 to `max_size` random letters, seeded by `seed`; after each, receives
// until the whole echo is back and compares it. Then closes its sending side and expects the server
// to close too (end of file).
Coroutine<> echo_client(sockaddr_in address, int messages, std::size_t max_size, std::uint64_t seed,
                        ClientResult* result, Countdown* countdown) {
    UniqueFd sock = co_await open_connection(address);
    SplitMix64 random(seed);
    bool all_equal = true;
    for (int i = 0; i < messages; ++i) {
        std::string message(1 + random.below(max_size), '\0');
        for (char& c : message) c = static_cast<char>('a' + random.below(26));
        co_await send_all(sock.get(), message);
        std::string echoed;
        while (echoed.size() < message.size()) {
            const std::string part = co_await recv(sock.get(), message.size() - echoed.size());
            if (part.empty()) throw std::runtime_error("the server closed the connection before echoing everything");
            echoed += part;
        }
        all_equal = all_equal && echoed == message;
        result->round_trips += 1;
        result->bytes += message.size();
    }
    check(::shutdown(sock.get(), SHUT_WR), "shutdown");   // "I have sent everything"
    const std::string after = co_await recv(sock.get(), 1);  // the server's answer: end of file
    result->ok = all_equal && after.empty();
    countdown->done();
}
} // namespace

void demo_echo(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int clients = opts.clients > 0 ? opts.clients : 20;
    const int messages = opts.messages > 0 ? opts.messages : 50;
    const std::size_t max_size = opts.size > 0 ? static_cast<std::size_t>(opts.size) : 2048;

    say.heading("One echo server, " + std::to_string(clients) + " clients, one thread");
    say.say("The server is echo_server.hpp: an accept loop that spawns a task per connection, each "
            "echoing what it receives until the client closes. Each of the " + std::to_string(clients) +
            " clients connects, then makes " + std::to_string(messages) + " round trips: it sends a "
            "message of 1 to " + std::to_string(max_size) + " random letters (seeded by its number) "
            "and receives until the whole echo is back, and checks it. Every task that waits is a "
            "suspended frame and an fd in select()'s sets, not a blocked thread.");
    say.source("read echo_connection() and accept_connections() in echo_server.hpp");
    say.gap();

    FrameWatch frames;
    UniqueFd listener = listen_loopback(0, 1024);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    std::vector<ClientResult> results(static_cast<std::size_t>(clients));
    EchoStats stats;
    LoopStats loop_stats;
    const auto started = std::chrono::steady_clock::now();
    {
        SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
        EchoServer server;
        server.loop = &loop;
        server.listener = listener.get();
        server.log = [&say](const std::string& line) { say.task_line("server", line); };
        Countdown countdown{clients, &loop};
        loop.spawn("server", accept_connections(&server));
        for (int i = 0; i < clients; ++i)
            loop.spawn("client " + std::to_string(i + 1),
                       echo_client(address, messages, max_size, static_cast<std::uint64_t>(i + 1),
                                   &results[static_cast<std::size_t>(i)], &countdown));
        loop.run();
        stats = server.stats;
        loop_stats = loop.stats();
    }   // the loop and its last task (the accept loop) are destroyed here
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    long long round_trips = 0;
    std::uint64_t bytes = 0;
    int ok = 0;
    for (const ClientResult& r : results) {
        round_trips += r.round_trips;
        bytes += r.bytes;
        ok += r.ok ? 1 : 0;
    }
    say.line(std::to_string(ok) + " of " + std::to_string(clients) + " clients got back exactly what they sent");
    say.line(std::to_string(round_trips) + " round trips, " + std::to_string(bytes) + " bytes each way, every byte checked");
    say.line("the server accepted " + std::to_string(stats.accepted) + " connections, echoed " +
             std::to_string(stats.bytes) + " bytes; " + std::to_string(stats.finished) + " ended cleanly, " +
             std::to_string(stats.failed) + " in an error, " + std::to_string(stats.refused) + " refused");
    say.line(frames.line());
    if (!ctx.clock.is_virtual()) {
        // Timing: real clock only, so the virtual-clock transcript stays the same on every run.
        say.line("on the real clock: " + std::to_string(stats.peak) + " connections open at once, " +
                 std::to_string(loop_stats.selects) + " select() calls, " + format_time(seconds(elapsed)) +
                 ", " + std::to_string(static_cast<long long>(static_cast<double>(round_trips) / elapsed)) +
                 " round trips per second");
    }
    say.gap();
    say.say("One thread served every client: while one waited for its echo, the loop ran the others. "
            "On the virtual clock no time passes at all (nobody sleeps; I/O costs no virtual time), so "
            "run it on the real clock for the rate, and try --clients 200.");
    if (ok != clients) throw std::runtime_error("some echo clients did not get back what they sent");
}

} // namespace looplab::stage04
