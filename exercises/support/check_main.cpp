// The main() of every exercise check, compiled once and linked into all of them. It runs the doctest
// cases with the "exercise" reporter below: one line per check, PASS or FAIL, and under a FAIL what
// went wrong and the hint the check carries (TEST_CASE("..." * doctest::description("hint"))).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct ExerciseReporter : doctest::IReporter {
    explicit ExerciseReporter(const doctest::ContextOptions&) {}

    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& stats) override {
        const unsigned ran = stats.numTestCasesPassingFilters;
        const unsigned passed = ran - stats.numTestCasesFailed;
        std::printf("\n%u of %u checks passed.%s\n", passed, ran,
                    passed == ran ? " Well done." : " Read the first FAIL and its hint, then try again.");
        std::fflush(stdout);
    }
    void test_case_start(const doctest::TestCaseData& data) override {
        current_ = &data;
        details_.clear();
    }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
        const bool passed = stats.testCaseSuccess && details_.empty();
        std::printf("%s  %s\n", passed ? "PASS" : "FAIL", current_->m_name);
        if (!passed) {
            for (const auto& line : details_) std::printf("        %s\n", line.c_str());
            const char* hint = current_->m_description;
            if (hint && *hint) std::printf("        hint: %s\n", hint);
        }
        std::fflush(stdout);
    }
    void test_case_exception(const doctest::TestCaseException& e) override {
        details_.push_back(std::string(e.is_crash ? "crashed: " : "threw: ") + e.error_string.c_str());
    }
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& a) override {
        if (!a.m_failed) return;
        std::lock_guard<std::mutex> lock(mutex_);
        std::string line = "at " + short_name(a.m_file) + ":" + std::to_string(a.m_line) + ": " + a.m_expr;
        if (a.m_threw) line += std::string("  threw: ") + a.m_exception.c_str();
        else if (a.m_decomp.size() > 0) line += std::string("  is  ") + a.m_decomp.c_str();
        details_.push_back(line);
    }
    void log_message(const doctest::MessageData& m) override {
        std::lock_guard<std::mutex> lock(mutex_);
        details_.push_back(m.m_string.c_str());
    }
    void test_case_skipped(const doctest::TestCaseData&) override {}

private:
    // exercises/02_heap/check.cpp -> 02_heap/check.cpp: enough to find it, short enough to read.
    static std::string short_name(const char* file) {
        std::string f = file;
        const auto at = f.rfind("exercises/");
        return at == std::string::npos ? f : f.substr(at + 10);
    }

    const doctest::TestCaseData* current_ = nullptr;
    std::vector<std::string> details_;
    std::mutex mutex_;
};

} // namespace

DOCTEST_REGISTER_REPORTER("exercise", 1, ExerciseReporter);

int main(int argc, char** argv) {
    doctest::Context context;
    context.setOption("reporters", "exercise");   // the default; -r=console still works
    context.setOption("order-by", "file");        // checks run in the order the file lists them
    context.applyCommandLine(argc, argv);
    return context.run();
}
