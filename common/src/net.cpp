#include "looplab/net.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <sys/socket.h>

namespace looplab {

sockaddr_in loopback_address(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::string to_string(const sockaddr_in& address) {
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(address.sin_port));
}

UniqueFd tcp_socket() { return UniqueFd(check(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket")); }

UniqueFd listen_loopback(std::uint16_t port, int backlog) {
    UniqueFd fd = tcp_socket();
    const int one = 1;
    check(::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), "setsockopt(SO_REUSEADDR)");
    const sockaddr_in a = loopback_address(port);
    check(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a), "bind");
    check(::listen(fd.get(), backlog), "listen");
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    check(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), "getsockname");
    return ntohs(a.sin_port);
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

} // namespace looplab
