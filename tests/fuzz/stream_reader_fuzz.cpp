// A libFuzzer target over stage 07's StreamReader (stream_reader.hpp): the parsing of readline,
// readuntil, readexactly and read, with random chunking, random limits and either end of a stream
// (end of file, or an error such as a reset).
//
// Each input is decoded into: a limit (1 to 24 bytes, so limits are hit often), how the stream
// ends, how it is cut into chunks and how long the feeder pauses between them, a list of read
// operations, and the stream's bytes (mostly from the alphabet "\na\rb", so separators turn up).
// A feeder task pushes the chunks as a protocol would; the reader task runs the operations one
// after another. After each, the result is checked against the documented contract, computed from
// the whole stream by a model that knows nothing of chunks (stream_reader.hpp's file comment and
// its doc comments). Crashes, leaks and undefined behaviour are AddressSanitizer's and UBSan's to
// find; a result that breaks the contract aborts with a description of what broke.
//
// Build and run it with `make fuzz` (clang++ -fsanitize=fuzzer,address; tests/fuzz/corpus/ holds
// the seeds). tests/fuzz/replay.cpp runs the seeds through the same checks in every test build.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/random.hpp"
#include "run.hpp"
#include "stream_reader.hpp"

namespace {

using namespace looplab;

// Reads the fuzzer's bytes in order; zeros once they run out.
struct Input {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t byte() {
        if (n == 0) return 0;
        --n;
        return *p++;
    }
};

constexpr char alphabet[] = "\na\rb";

enum class Kind { Readline, Readuntil, Readexactly, Read };
struct Op {
    Kind kind;
    long n = 0;             // readexactly, read: the count (read: -1 = to the end)
    std::string separator;  // readuntil
    [[nodiscard]] std::string name() const {
        switch (kind) {
        case Kind::Readline: return "readline()";
        case Kind::Readuntil: return "readuntil(" + std::to_string(separator.size()) + " bytes)";
        case Kind::Readexactly: return "readexactly(" + std::to_string(n) + ")";
        case Kind::Read: return "read(" + std::to_string(n) + ")";
        }
        return "?";
    }
};

// What an operation did.
struct Outcome {
    enum What { Value, Incomplete, Overrun, Invalid, Error, Other } what = Other;
    std::string bytes;                     // Value: the result; Incomplete: the partial data
    std::optional<std::size_t> expected;   // Incomplete: what was asked for
    std::size_t consumed = 0;              // Overrun
    std::string message;                   // Other
};

// The whole stream and how far the two sides have got.
struct Model {
    std::size_t limit = 1;
    std::string data;          // every byte the feeder will feed
    bool ends_in_error = false;
    std::size_t fed = 0;       // bytes fed so far
    std::size_t pos = 0;       // bytes the reader has returned or dropped
    bool eof_fed = false;
    bool error_set = false;
};

[[noreturn]] void broken(const Op& op, const std::string& what) {
    std::fprintf(stderr, "stream reader contract broken by %s: %s\n", op.name().c_str(), what.c_str());
    std::abort();
}

void require(bool ok, const Op& op, const std::string& what) {
    if (!ok) broken(op, what);
}

Coroutine<Outcome> perform(StreamReader reader, Op op) {
    Outcome out;
    try {
        switch (op.kind) {
        case Kind::Readline: out.bytes = co_await reader.readline(); break;
        case Kind::Readuntil: out.bytes = co_await reader.readuntil(op.separator); break;
        case Kind::Readexactly: out.bytes = co_await reader.readexactly(static_cast<std::size_t>(op.n)); break;
        case Kind::Read: out.bytes = co_await reader.read(op.n); break;
        }
        out.what = Outcome::Value;
    } catch (const IncompleteReadError& e) {
        out = {Outcome::Incomplete, e.partial(), e.expected(), 0, {}};
    } catch (const LimitOverrunError& e) {
        out = {Outcome::Overrun, {}, {}, e.consumed(), {}};
    } catch (const std::invalid_argument&) {
        out.what = Outcome::Invalid;
    } catch (const std::system_error& e) {
        out.what = e.code() == std::errc::connection_reset ? Outcome::Error : Outcome::Other;
        out.message = e.what();
    } catch (const std::exception& e) {
        out = {Outcome::Other, {}, {}, 0, e.what()};
    }
    co_return out;
}

// The contract, for one operation that has just returned or thrown. Moves m.pos as the reader
// should have moved through the stream.
void check(Model& m, const Op& op, const Outcome& out, bool error_before, const StreamReader& reader) {
    const auto expect_value = [&](const std::string& want) {
        require(out.what == Outcome::Value, op, "expected a value of " + std::to_string(want.size()) + " bytes");
        require(out.bytes == want, op, "returned " + std::to_string(out.bytes.size()) + " bytes, not the " +
                                           std::to_string(want.size()) + " the stream holds there");
    };
    const std::size_t size = m.data.size();
    const std::string rest = m.data.substr(m.pos);

    if (op.kind == Kind::Readuntil && op.separator.empty()) {   // refused before anything else
        require(out.what == Outcome::Invalid, op, "an empty separator must be std::invalid_argument");
        return;
    }
    // An error is raised by every read once it is set, even with bytes buffered; and only then.
    if (error_before) require(out.what == Outcome::Error, op, "the stored error must be raised");
    if (out.what == Outcome::Error) {
        require(m.error_set, op, "raised an error that was never set");
        if (op.kind == Kind::Read && op.n < 0) m.pos = m.fed - reader.buffered();   // blocks read so far are lost
        return;
    }
    require(out.what != Outcome::Other, op, "threw something undocumented: " + out.message);

    switch (op.kind) {
    case Kind::Readline: {
        const std::size_t nl = m.data.find('\n', m.pos);
        if (nl != std::string::npos && nl - m.pos <= m.limit) {
            expect_value(m.data.substr(m.pos, nl - m.pos + 1));
            m.pos = nl + 1;
        } else if (nl != std::string::npos || size - m.pos > m.limit) {
            // Too long: std::invalid_argument, and the line is dropped up to its "\n" if that is
            // buffered already, else everything buffered.
            require(out.what == Outcome::Invalid, op, "a line over the limit must be std::invalid_argument");
            const std::size_t buffered_nl = m.data.substr(m.pos, m.fed - m.pos).find('\n');
            m.pos = buffered_nl == std::string::npos ? m.fed : m.pos + buffered_nl + 1;
        } else {
            require(m.eof_fed, op, "returned the last partial line before the end of the stream");
            expect_value(rest);   // the partial last line, or "" at the end
            m.pos = size;
        }
        break;
    }
    case Kind::Readuntil: {
        const std::size_t seplen = op.separator.size();
        const std::size_t at = m.data.find(op.separator, m.pos);
        if (at != std::string::npos && at - m.pos <= m.limit) {
            expect_value(m.data.substr(m.pos, at - m.pos + seplen));
            m.pos = at + seplen;
        } else if (at != std::string::npos || size - m.pos + 1 > m.limit + seplen) {
            require(out.what == Outcome::Overrun, op, "a separator beyond the limit must be LimitOverrunError");
            require(out.consumed > m.limit, op, "LimitOverrunError.consumed must be past the limit");
        } else {
            require(out.what == Outcome::Incomplete, op, "no separator before the end must be IncompleteReadError");
            require(m.eof_fed, op, "IncompleteReadError before the end of the stream");
            require(out.bytes == rest && !out.expected, op, "IncompleteReadError must hold the rest, expected: none");
            m.pos = size;
        }
        break;
    }
    case Kind::Readexactly: {
        const auto n = static_cast<std::size_t>(op.n);
        if (size - m.pos >= n) {
            expect_value(m.data.substr(m.pos, n));
            m.pos += n;
        } else {
            require(out.what == Outcome::Incomplete, op, "a stream that ends short must be IncompleteReadError");
            require(m.eof_fed, op, "IncompleteReadError before the end of the stream");
            require(out.bytes == rest && out.expected == n, op, "IncompleteReadError must hold the rest and n");
            m.pos = size;
        }
        break;
    }
    case Kind::Read: {
        if (op.n < 0) {   // everything until the end
            require(m.eof_fed, op, "read(-1) returned before the end of the stream");
            expect_value(rest);
            m.pos = size;
        } else if (op.n > 0) {   // up to n, as soon as at least one byte is there
            const std::size_t available = m.fed - m.pos;
            if (available == 0) require(m.eof_fed, op, "read(n) returned nothing before the end of the stream");
            const std::size_t take = std::min(static_cast<std::size_t>(op.n), available);
            expect_value(m.data.substr(m.pos, take));
            m.pos += take;
        } else {
            expect_value("");
        }
        break;
    }
    }
}

Coroutine<void> feeder(StreamReader reader, Model* m, std::uint64_t seed, std::size_t max_chunk) {
    SplitMix64 random(seed);
    while (m->fed < m->data.size()) {
        for (auto pause = random.below(3); pause > 0; --pause) co_await sleep(0);
        const std::size_t chunk = std::min<std::size_t>(1 + random.below(max_chunk), m->data.size() - m->fed);
        reader.feed_data(std::string_view(m->data).substr(m->fed, chunk));
        m->fed += chunk;
    }
    co_await sleep(0);
    if (m->ends_in_error) {
        m->error_set = true;
        reader.set_exception(std::make_exception_ptr(
            std::system_error(std::make_error_code(std::errc::connection_reset), "recv")));
    } else {
        m->eof_fed = true;
        reader.feed_eof();
    }
}

Coroutine<void> session(Model* m, std::vector<Op> ops, std::uint64_t seed, std::size_t max_chunk) {
    StreamReader reader(m->limit);
    Task<void> feeding = create_task(feeder(reader, m, seed, max_chunk), "feeder");
    for (const Op& op : ops) {
        const bool error_before = m->error_set;
        const Outcome out = co_await perform(reader, op);
        check(*m, op, out, error_before, reader);
        require(reader.buffered() == m->fed - m->pos, op, "buffered() must be what was fed and not read");
        require(reader.at_eof() == (m->eof_fed && m->pos == m->data.size()), op, "at_eof() is wrong");
    }
    co_await feeding;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    Input in{bytes, size};
    Model m;
    m.limit = 1 + in.byte() % 24;
    m.ends_in_error = (in.byte() & 1) != 0;
    const std::uint64_t seed = in.byte();
    const std::size_t max_chunk = 1 + in.byte() % 32;
    std::vector<Op> ops(1 + in.byte() % 16);
    for (Op& op : ops) {
        const std::uint8_t kind = in.byte();
        const std::uint8_t arg = in.byte();
        switch (kind % 6) {
        case 0: op.kind = Kind::Readline; break;
        case 1:
            op.kind = Kind::Readuntil;
            for (int i = 0; i < 1 + arg % 3; ++i) op.separator += alphabet[(arg >> (2 + 2 * i)) & 3];
            break;
        case 2: op = {Kind::Readexactly, static_cast<long>(arg % 40), {}}; break;
        case 3: op = {Kind::Read, 1 + static_cast<long>(arg % 40), {}}; break;
        case 4: op = {Kind::Read, arg % 4 == 0 ? -1L : 1 + static_cast<long>(arg % 8), {}}; break;
        default:   // the zero-size corners: read(0), readexactly(0), readuntil("")
            op = arg % 3 == 0 ? Op{Kind::Read, 0, {}} : arg % 3 == 1 ? Op{Kind::Readexactly, 0, {}} : Op{Kind::Readuntil, 0, ""};
        }
    }
    // The rest is the stream: bytes with the top bit set stay as they are (NULs, high bytes), the
    // others become one of four, so that lines and separators are common.
    while (in.n > 0) {
        const std::uint8_t b = in.byte();
        m.data += (b & 0x80) != 0 ? static_cast<char>(b) : alphabet[b & 3];
    }
    VirtualClock clock;
    run(session(&m, std::move(ops), seed, max_chunk), clock);
    return 0;
}
