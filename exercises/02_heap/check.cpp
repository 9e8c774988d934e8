// Exercise 02_heap: TimerQueue keeps its timers in a binary heap. Checked through the queue itself,
// then through the loop, on the virtual clock: the heap must give exactly the schedule of the sorted list.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "looplab/clock.hpp"
#include "looplab/trace.hpp"
#include "loop.hpp"

using namespace looplab;

namespace {
std::vector<std::uint64_t> drain(TimerQueue& q) {
    std::vector<std::uint64_t> order;
    while (!q.empty()) order.push_back(q.pop().order);
    return order;
}

struct Wake {
    std::string who;
    Duration at;
    bool operator==(const Wake&) const = default;
    friend std::ostream& operator<<(std::ostream& out, const Wake& w) {
        return out << w.who << "@" << std::chrono::duration<double>(w.at).count() << "s";
    }
};

Coroutine<> sleeper(std::string name, std::vector<double> delays, const Clock* clock, std::vector<Wake>* log) {
    for (double d : delays) {
        co_await Sleep{clock->now() + seconds(d)};
        log->push_back({name, clock->now()});
    }
}

// 30 tasks with pseudo-random delays of 0 to 0.4 s: plenty of equal deadlines.
std::vector<Wake> schedule(QueueKind kind) {
    VirtualClock clock;
    Tracer trace(clock);
    std::vector<Wake> log;
    SleepLoop loop(clock, trace, kind);
    unsigned x = 2024;
    for (int t = 0; t < 30; ++t) {
        std::vector<double> delays;
        for (int s = 0; s < 5; ++s) {
            x = x * 1103515245u + 12345u;
            delays.push_back(static_cast<double>((x >> 16) % 5) * 0.1);
        }
        loop.spawn("t" + std::to_string(t), sleeper("t" + std::to_string(t), delays, &clock, &log));
    }
    loop.run();
    return log;
}
} // namespace

TEST_CASE("a heap with one timer gives it back" *
          doctest::description("push appends the timer, then must restore the heap order (std::push_heap "
                               "with the comparator `later`); pop must move the top to the back first")) {
    TimerQueue q(QueueKind::Heap);
    q.push(Timer{seconds(1), 0, 7});
    CHECK(q.size() == 1);
    CHECK(q.top().task == 7);
    CHECK(q.pop().task == 7);
    CHECK(q.empty());
}

TEST_CASE("the heap pops the earliest deadline first" *
          doctest::description("top() reads items_.front(): after each push and pop the earliest timer must be "
                               "at the front. `later` is the heap's comparator: a max-heap by 'wakes later' "
                               "puts the earliest at the top")) {
    TimerQueue q(QueueKind::Heap);
    const double when[] = {0.5, 0.1, 0.4, 0.2, 0.3, 0.05, 0.9};
    for (std::uint64_t i = 0; i < 7; ++i) q.push(Timer{seconds(when[i]), i, 0});
    CHECK(q.top().order == 5);
    CHECK(drain(q) == std::vector<std::uint64_t>{5, 1, 3, 4, 2, 0, 6});
}

TEST_CASE("equal deadlines come out in the order they were filed" *
          doctest::description("compare with `later`, which breaks ties by the filing order; a heap is not "
                               "stable by itself, so the tie-break must be in the comparison")) {
    TimerQueue q(QueueKind::Heap);
    for (std::uint64_t i = 0; i < 9; ++i) q.push(Timer{seconds(i % 3 == 0 ? 0.2 : 0.1), i, 0});
    CHECK(drain(q) == std::vector<std::uint64_t>{1, 2, 4, 5, 7, 8, 0, 3, 6});
}

TEST_CASE("pushes and pops interleaved keep the order" *
          doctest::description("pop must leave a valid heap behind: after moving the top to the back, the "
                               "entry that replaced it has to sink to its place among the others")) {
    TimerQueue heap(QueueKind::Heap);
    TimerQueue list(QueueKind::List);
    unsigned x = 7;
    std::uint64_t order = 0;
    for (int round = 0; round < 200; ++round) {
        x = x * 1103515245u + 12345u;
        if ((x >> 16) % 3 != 0 || heap.empty()) {
            const Timer t{seconds(static_cast<double>((x >> 8) % 50) * 0.01), order++, 0};
            heap.push(t);
            list.push(t);
        } else {
            REQUIRE(heap.pop().order == list.pop().order);
        }
    }
    CHECK(drain(heap) == drain(list));
}

TEST_CASE("the loop on the heap runs exactly the schedule of the sorted list" *
          doctest::description("if the queue checks pass and this fails, compare how push and pop treat "
                               "timers filed while the loop is already running")) {
    const auto with_list = schedule(QueueKind::List);
    const auto with_heap = schedule(QueueKind::Heap);
    CHECK(with_heap.size() == 150);
    CHECK(with_heap == with_list);
}
