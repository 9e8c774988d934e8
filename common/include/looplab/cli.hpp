/// @file
/// @brief The command line every stage binary shares, and the runner of its demos.
///
/// Each stage binary is a list of named demos. `main.cpp` registers them with a StageApp and hands
/// over argc/argv; StageApp parses the shared options with CLI11, picks the demos to run (one by name,
/// or all of them in order), gives each a fresh clock, tracer and narrator, and draws the trace views
/// afterwards. A stage adds its own options (`--tasks`, `--queue`, ...) on cli() before parsing.
///
/// Exit codes: 0 when every demo ran; 1 when a demo failed (the error is printed, naming the demo);
/// 2 for a bad command line (CLI11's own message). `--help` exits 0.
///
/// Every number option, here and in the benchmark programs, is checked by number(min, max): CLI11
/// alone would read `0x50` as hex, `010` as octal and `nan` as a number within every range.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "looplab/clock.hpp"
#include "looplab/color.hpp"
#include "looplab/narration.hpp"
#include "looplab/numbers.hpp"
#include "looplab/trace.hpp"

namespace looplab {

/// The check of a number option: `->check(number(0.0, 10.0))`. T must be the option's type. It reads
/// the text with parse_decimal() (decimal only, finite, in [min, max]) and hands CLI11 the number
/// written back in plain decimal, so CLI11's own conversion cannot read it another way. A refusal
/// is CLI11's ValidationError, naming the option and why (e.g. that nan is not a number), and exit code 2. `bound`, if
/// given, says where the range comes from, after an out-of-range refusal.
template <class T>
CLI::Validator number(T min, T max, std::string bound = {}) {
    return CLI::Validator(
        [min, max, bound](std::string& text) {
            T value{};
            std::string why = parse_decimal(text, value, min, max);
            if (why.empty()) text = decimal_text(value);
            if (!bound.empty() && why.find("out of range") != std::string::npos) why += " (" + bound + ")";
            return why;
        },
        "NUMBER in [" + decimal_text(min) + ", " + decimal_text(max) + "]");
}

/// The shared options, as parsed.
struct Options {
    std::string demo;               ///< the demo to run; empty = all, in order
    bool list = false;              ///< --list: print the demos and exit
    std::string clock = "real";     ///< --clock real|virtual
    bool trace = false;             ///< --trace: the line log
    bool timeline = false;          ///< --timeline: the ASCII chart after each demo
    std::string trace_json;         ///< --trace-json FILE
    std::string color = "auto";     ///< --color auto|always|never
    bool quiet = false;             ///< --quiet: results only, no lecture
};

/// What a running demo is given: its clock, its tracer, its voice, and the options.
struct DemoContext {
    Clock& clock;            ///< fresh for each demo: time starts at 0
    Tracer& trace;           ///< on when a trace view was asked for
    Narrator& say;           ///< the demo's output
    const Options& options;  ///< the parsed shared options
};

/// One named demo of a stage.
struct Demo {
    std::string name;                          ///< what the student types: `01-generators send`
    std::string summary;                       ///< one line for --list and the banner
    std::function<void(DemoContext&)> run;     ///< the demo itself; may throw
    /// True when the output depends only on timers, so that `--clock virtual` prints the same bytes
    /// every run and a golden transcript can test it. A demo that is not says why in its narration.
    bool deterministic = true;
};

/// A stage binary: its demos and its command line.
class StageApp {
public:
    /// `binary` is the program name (`01-generators`), `description` the first line of --help.
    StageApp(std::string binary, std::string description);

    /// Registers a demo. Demos run in registration order when none is named.
    void add(Demo demo);
    /// Names the demo that `make run` (the guided tour) shows for this stage.
    void set_tour(std::string name);
    /// Sets the axis of every demo's timeline and trace file (stage 01, which has no loop clock,
    /// counts events instead of time).
    void set_trace_axis(TraceAxis axis) { axis_ = axis; }
    /// The CLI11 app, for stage-specific options. Add them before parse().
    CLI::App& cli() { return cli_; }
    /// Sends demo output to `out` instead of std::cout (tests use this).
    void set_output(std::ostream& out);

    /// Parses the command line. Returns an exit code when the program should stop now (--help, --list,
    /// a bad argument), or nothing when run() should follow.
    std::optional<int> parse(int argc, const char* const* argv);
    /// Runs the selected demos; returns the exit code.
    int run();
    /// parse() then run(): the whole of a simple stage's main().
    int main(int argc, const char* const* argv);

    /// The parsed options.
    [[nodiscard]] const Options& options() const { return options_; }

private:
    int run_one(const Demo& demo, bool several);

    std::string binary_;
    CLI::App cli_;
    Options options_;
    std::vector<Demo> demos_;
    std::string tour_;
    TraceAxis axis_ = TraceAxis::Time;
    bool list_golden_ = false;
    bool print_tour_ = false;
    std::ostream* out_;
};

} // namespace looplab
