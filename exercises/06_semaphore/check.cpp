// Exercise 06_semaphore: Semaphore's acquire and release. A loop on the virtual clock.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"

using namespace looplab;
using conformance_test::LoopFixture;

namespace {
Coroutine<void> user(Semaphore* s, int* inside, int* most) {
    co_await s->acquire();
    ++*inside;
    if (*inside > *most) *most = *inside;
    co_await sleep(1);
    --*inside;
    s->release();
}

Coroutine<void> all(std::vector<Coroutine<void>> users) { co_await gather(std::move(users)); }

Coroutine<void> sem_user(Semaphore* s, std::string name, std::vector<std::string>* log) {
    co_await s->acquire();
    log->push_back(name);
    co_await sleep(1);
    s->release();
}

// Releases (which wakes the first waiter), then at once cancels that woken waiter.
Coroutine<void> sem_releaser(Semaphore* s, std::optional<Task<void>>* victim, std::vector<std::string>* log) {
    co_await s->acquire();
    log->push_back("a");
    co_await sleep(1);
    s->release();
    (*victim)->cancel();
}
} // namespace

TEST_CASE("a free semaphore is taken without waiting" *
          doctest::description("if !locked(), --value_ and co_return: no future, no suspension")) {
    LoopFixture f;
    Semaphore sem(2);
    std::vector<std::uint64_t> at;
    auto take = [](Semaphore* s, std::vector<std::uint64_t>* iterations) -> Coroutine<void> {
        iterations->push_back(get_running_loop().iterations());
        co_await s->acquire();
        iterations->push_back(get_running_loop().iterations());
    };
    f.loop.run_until_complete(take(&sem, &at));
    CHECK(sem.value() == 1);
    REQUIRE(at.size() == 2);
    CHECK(at[0] == at[1]);   // the same loop iteration: acquire() never waited
}

TEST_CASE("release gives the unit back" *
          doctest::description("release(): ++value_, then wake_up_next(), which hands the unit on if someone waits")) {
    LoopFixture f;
    Semaphore sem(1);
    auto take_and_give = [](Semaphore* s) -> Coroutine<void> {
        co_await s->acquire();
        s->release();
    };
    f.loop.run_until_complete(take_and_give(&sem));
    CHECK(sem.value() == 1);
}

TEST_CASE("at most N hold it at once; the others wait their turn" *
          doctest::description("when locked(), queue a Future<void>(get_running_loop(), \"Semaphore.acquire\") in "
                               "waiters_ and co_await it: release() completes it")) {
    LoopFixture f;
    Semaphore sem(2);
    int inside = 0, most = 0;
    std::vector<Coroutine<void>> users;
    for (int i = 0; i < 5; ++i) users.push_back(user(&sem, &inside, &most));
    f.loop.run_until_complete(all(std::move(users)));
    CHECK(most == 2);
    CHECK(f.loop.time() == seconds(3));   // 2 + 2 + 1, a second each
    CHECK(sem.value() == 2);
}

TEST_CASE("waiters get the semaphore first come, first served" *
          doctest::description("waiters_ is a queue: push_back to wait, and after the wait remove your own future "
                               "with detail::remove_waiter(waiters_, fut)")) {
    LoopFixture f;
    Semaphore sem(1);
    std::vector<std::string> log;
    std::vector<Coroutine<void>> users;
    for (const char* name : {"a", "b", "c", "d"}) users.push_back(sem_user(&sem, name, &log));
    f.loop.run_until_complete(all(std::move(users)));
    CHECK(log == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(sem.value() == 1);
}

TEST_CASE("a waiter woken and then cancelled hands its unit to the next waiter" *
          doctest::description("catch CancelledError around the co_await: if fut.done() && !fut.cancelled() the "
                               "unit was reserved for you, so ++value_; remove the future, "
                               "wake_up_while_available(), and rethrow with `throw;`")) {
    LoopFixture f;
    Semaphore sem(1);
    std::vector<std::string> log;
    std::optional<Task<void>> b;
    Task<void> a = f.loop.create_task(sem_releaser(&sem, &b, &log));
    b.emplace(f.loop.create_task(sem_user(&sem, "b", &log)));
    Task<void> c = f.loop.create_task(sem_user(&sem, "c", &log));
    f.loop.run_until_complete(Future<void>(c));
    CHECK(b->cancelled());
    CHECK(log == std::vector<std::string>{"a", "c"});
    CHECK(f.loop.time() == seconds(2));
    CHECK(sem.value() == 1);
}

TEST_CASE("a waiter cancelled before it was woken just leaves the queue" *
          doctest::description("fut.cancelled(): no unit was reserved, so value_ stays as it is; the future must "
                               "still leave waiters_, or locked() would count it")) {
    LoopFixture f;
    Semaphore sem(1);
    std::vector<std::string> log;
    Task<void> a = f.loop.create_task(sem_user(&sem, "a", &log));
    Task<void> b = f.loop.create_task(sem_user(&sem, "b", &log));
    Task<void> c = f.loop.create_task(sem_user(&sem, "c", &log));
    conformance_test::step(f.loop);   // a holds it; b and c wait
    CHECK(b.cancel());
    f.loop.run_until_complete(Future<void>(c));
    CHECK(b.cancelled());
    CHECK(log == std::vector<std::string>{"a", "c"});
    CHECK(sem.value() == 1);
    CHECK_FALSE(sem.locked());
}
