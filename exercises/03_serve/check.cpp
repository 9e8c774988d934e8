// Exercise 03_serve: the loop's phase 2 for one ready fd. Pipes and /dev/zero, on the virtual clock.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/trace.hpp"

using namespace looplab;

namespace {
void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) done += static_cast<std::size_t>(check(::write(fd, data.data() + done, data.size() - done), "write"));
}

// Reads `amount` at a time until end of file, keeping each answer.
Coroutine<> read_into(int fd, std::size_t amount, std::vector<std::string>* got) {
    while (true) {
        std::string bytes = co_await Read{fd, amount};
        got->push_back(bytes);
        if (bytes.size() < amount) co_return;
    }
}

Coroutine<> read_once(int fd, std::size_t amount, std::vector<std::string>* log) {
    std::string bytes = co_await Read{fd, amount};
    log->push_back("read " + std::to_string(bytes.size()) + " bytes");
}

Coroutine<> ticker(int steps, const Clock* clock, std::vector<std::string>* log) {
    for (int i = 1; i <= steps; ++i) {
        co_await Sleep{clock->now() + seconds(0.1)};
        log->push_back("tick " + std::to_string(i));
    }
}

Coroutine<> catches_system_error(int fd, std::string* message) {
    try {
        co_await Read{fd, 10};
    } catch (const std::system_error& e) {
        *message = e.what();
    }
}
} // namespace

TEST_CASE("a Read of 5 bytes from a pipe holding 5 gets them in one read()" *
          doctest::description("find the Reader with readers_.find(fd), read() into the end of reader.data, "
                               "count the call in stats_.reads; with all 5 bytes, move them into the task's "
                               "answer, erase the reader and step() the task")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), "hello");
    std::vector<std::string> log;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(pipe.read.get(), 5, &log));
    loop.run();
    CHECK(log == std::vector<std::string>{"read 5 bytes"});
    CHECK(loop.stats().reads == 1);
}

TEST_CASE("bytes that arrive over several turns are gathered until the amount is reached" *
          doctest::description("with fewer bytes than asked for and no end of file, return and leave the "
                               "reader in readers_: the next turn's read() appends to what it has")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 5, &got));
    loop.run_once();                       // the reader files its Read
    write_all(pipe.write.get(), "ab");
    loop.run_once();                       // 2 of 5
    CHECK(got.empty());
    write_all(pipe.write.get(), "cdefg");
    loop.run_once();                       // 3 more: "abcde"; "fg" stays in the pipe
    REQUIRE(got.size() == 1);
    CHECK(got[0] == "abcde");
    CHECK(loop.stats().reads == 2);
}

TEST_CASE("end of file ends the wait with what there is, then with nothing" *
          doctest::description("read() returning 0 means end of file: hand over the bytes gathered so far "
                               "(possibly none) instead of waiting for more")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), std::string(10000, 'x') + "tail");
    pipe.write.reset();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 10000, &got));
    loop.run();
    REQUIRE(got.size() == 2);
    CHECK(got[0] == std::string(10000, 'x'));
    CHECK(got[1] == "tail");
}

TEST_CASE("one read() per turn, at most read_chunk bytes" *
          doctest::description("ask read() for min(read_chunk, amount - what the reader has): 10000 bytes take "
                               "3 reads of 4096, 4096 and 1808, then 'tail' 1 and end of file 1")) {
    VirtualClock clock;
    Tracer trace(clock);
    Pipe pipe = make_pipe();
    write_all(pipe.write.get(), std::string(10000, 'x') + "tail");
    pipe.write.reset();
    std::vector<std::string> got;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_into(pipe.read.get(), 10000, &got));
    loop.run();
    CHECK(loop.stats().reads == 5);
}

TEST_CASE("a reader of an endless fd does not starve a sleeper" *
          doctest::description("one read() per call of serve(), never a loop 'while there is data': a Read of "
                               "1 MiB from /dev/zero takes 256 turns, and the ticker's deadlines come and go "
                               "while it reads")) {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd zero(check(::open("/dev/zero", O_RDONLY | O_CLOEXEC), "open(/dev/zero)"));
    std::vector<std::string> log;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", read_once(zero.get(), 1 << 20, &log));
    loop.spawn("ticker", ticker(3, &clock, &log));
    loop.run();
    CHECK(log == std::vector<std::string>{"tick 1", "tick 2", "tick 3", "read 1048576 bytes"});
    CHECK(loop.stats().reads == 256);
}

TEST_CASE("a failing read() is thrown into the reader, naming the call" *
          doctest::description("on an errno other than EINTR/EAGAIN, set the task's error to "
                               "std::make_exception_ptr(std::system_error(errno, std::generic_category(), "
                               "\"read(fd N)\")), erase the reader and step() the task")) {
    VirtualClock clock;
    Tracer trace(clock);
    // A directory: select() says readable, and read() fails with EISDIR.
    UniqueFd dir(check(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open(.)"));
    std::string message;
    SelectLoop loop(clock, trace);
    loop.spawn("reader", catches_system_error(dir.get(), &message));
    loop.run();
    CHECK(message.find("read(fd " + std::to_string(dir.get()) + ")") == 0);
    CHECK(loop.waiting() == 0);
}
