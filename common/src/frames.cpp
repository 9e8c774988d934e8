#include "looplab/frames.hpp"

#include <atomic>
#include <new>

namespace looplab::frames {

namespace {
// Atomic because stage 01's threads demo runs coroutines beside OS threads; relaxed is enough,
// the counters order nothing.
std::atomic<long long> allocated_{0};
std::atomic<long long> freed_{0};
} // namespace

void* allocate(std::size_t size) {
    void* frame = ::operator new(size);
    allocated_.fetch_add(1, std::memory_order_relaxed);
    return frame;
}

void deallocate(void* frame, std::size_t size) noexcept {
    (void)size;   // clang does not enable sized deallocation by default; the plain form works everywhere
    ::operator delete(frame);
    freed_.fetch_add(1, std::memory_order_relaxed);
}

Counts counts() {
    return Counts{allocated_.load(std::memory_order_relaxed), freed_.load(std::memory_order_relaxed)};
}

} // namespace looplab::frames
