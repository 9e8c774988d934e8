// Exercise 07_line_protocol: LineNumberProtocol on a real transport. The test plays the peer on the
// other end of a non-blocking socketpair and chooses how the bytes are cut; a loop on the virtual clock.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <vector>

#include "conformance/helpers.hpp"
#include "line_protocol.hpp"
#include "looplab/fd.hpp"
#include "support/socket_rig.hpp"
#include "transports.hpp"

using namespace looplab;
using conformance_test::LoopFixture;

namespace {
// The peer: sends each piece in an iteration of its own (so each is a chunk of its own for the
// protocol), then end of file, then reads everything the protocol answered until it closes.
Coroutine<std::string> peer(UniqueFd* sock, std::vector<std::string> pieces) {
    for (const std::string& piece : pieces) {
        co_await sleep(0.01);
        co_await sock_sendall(sock->get(), piece);
    }
    co_await sleep(0.01);
    ::shutdown(sock->get(), SHUT_WR);
    std::string heard;
    while (true) {
        std::string chunk = co_await sock_recv(sock->get(), 65536);
        if (chunk.empty()) co_return heard;
        heard += chunk;
    }
}

std::string talk(std::vector<std::string> pieces, std::shared_ptr<LineNumberProtocol>* keep = nullptr) {
    LoopFixture f;
    auto sockets = looplab::testing::nonblocking_pair();
    auto protocol = std::make_shared<LineNumberProtocol>();
    if (keep != nullptr) *keep = protocol;
    SocketTransport::start(f.loop, std::move(sockets.first), protocol);
    const std::string heard = f.loop.run_until_complete(peer(&sockets.second, std::move(pieces)));
    CHECK(f.reports.empty());
    return heard;
}

// Chunks one byte long: the worst TCP could do.
std::vector<std::string> bytes_of(std::string_view s) {
    std::vector<std::string> out;
    for (char c : s) out.emplace_back(1, c);
    return out;
}
} // namespace

TEST_CASE("one chunk, one line: the answer is the numbered line" *
          doctest::description("append the chunk to pending_, find the '\\n', call answer() with the line before it, "
                               "and erase what you answered from pending_")) {
    CHECK(talk({"hello\n"}) == "1: hello\nbye\n");
}

TEST_CASE("one chunk with several lines answers each, in order" *
          doctest::description("keep searching after the first '\\n': a chunk can hold any number of lines")) {
    CHECK(talk({"one\ntwo\nthree\n"}) == "1: one\n2: two\n3: three\nbye\n");
}

TEST_CASE("a line cut across chunks is answered once it is whole" *
          doctest::description("the part after the last '\\n' stays in pending_ until the next chunk completes it; "
                               "copy it: `data` is only lent for the call")) {
    CHECK(talk({"hel", "lo\nwor", "ld\n"}) == "1: hello\n2: world\nbye\n");
}

TEST_CASE("one byte per chunk gives the same answers" *
          doctest::description("if cutting the stream differently changes the answers, some bytes are kept twice or "
                               "lost between chunks")) {
    const std::string text = "alpha\nbeta\n\ngamma\n";
    CHECK(talk(bytes_of(text)) == talk({text}));
    CHECK(talk({text}) == "1: alpha\n2: beta\n3: \n4: gamma\nbye\n");
}

TEST_CASE("an unfinished last line is answered at end of file" *
          doctest::description("eof_received() answers what is left in pending_: so data_received must leave the "
                               "unfinished line there, and nothing else")) {
    std::shared_ptr<LineNumberProtocol> p;
    CHECK(talk({"first\nsec", "ond"}, &p) == "1: first\n2: second\nbye\n");
    CHECK(p->lines() == 2);
}

TEST_CASE("a large stream in odd chunks: every line answered once" *
          doctest::description("answer lines as they complete, not all at the end: a long stream must not pile up "
                               "in pending_")) {
    std::string text;
    std::string expected;
    for (int i = 1; i <= 500; ++i) {
        text += "line " + std::to_string(i) + "\n";
        expected += std::to_string(i) + ": line " + std::to_string(i) + "\n";
    }
    std::vector<std::string> pieces;
    for (std::size_t at = 0, n = 1; at < text.size(); at += n, n = n % 37 + 5) pieces.push_back(text.substr(at, n));
    std::shared_ptr<LineNumberProtocol> p;
    CHECK(talk(pieces, &p) == expected + "bye\n");
    CHECK(p->lines() == 500);
}
