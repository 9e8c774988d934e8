#include "looplab/cli.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace looplab {

StageApp::StageApp(std::string binary, std::string description)
    : binary_(std::move(binary)), cli_(std::move(description), binary_), out_(&std::cout) {
    cli_.footer("With no DEMO, every demo runs in order. `--list` shows them.\n"
                "Exit codes: 0 ok, 1 a demo failed, 2 a bad command line.");
}

void StageApp::add(Demo demo) { demos_.push_back(std::move(demo)); }
void StageApp::set_tour(std::string name) { tour_ = std::move(name); }
void StageApp::set_output(std::ostream& out) { out_ = &out; }

std::optional<int> StageApp::parse(int argc, const char* const* argv) {
    std::vector<std::string> names;
    for (const auto& d : demos_) names.push_back(d.name);
    cli_.add_option("demo", options_.demo, "The demo to run (default: all, in order)")
        ->check(CLI::IsMember(names));
    cli_.add_flag("--list", options_.list, "List the demos and exit");
    cli_.add_option("--clock", options_.clock,
                    "real: wait for real; virtual: jump to the next deadline instead of sleeping, "
                    "so output is the same every run")
        ->check(CLI::IsMember({"real", "virtual"}))
        ->capture_default_str();
    cli_.add_flag("--trace", options_.trace, "Print every scheduler event as it happens");
    cli_.add_flag("--timeline", options_.timeline, "Draw an ASCII timeline of the tasks after each demo");
    cli_.add_option("--trace-json", options_.trace_json,
                    "Write Chrome trace-event JSON to FILE (open it in Perfetto or chrome://tracing); "
                    "with several demos, FILE.DEMO.json each")
        ->type_name("FILE");
    cli_.add_option("--color", options_.color, "Colour: auto (a terminal, and NO_COLOR unset), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    cli_.add_flag("--quiet", options_.quiet, "Results only: no headings, explanations or source pointers");
    // Plumbing for the Makefile and the golden tests; hidden from --help (empty group).
    cli_.add_flag("--list-golden", list_golden_, "Print the demos whose output is deterministic")->group("");
    cli_.add_flag("--tour-demo", print_tour_, "Print the demo the guided tour runs")->group("");

    try {
        cli_.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli_.exit(e);   // prints help (exit 0) or CLI11's message (non-zero)
        return code == 0 ? 0 : 2;
    }

    // With several demos, --trace-json FILE writes FILE.DEMO.json for each. That only makes sense
    // for a file name: for an existing device or directory (/dev/stdout, /dev/full, /tmp) it would
    // create new files beside it, so we refuse before any demo runs.
    const bool several = options_.demo.empty() && demos_.size() > 1;
    struct stat st{};
    if (several && !options_.trace_json.empty() && ::stat(options_.trace_json.c_str(), &st) == 0 &&
        !S_ISREG(st.st_mode)) {
        std::cerr << "--trace-json: " << options_.trace_json
                  << " is not a regular file; with several demos each writes FILE.DEMO.json, so give a file "
                     "name, or name one demo\nRun with --help for more information.\n";
        return 2;
    }

    std::ostream& out = *out_;
    if (options_.list) {
        std::size_t width = 0;
        for (const auto& d : demos_) width = std::max(width, d.name.size());
        for (const auto& d : demos_) {
            out << "  " << d.name << std::string(width - d.name.size() + 2, ' ') << d.summary;
            if (d.name == tour_) out << "  [tour]";
            if (!d.deterministic) out << "  [not deterministic]";
            out << '\n';
        }
        return 0;
    }
    if (list_golden_) {
        for (const auto& d : demos_)
            if (d.deterministic) out << d.name << '\n';
        return 0;
    }
    if (print_tour_) {
        out << (tour_.empty() ? demos_.front().name : tour_) << '\n';
        return 0;
    }
    return std::nullopt;
}

int StageApp::run() {
    const bool several = options_.demo.empty() && demos_.size() > 1;
    for (const auto& demo : demos_) {
        if (!options_.demo.empty() && demo.name != options_.demo) continue;
        if (int code = run_one(demo, several); code != 0) return code;
    }
    return 0;
}

int StageApp::run_one(const Demo& demo, bool several) {
    std::ostream& out = *out_;
    const bool color = out_ == &std::cout && should_color(parse_color_mode(options_.color), STDOUT_FILENO);
    Narrator narrator(out, color, options_.quiet);
    std::unique_ptr<Clock> clock = make_clock(options_.clock);
    Tracer tracer(*clock);
    tracer.set_axis(axis_);
    if (options_.trace) tracer.log_to(&narrator);
    tracer.keep_events(options_.timeline || !options_.trace_json.empty());
    DemoContext ctx{*clock, tracer, narrator, options_};

    // --quiet is results only: no banner. With several demos one line still names each, so their
    // results can be told apart.
    if (!options_.quiet)
        narrator.banner(demo.name, demo.summary);
    else if (several)
        out << "demo: " << demo.name << '\n';
    try {
        demo.run(ctx);
    } catch (const std::exception& e) {
        out.flush();
        std::cerr << binary_ << ": demo '" << demo.name << "' failed: " << e.what() << '\n';
        return 1;
    }
    if (options_.timeline) out << '\n' << tracer.timeline();
    if (!options_.trace_json.empty()) {
        std::string path = options_.trace_json;
        if (several) {
            const auto dot = path.rfind(".json");
            path = (dot == std::string::npos ? path : path.substr(0, dot)) + "." + demo.name + ".json";
        }
        errno = 0;
        std::ofstream file(path);
        file << tracer.chrome_json();
        file.flush();   // so that a full device (ENOSPC) fails here, where we can say so
        if (!file) {
            std::cerr << binary_ << ": cannot write trace to " << path
                      << (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()) << '\n';
            return 1;
        }
        out << "trace written to " << path << " (open it in Perfetto or chrome://tracing)\n";
    }
    if (!options_.quiet || several) out << '\n';   // the gap before the next demo's banner
    return 0;
}

int StageApp::main(int argc, const char* const* argv) {
    if (auto code = parse(argc, argv)) return *code;
    return run();
}

} // namespace looplab
