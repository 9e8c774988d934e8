// bench-epoll-echo: the floor of the echo workload. A TCP echo server in plain C++ on epoll, with no
// loop framework, no coroutines, no allocation per message: what is left is what the kernel's
// loopback costs (a recv and a send per message, and one epoll_wait per batch of ready sockets).
// Every looplab server and every Python server is compared with it.
//
// Level-triggered: one recv() per readable socket per epoll_wait(), so no client can hold the
// thread. A send() that cannot take everything keeps the rest and waits for EPOLLOUT, reading
// nothing more from that client until it is sent (bounded memory: at most one buffer per client).
// Same contract as the stage binaries' --serve: the first line is `listening on 127.0.0.1:PORT`,
// SIGINT or SIGTERM stops it with exit code 0.
#include <cerrno>
#include <cstdint>
#include <iostream>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "bench.hpp"
#include "looplab/fd.hpp"

namespace {

using looplab::UniqueFd;

[[noreturn]] void fail(const char* call) { throw std::system_error(errno, std::generic_category(), call); }

struct Connection {
    UniqueFd sock;
    std::vector<char> unsent;   // what send() could not take yet
    std::size_t offset = 0;
};

class Server {
public:
    Server(int listener, int signals) : listener_(listener), signals_(signals), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
        if (!epoll_) fail("epoll_create1");
        watch(listener_, EPOLLIN, EPOLL_CTL_ADD);
        watch(signals_, EPOLLIN, EPOLL_CTL_ADD);
    }

    // Serves until a signal arrives.
    void run() {
        std::vector<epoll_event> events(256);
        for (;;) {
            const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), -1);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("epoll_wait");
            }
            for (int i = 0; i < n; ++i) {
                const int fd = events[static_cast<std::size_t>(i)].data.fd;
                const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
                if (fd == signals_) return;
                if (fd == listener_) {
                    accept_all();
                } else if (what & EPOLLOUT) {
                    flush(fd);
                } else {
                    echo(fd);
                }
            }
        }
    }

    std::uint64_t accepted = 0;  ///< connections served
    std::uint64_t bytes = 0;     ///< bytes echoed

private:
    void watch(int fd, std::uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), op, fd, &ev) < 0) fail("epoll_ctl");
    }

    void accept_all() {
        for (;;) {
            const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return;
                if (errno == EMFILE || errno == ENFILE) return;   // try again on the next readiness
                fail("accept4");
            }
            connections_[fd].sock = UniqueFd(fd);
            watch(fd, EPOLLIN, EPOLL_CTL_ADD);
            accepted += 1;
        }
    }

    void echo(int fd) {
        const ssize_t got = ::recv(fd, buffer_.data(), buffer_.size(), 0);
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        if (got <= 0) return close(fd);   // end of stream, or an error such as ECONNRESET
        bytes += static_cast<std::uint64_t>(got);
        std::size_t sent = 0;
        while (sent < static_cast<std::size_t>(got)) {
            const ssize_t n = ::send(fd, buffer_.data() + sent, static_cast<std::size_t>(got) - sent, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) return close(fd);
                Connection& c = connections_[fd];
                c.unsent.assign(buffer_.data() + sent, buffer_.data() + got);
                c.offset = 0;
                watch(fd, EPOLLOUT, EPOLL_CTL_MOD);   // stop reading until this is sent
                return;
            }
            sent += static_cast<std::size_t>(n);
        }
    }

    void flush(int fd) {
        Connection& c = connections_[fd];
        while (c.offset < c.unsent.size()) {
            const ssize_t n = ::send(fd, c.unsent.data() + c.offset, c.unsent.size() - c.offset, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                return close(fd);
            }
            c.offset += static_cast<std::size_t>(n);
        }
        c.unsent.clear();
        watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    }

    void close(int fd) { connections_.erase(fd); }   // closing the fd also removes it from the epoll set

    int listener_;
    int signals_;
    UniqueFd epoll_;
    std::unordered_map<int, Connection> connections_;
    std::vector<char> buffer_ = std::vector<char>(64 * 1024);
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench-epoll-echo: a minimal TCP echo server on epoll, the floor of the echo benchmark"};
    int port = 0;
    looplab::bench::add_serve_option(app, port);
    if (auto code = looplab::bench::parse(app, argc, argv)) return *code;

    try {
        UniqueFd signals = looplab::bench::stop_signals();   // watched by epoll like the sockets
        UniqueFd listener = looplab::bench::listen_and_announce(port);
        Server server(listener.get(), signals.get());
        server.run();
        std::cout << "stopped: served " << server.accepted << " connections, echoed " << server.bytes << " bytes"
                  << std::endl;
    } catch (const std::system_error& e) {
        std::cerr << "bench-epoll-echo: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
