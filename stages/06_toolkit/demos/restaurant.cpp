// Demo `restaurant`: one waiter, three customers who take 5, 10 and 1 minutes to decide. Taking the
// orders one table at a time takes 16 minutes; handing out every menu and gathering takes 10.
#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "demos/demos.hpp"

namespace looplab::inline stage06 {

namespace {

struct Customer {
    const char* name;
    int minutes;   // to decide
    const char* dish;
};

constexpr std::array<Customer, 3> customers{{{"Ann", 5, "soup"}, {"Bob", 10, "steak"}, {"Cy", 1, "salad"}}};

// How long a minute of the story lasts on the loop's clock: a minute on the virtual clock; on the
// real clock 0.1 s, so that the demo takes 2.6 s instead of 26 minutes (the schedule is the same).
Duration minute = std::chrono::minutes(1);

// Whole minutes since `start`, the beginning of this sitting: "t=5 min".
std::string at(Duration start) {
    return "t=" + std::to_string((get_running_loop().time() - start) / minute) + " min";
}

std::string joined(const std::vector<std::string>& dishes) {
    std::string out;
    for (const auto& d : dishes) out += (out.empty() ? "" : ", ") + d;
    return out;
}

// A customer reads the menu, which takes them `minutes` on the loop's clock, and orders.
Coroutine<std::string> decide(Customer c, Duration start, Narrator* say) {
    say->task_line(c.name, at(start) + " reads the menu (" + std::to_string(c.minutes) + " min to decide)");
    co_await sleep(c.minutes * minute);
    say->task_line(c.name, at(start) + " orders the " + c.dish);
    co_return std::string(c.dish);
}

// The waiter goes to each table in turn and stands there until the customer has decided: awaiting
// a coroutine runs it to the end before the next line, so the next customer only starts deciding
// when the waiter reaches them.
Coroutine<void> one_table_at_a_time(Narrator* say) {
    const Duration start = get_running_loop().time();
    std::vector<std::string> orders;
    for (const Customer& c : customers) {
        say->task_line("waiter", at(start) + " goes to " + c.name + "'s table");
        orders.push_back(co_await decide(c, start, say));
    }
    say->task_line("waiter", at(start) + " has every order: " + joined(orders));
}

// The waiter hands every table a menu at once and takes each order when it is ready: gather() makes
// a Task of each customer, so all three decide at the same time.
Coroutine<void> all_tables_at_once(Narrator* say) {
    const Duration start = get_running_loop().time();
    say->task_line("waiter", at(start) + " hands a menu to every table");
    std::vector<Coroutine<std::string>> deciding;
    for (const Customer& c : customers) deciding.push_back(decide(c, start, say));
    const std::vector<std::string> orders = co_await gather(std::move(deciding));
    say->task_line("waiter", at(start) + " has every order: " + joined(orders));
}

std::string minutes(Duration d) { return std::to_string(d / minute) + " min"; }

} // namespace

void demo_restaurant(DemoContext& ctx) {
    auto& say = ctx.say;
    minute = std::chrono::minutes(1);
    if (!ctx.clock.is_virtual()) {
        minute = std::chrono::milliseconds(100);
        say.say("(real clock: every minute of the story lasts 0.1 s; run with --clock virtual for the real thing)");
    }
    say.heading("One waiter, one table at a time");
    say.say("Ann, Bob and Cy arrive in that order and take 5, 10 and 1 minutes to choose. The waiter "
            "awaits each customer in turn: co_await on a coroutine runs it to the end, so Bob starts "
            "reading the menu only when Ann has ordered, and Cy, the quickest, waits the longest.");
    const Duration t0 = ctx.clock.now();
    run(one_table_at_a_time(&say), ctx.clock, demo_run_options(ctx));
    const Duration serial = ctx.clock.now() - t0;
    say.line("one table at a time: " + minutes(serial) + " (5 + 10 + 1)");

    say.heading("One waiter, every table at once");
    say.say("Now the waiter hands out all three menus and gathers the orders. gather() wraps each "
            "customer in a Task, so they decide at the same time; the waiter takes Cy's order after "
            "1 minute, Ann's after 5, Bob's after 10. The orders still come back in arrival order.");
    const Duration t1 = ctx.clock.now();
    run(all_tables_at_once(&say), ctx.clock, demo_run_options(ctx));
    const Duration gathered = ctx.clock.now() - t1;
    say.line("every table at once: " + minutes(gathered) + " (the slowest customer)");
    say.line("one waiter either way: " + minutes(serial) + " vs " + minutes(gathered));
    say.source("read Coroutine::Awaiter in coroutine.hpp (awaiting a coroutine runs it inline), then gather.hpp");
}

} // namespace looplab::stage06
