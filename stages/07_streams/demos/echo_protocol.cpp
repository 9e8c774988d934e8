// Demo `echo-protocol`: the `echo` workload (20 clients, 50 seeded-random lines each, every echo
// checked) against a server written as a Protocol: no task and no coroutine per connection, just
// callbacks the transport pushes chunks into. The clients still pull lines with streams. The
// transcript is a summary computed after the run (a golden transcript on the virtual clock); the
// real clock adds how the bytes were cut and the rate.
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "demos/demos.hpp"
#include "demos/echo_client.hpp"
#include "protocols.hpp"
#include "servers.hpp"
#include "streams.hpp"

namespace looplab::inline stage07 {

namespace {

// What the server's protocols counted, all connections together.
struct EchoTally {
    std::uint64_t made = 0;      // connection_made calls
    std::uint64_t chunks = 0;    // data_received calls: how TCP cut the bytes (varies from run to run)
    std::uint64_t bytes = 0;
    std::uint64_t clean = 0;     // connection_lost(null)
    std::uint64_t failed = 0;    // connection_lost(error)
};

// The server's side of one connection, pushed: each chunk goes straight back, whatever it holds
// (half a line, three lines and a bit). Flow control is the protocol's job: when the client
// reads slower than it writes, the transport says pause_writing(), and we stop reading from it.
class EchoProtocol final : public Protocol {
public:
    explicit EchoProtocol(EchoTally* tally) : tally_(tally) {}
    void connection_made(Transport& transport) override {
        transport_ = &transport;   // valid until connection_lost: the transport keeps itself alive
        tally_->made += 1;
    }
    void data_received(std::string_view data) override {
        tally_->chunks += 1;
        tally_->bytes += data.size();
        transport_->write(data);   // sends now, or buffers what the socket did not take
    }
    bool eof_received() override { return false; }   // the client is done: close (after the buffer)
    void connection_lost(std::exception_ptr error) override { (error ? tally_->failed : tally_->clean) += 1; }
    void pause_writing() override { transport_->pause_reading(); }
    void resume_writing() override { transport_->resume_reading(); }

private:
    EchoTally* tally_;
    Transport* transport_ = nullptr;
};

Coroutine<ServerStats> echo_protocol_main(int clients, int messages, std::size_t max_size,
                                          std::vector<ClientResult>* results, EchoTally* tally) {
    const ProtocolFactory factory = [tally] { return std::make_shared<EchoProtocol>(tally); };
    Server server = co_await create_server(factory);
    std::vector<Task<void>> tasks;
    for (int i = 0; i < clients; ++i)
        tasks.push_back(create_task(echo_client(server.address(), messages, max_size, static_cast<std::uint64_t>(i + 1),
                                                &(*results)[static_cast<std::size_t>(i)]),
                                    "client " + std::to_string(i + 1)));
    co_await gather(tasks);
    server.close();
    co_await server.wait_closed();   // every connection is lost
    co_return server.stats();
}

} // namespace

void demo_echo_protocol(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const int clients = opts.clients > 0 ? opts.clients : 20;
    const int messages = opts.messages > 0 ? opts.messages : 50;
    const std::size_t max_size = opts.size > 0 ? static_cast<std::size_t>(opts.size) : 2048;

    say.heading("The echo server as a Protocol (push), its " + std::to_string(clients) + " clients on streams (pull)");
    say.say("create_server() gives each connection a SocketTransport and a new EchoProtocol. The loop "
            "pushes: select() says readable, the transport's reader callback recv()s and calls "
            "data_received(chunk), which writes the chunk straight back. No task, no coroutine, no "
            "buffer of lines: the server never knows where a line ends, and need not. The clients are "
            "the echo demo's: they pull, with readline(), which waits until a whole line is there.");
    say.source("read protocols.hpp, then SocketTransport in transports.hpp and StreamReaderProtocol in streams.hpp");
    say.gap();

    std::vector<ClientResult> results(static_cast<std::size_t>(clients));
    EchoTally tally;
    const auto started = std::chrono::steady_clock::now();
    const ServerStats stats =
        run(echo_protocol_main(clients, messages, max_size, &results, &tally), ctx.clock, demo_run_options(ctx));
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
    say.line("the server made " + std::to_string(tally.made) + " protocols and echoed " + std::to_string(tally.bytes) +
             " bytes; " + std::to_string(tally.clean) + " connections ended cleanly, " + std::to_string(tally.failed) +
             " with an error, " + std::to_string(stats.refused) + " refused");
    if (!ctx.clock.is_virtual()) {
        // How TCP cut the bytes, and the rate: real clock only, so the transcript stays the same.
        say.line("on the real clock: " + std::to_string(tally.chunks) + " data_received calls for " +
                 std::to_string(round_trips) + " lines, " + format_time(seconds(elapsed)) + ", " +
                 std::to_string(static_cast<long long>(static_cast<double>(round_trips) / elapsed)) +
                 " round trips per second");
    }
    say.gap();
    say.say("Push or pull: the same bytes. The protocol is a state machine the loop drives; it is cheap "
            "(one callback per chunk, nothing to resume) and it suits a server that does not care where a "
            "line ends. A program that wants the next line would have to keep its own buffer and "
            "remember where it was; streams do that once, on top: StreamReaderProtocol is a Protocol "
            "whose data_received feeds a StreamReader, and readline() is a coroutine that waits on it. "
            "Flow control is explicit here too: pause_writing() makes the server stop reading until "
            "resume_writing(), where a stream handler would simply await drain().");
    if (ok != clients) throw std::runtime_error("some echo clients did not get back what they sent");
}

} // namespace looplab::stage07
