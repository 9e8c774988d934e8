// bench-echo-load: the load generator of the echo workload, the same for every server.
//
// C clients on 127.0.0.1:PORT, each sending M messages of S bytes (a line: letters, then a newline),
// one at a time: send a message, receive its whole echo, check every byte, send the next. One thread,
// epoll, non-blocking sockets.
// Each client first makes one round trip that is not measured (so every connection is accepted and
// warm); then the clock starts.
//
// On two cores the generator itself can be the limit: the server and the generator each want a core,
// and the round trips per second say as much about the generator as about the server. So the figure
// that compares servers is the **server's CPU time per round trip**: /proc/PID/stat (user + system
// ticks of every thread of the server) read before and after the measured round trips. Round trips
// per second and the generator's own CPU time are printed beside it.
//
// A run is bounded: --timeout seconds after the start it gives up and says how far it got, whatever
// the server does: connects are non-blocking (a server that never accepts fills its backlog, and a
// blocking connect would then wait for minutes), and the deadline is checked on every turn, not only
// when a turn is idle (a server that trickles a byte at a time is never idle).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "bench.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"

namespace {

using looplab::UniqueFd;

[[noreturn]] void fail(const char* call) { throw std::system_error(errno, std::generic_category(), call); }

struct Client {
    UniqueFd sock;
    int id = 0;
    int sent_messages = 0;      // messages started (the warm-up one included)
    std::size_t sent = 0;       // bytes of the current message sent
    std::size_t received = 0;   // bytes of its echo received
    std::vector<char> message;  // what we sent: the echo must match it
    std::vector<char> echo;
    bool writing = false;       // epoll watches for EPOLLOUT too: a send() could not finish
};

// The bytes of message `index` of client `id`: letters that differ from client to client and from
// message to message, so an echo from the wrong connection or of the wrong message is caught, and a
// newline at the end, so that a server that echoes lines (readline) echoes it whole.
void fill(std::vector<char>& buf, int id, int index) {
    for (std::size_t j = 0; j < buf.size(); ++j)
        buf[j] = static_cast<char>('a' + (static_cast<std::size_t>(id) * 7 + static_cast<std::size_t>(index) * 13 + j) % 26);
    buf.back() = '\n';
}

class Load {
public:
    Load(int clients, int size) : epoll_(::epoll_create1(EPOLL_CLOEXEC)), clients_(static_cast<std::size_t>(clients)) {
        if (!epoll_) fail("epoll_create1");
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            clients_[i].id = static_cast<int>(i);
            clients_[i].message.resize(static_cast<std::size_t>(size));
            clients_[i].echo.resize(static_cast<std::size_t>(size));
        }
    }

    // Connects every client, or throws when `deadline` (wall seconds) passes first. Non-blocking
    // connects: EINPROGRESS, then the socket turns writable and SO_ERROR says how it went.
    void connect_all(std::uint16_t port, double deadline) {
        const sockaddr_in address = looplab::loopback_address(port);
        int pending = 0;
        for (Client& c : clients_) {
            c.sock = looplab::tcp_socket();
            looplab::set_nonblocking(c.sock.get());
            const int one = 1;
            if (::setsockopt(c.sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) fail("setsockopt(TCP_NODELAY)");
            const bool done = ::connect(c.sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
            if (!done && errno != EINPROGRESS) fail("connect");
            c.writing = !done;   // still connecting: wait for EPOLLOUT
            epoll_event ev{};
            ev.events = done ? EPOLLIN : EPOLLIN | EPOLLOUT;
            ev.data.ptr = &c;
            if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.sock.get(), &ev) < 0) fail("epoll_ctl");
            pending += done ? 0 : 1;
        }
        std::vector<epoll_event> events(clients_.size());
        while (pending > 0) {
            if (bench_time() > deadline)
                throw std::runtime_error("timed out connecting: " + std::to_string(clients_.size() - static_cast<std::size_t>(pending)) +
                                         " of " + std::to_string(clients_.size()) + " clients connected");
            const int n = wait(events, deadline);
            for (int i = 0; i < n; ++i) {
                Client& c = *static_cast<Client*>(events[static_cast<std::size_t>(i)].data.ptr);
                if (!c.writing) continue;
                int error = 0;
                socklen_t len = sizeof error;
                if (::getsockopt(c.sock.get(), SOL_SOCKET, SO_ERROR, &error, &len) < 0) fail("getsockopt(SO_ERROR)");
                if (error != 0) throw std::system_error(error, std::generic_category(), "connect");
                want(c, EPOLLIN);
                --pending;
            }
        }
    }

    // Runs until every client has completed `messages` round trips in all (counting from the start),
    // or `deadline` (wall seconds) passes. Returns the round trips completed in this call.
    long run(int messages, double deadline) {
        long completed = 0;
        int busy = 0;
        for (Client& c : clients_) {
            if (c.sent_messages < messages) {
                start_message(c);
                ++busy;
            }
        }
        std::vector<epoll_event> events(clients_.size());
        while (busy > 0) {
            if (bench_time() > deadline) return completed;
            const int n = wait(events, deadline);
            for (int i = 0; i < n; ++i) {
                Client& c = *static_cast<Client*>(events[static_cast<std::size_t>(i)].data.ptr);
                if (events[static_cast<std::size_t>(i)].events & EPOLLOUT) send_rest(c);
                if (!(events[static_cast<std::size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
                if (!receive(c)) continue;
                ++completed;
                if (c.sent_messages < messages) {
                    start_message(c);
                } else {
                    --busy;
                }
            }
        }
        return completed;
    }

    /// Echoes that did not match what was sent (the first problem, in words).
    std::string problem;

private:
    static double bench_time() { return looplab::bench::wall_seconds(); }

    // One epoll_wait, for at most 100 ms and never past the deadline; 0 events after EINTR.
    int wait(std::vector<epoll_event>& events, double deadline) {
        const double left_ms = (deadline - bench_time()) * 1000.0;
        const int timeout_ms = left_ms <= 0 ? 0 : left_ms >= 100 ? 100 : static_cast<int>(left_ms) + 1;
        const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
        if (n < 0 && errno != EINTR) fail("epoll_wait");
        return n < 0 ? 0 : n;
    }

    void start_message(Client& c) {
        fill(c.message, c.id, c.sent_messages);
        c.sent_messages += 1;
        c.sent = 0;
        c.received = 0;
        send_rest(c);
    }

    void send_rest(Client& c) {
        while (c.sent < c.message.size()) {
            const ssize_t n = ::send(c.sock.get(), c.message.data() + c.sent, c.message.size() - c.sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return want(c, EPOLLIN | EPOLLOUT);
                fail("send");
            }
            c.sent += static_cast<std::size_t>(n);
        }
        want(c, EPOLLIN);
    }

    void want(Client& c, std::uint32_t events) {
        const bool writing = (events & EPOLLOUT) != 0;
        if (writing == c.writing) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.ptr = &c;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.sock.get(), &ev) < 0) fail("epoll_ctl");
        c.writing = writing;
    }

    // Reads what has arrived; true once the whole echo of the current message is in and checked.
    bool receive(Client& c) {
        for (;;) {
            const ssize_t n = ::recv(c.sock.get(), c.echo.data() + c.received, c.echo.size() - c.received, 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
                fail("recv");
            }
            if (n == 0) throw std::runtime_error("the server closed client " + std::to_string(c.id) + "'s connection");
            c.received += static_cast<std::size_t>(n);
            if (c.received < c.echo.size()) continue;
            if (c.sent < c.message.size())
                throw std::runtime_error("client " + std::to_string(c.id) + " got an echo of bytes it has not sent");
            if (std::memcmp(c.echo.data(), c.message.data(), c.echo.size()) != 0 && problem.empty())
                problem = "client " + std::to_string(c.id) + "'s message " + std::to_string(c.sent_messages - 1) +
                          " came back different";
            return true;
        }
    }

    UniqueFd epoll_;
    std::vector<Client> clients_;
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench-echo-load: drives a TCP echo server on 127.0.0.1 and measures its CPU time per round trip "
                 "(one JSON object on stdout)"};
    int port = 0;
    long pid = 0;
    int clients = 20;
    int messages = 100;
    int size = 1024;
    double timeout = 120;
    app.add_option("--port", port, "The server's port on 127.0.0.1")->check(looplab::number(1, 65535))->required();
    app.add_option("--pid", pid, "The server's process id, whose CPU time is read from /proc/PID/stat (0: do not)")
        ->check(looplab::number(0L, 1L << 30))
        ->capture_default_str();
    app.add_option("--clients,-c", clients, "Concurrent clients")->check(looplab::number(1, 5000))->capture_default_str();
    app.add_option("--messages,-m", messages, "Measured round trips per client")
        ->check(looplab::number(1, 100000000))
        ->capture_default_str();
    app.add_option("--size", size, "Bytes per message")->check(looplab::number(1, 1 << 20))->capture_default_str();
    app.add_option("--timeout", timeout, "Give up after this many seconds")->check(looplab::number(1.0, 3600.0))->capture_default_str();
    if (auto code = looplab::bench::parse(app, argc, argv)) return *code;

    using namespace looplab;
    bench::Json json;
    json.add("workload", "echo").add("clients", clients).add("messages", messages).add("size", size);
    const double start = bench::wall_seconds();
    try {
        Load load(clients, size);
        load.connect_all(static_cast<std::uint16_t>(port), start + timeout);
        // The warm-up round trip of every client: not measured.
        if (load.run(1, start + timeout) != clients) return bench::report(json, false, "the warm-up round trips timed out");

        const long long server0 = pid > 0 ? bench::process_cpu_ticks(pid) : 0;
        const double cpu0 = bench::cpu_seconds();
        const double wall0 = bench::wall_seconds();
        const long done = load.run(1 + messages, start + timeout);
        const double wall = bench::wall_seconds() - wall0;
        const double cpu = bench::cpu_seconds() - cpu0;
        const long long server_ticks = pid > 0 ? bench::process_cpu_ticks(pid) - server0 : 0;

        const long expected = static_cast<long>(clients) * messages;
        const double server_cpu = static_cast<double>(server_ticks) / bench::ticks_per_second();
        json.add("round_trips", static_cast<long long>(done)).add("wall_s", wall).add("round_trips_per_s", done / wall);
        if (pid > 0) {
            json.add("server_ticks", server_ticks).add("server_cpu_s", server_cpu);
            json.add("server_cpu_us_per_rt", server_cpu * 1e6 / static_cast<double>(done));
        }
        json.add("load_cpu_s", cpu).add("load_cpu_us_per_rt", cpu * 1e6 / static_cast<double>(done));
        if (done != expected)
            return bench::report(json, false, "timed out after " + std::to_string(timeout) + " s with " +
                                                   std::to_string(done) + " of " + std::to_string(expected) + " round trips");
        if (!load.problem.empty()) return bench::report(json, false, load.problem);
        return bench::report(json, true);
    } catch (const std::exception& e) {
        return bench::report(json, false, e.what());
    }
}
