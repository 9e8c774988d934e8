// common/numbers: the strict reader behind every number option. Each refusal says why, and a refused
// value leaves the variable alone.
#include <cstdint>
#include <limits>
#include <string>

#include <doctest/doctest.h>

#include "looplab/cli.hpp"
#include "looplab/numbers.hpp"

using looplab::parse_decimal;

TEST_CASE("decimal numbers in range are read") {
    int i = -7;
    CHECK(parse_decimal("0", i, 0, 10).empty());
    CHECK(i == 0);
    CHECK(parse_decimal("10", i, 0, 10).empty());
    CHECK(i == 10);
    CHECK(parse_decimal("-3", i, -5, 5).empty());
    CHECK(i == -3);
    double d = 0;
    CHECK(parse_decimal("0.25", d, 0.0, 10.0).empty());
    CHECK(d == 0.25);
    CHECK(parse_decimal("1e-3", d, 0.0, 10.0).empty());
    CHECK(d == 0.001);
    std::uint64_t u = 0;
    CHECK(parse_decimal("18446744073709551615", u, std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max()).empty());
    CHECK(u == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("each refusal says why, and leaves the value alone") {
    int i = 42;
    double d = 4.2;
    std::uint64_t u = 42;
    const auto max64 = std::numeric_limits<std::uint64_t>::max();
    CHECK(parse_decimal("0x50", i, 0, 65535) == "'0x50' is hexadecimal; write a decimal number from 0 to 65535");
    CHECK(parse_decimal("010", i, 1, 500) == "'010' has a leading zero (C would read it as octal); write a decimal number from 1 to 500");
    CHECK(parse_decimal("-010", i, -500, 500).find("leading zero") != std::string::npos);
    CHECK(parse_decimal("501", i, 1, 500) == "'501' is out of range: from 1 to 500");
    CHECK(parse_decimal("99999999999999999999", i, 1, 500) == "'99999999999999999999' is out of range: from 1 to 500");
    CHECK(parse_decimal("2.5", i, 1, 500) == "'2.5' is not a whole number; write one from 1 to 500");
    CHECK(parse_decimal("12abc", i, 1, 500) == "'12abc' is not a decimal number; write one from 1 to 500");
    CHECK(parse_decimal("", i, 1, 500).find("not a decimal number") != std::string::npos);
    CHECK(parse_decimal(" 5", i, 1, 500).find("not a decimal number") != std::string::npos);
    CHECK(parse_decimal("+5", i, 1, 500).find("not a decimal number") != std::string::npos);
    CHECK(i == 42);
    CHECK(parse_decimal("nan", d, 0.0, 10.0) == "'nan' is not a number; write a decimal number from 0 to 10");
    CHECK(parse_decimal("-nan", d, 0.0, 10.0).find("is not a number") != std::string::npos);
    CHECK(parse_decimal("inf", d, 0.0, 10.0) == "'inf' is infinite; write a decimal number from 0 to 10");
    CHECK(parse_decimal("-infinity", d, 0.0, 10.0).find("is infinite") != std::string::npos);
    CHECK(parse_decimal("1e400", d, 0.0, 10.0) == "'1e400' is out of range: from 0 to 10");
    CHECK(parse_decimal("-0.5", d, 0.0, 10.0) == "'-0.5' is out of range: from 0 to 10");
    CHECK(parse_decimal("0x1p3", d, 0.0, 10.0).find("hexadecimal") != std::string::npos);
    CHECK(d == 4.2);
    CHECK(parse_decimal("-1", u, std::uint64_t{0}, max64) ==
          "'-1' is negative; write a decimal number from 0 to 18446744073709551615");
    CHECK(parse_decimal("18446744073709551616", u, std::uint64_t{0}, max64).find("out of range") != std::string::npos);
    CHECK(u == 42);
}

TEST_CASE("number() refuses through CLI11 with the option's name, and hands over plain decimal") {
    CLI::App app;
    double delay = 0.1;
    int clients = 20;
    app.add_option("--delay", delay)->check(looplab::number(0.0, 10.0));
    app.add_option("--clients", clients)->check(looplab::number(1, 500));
    try {
        app.parse(std::vector<std::string>{"nan", "--delay"});   // CLI11 takes the vector reversed
        FAIL("nan was accepted");
    } catch (const CLI::ValidationError& e) {
        CHECK(std::string(e.what()) == "--delay: 'nan' is not a number; write a decimal number from 0 to 10");
    }
    CLI::App ok;
    ok.add_option("--clients", clients)->check(looplab::number(1, 500));
    ok.add_option("--delay", delay)->check(looplab::number(0.0, 10.0));
    ok.parse(std::vector<std::string>{"0.5", "--delay", "10", "--clients"});
    CHECK(clients == 10);
    CHECK(delay == 0.5);
}
