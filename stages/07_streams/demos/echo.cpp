// Demo `echo`: a streams echo server (start_server, readline) and 20 clients (open_connection), all
// in one thread. Each client sends its own seeded-random lines, one at a time, and checks every
// echo. As in stage 04's echo demo, the transcript is a summary computed after the run, so it is
// the same on every run (a golden transcript on the virtual clock); the real clock adds the rate.
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "demos/echo_client.hpp"
#include "streams.hpp"

namespace looplab::inline stage07 {

namespace {

// What the server's handlers counted.
struct EchoCount {
    std::uint64_t lines = 0;
    std::uint64_t bytes = 0;
};

// The server's side of one connection: a line in, the same line out, until the client's end of file.
Coroutine<void> echo_lines(StreamReader reader, StreamWriter writer, EchoCount* count) {
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;   // end of file: the client has sent everything
        count->lines += 1;
        count->bytes += line.size();
        writer.write(line);
        co_await writer.drain();   // waits only if the client is slow to read
    }
    writer.close();
    co_await writer.wait_closed();
}

Coroutine<ServerStats> echo_main(int clients, int messages, std::size_t max_size, std::vector<ClientResult>* results,
                                 EchoCount* count) {
    Server server = co_await start_server(
        [count](StreamReader r, StreamWriter w) { return echo_lines(std::move(r), std::move(w), count); });
    std::vector<Task<void>> tasks;
    for (int i = 0; i < clients; ++i)
        tasks.push_back(create_task(echo_client(server.address(), messages, max_size, static_cast<std::uint64_t>(i + 1),
                                                &(*results)[static_cast<std::size_t>(i)]),
                                    "client " + std::to_string(i + 1)));
    co_await gather(tasks);
    server.close();
    co_await server.wait_closed();   // every handler has returned
    co_return server.stats();
}

} // namespace

void demo_echo(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int clients = opts.clients > 0 ? opts.clients : 20;
    const int messages = opts.messages > 0 ? opts.messages : 50;
    const std::size_t max_size = opts.size > 0 ? static_cast<std::size_t>(opts.size) : 2048;

    say.heading("A streams echo server, " + std::to_string(clients) + " clients, one thread");
    say.say("start_server() runs a handler task per connection; the handler reads a line with readline(), "
            "writes it back and drains, until the client's end of file. Each of the " + std::to_string(clients) +
            " clients connects with open_connection() and makes " + std::to_string(messages) +
            " round trips: a line of 1 to " + std::to_string(max_size) + " random letters (seeded by its "
            "number), then readline() for the echo, which it checks. The lines arrive in pieces; "
            "readline() puts them together.");
    say.source("read StreamReader::readline and StreamWriter::drain in streams.hpp, then start_server");
    say.gap();

    std::vector<ClientResult> results(static_cast<std::size_t>(clients));
    EchoCount count;
    const auto started = std::chrono::steady_clock::now();
    const ServerStats stats = run(echo_main(clients, messages, max_size, &results, &count), ctx.clock, demo_run_options(ctx));
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
    say.line(std::to_string(round_trips) + " round trips, " + std::to_string(bytes) + " bytes each way, every line checked");
    say.line("the server accepted " + std::to_string(stats.accepted) + " connections and echoed " +
             std::to_string(count.lines) + " lines (" + std::to_string(count.bytes) + " bytes); " +
             std::to_string(stats.failed) + " handlers failed, " + std::to_string(stats.refused) + " connections refused");
    if (!ctx.clock.is_virtual()) {
        // Timing: real clock only, so the virtual-clock transcript stays the same on every run.
        say.line("on the real clock: " + std::to_string(stats.peak) + " connections open at once, " +
                 format_time(seconds(elapsed)) + ", " +
                 std::to_string(static_cast<long long>(static_cast<double>(round_trips) / elapsed)) + " round trips per second");
    }
    say.gap();
    say.say("Compare stage 04's echo: there each coroutine looped over recv() itself; here the reader "
            "callback of each connection feeds a buffer, and readline() waits only when the buffer "
            "holds no whole line. On the virtual clock no time passes (nobody sleeps), so run it on the "
            "real clock for the rate, and try --clients 200.");
    if (ok != clients) throw std::runtime_error("some echo clients did not get back what they sent");
}

} // namespace looplab::stage07
