/// @file
/// @brief TCP on the loopback interface: listening, addresses, SIGPIPE.
///
/// Every network demo and test in looplab talks only to 127.0.0.1, on a port the kernel picks
/// (port 0), so two runs never collide and nothing leaves the machine.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <string>

#include "looplab/fd.hpp"

namespace looplab {

/// 127.0.0.1:port as a socket address.
sockaddr_in loopback_address(std::uint16_t port);
/// "127.0.0.1:8080".
std::string to_string(const sockaddr_in& address);

/// A TCP socket listening on 127.0.0.1:port (0 = any free port), with SO_REUSEADDR so a restarted
/// server can bind at once.
UniqueFd listen_loopback(std::uint16_t port = 0, int backlog = 128);
/// The port a bound socket ended up on (how a caller learns the port that port 0 picked).
std::uint16_t local_port(int fd);
/// A new TCP socket, not yet connected, with close-on-exec set.
UniqueFd tcp_socket();

/// Makes writes to a closed socket fail with EPIPE instead of killing the process with SIGPIPE.
/// Every program that writes to sockets wants this. The CPython interpreter ignores SIGPIPE at
/// start-up for every Python program, asyncio or not, which is why Python sees BrokenPipeError.
void ignore_sigpipe();

} // namespace looplab
