/// @file
/// @brief Counting coroutine frames, so tests can prove each is freed exactly once.
///
/// A C++ coroutine's locals live in a heap-allocated frame. The compiler allocates it through the
/// promise type's operator new when it exists, which is the hook: a stage's promise_type forwards
/// its operator new and delete here, and these counters see every frame born and freed. A test
/// then asserts that nothing is alive after the generators, coroutines or tasks are gone.
#pragma once

#include <cstddef>

namespace looplab::frames {

/// How many frames were allocated and freed since the program started.
struct Counts {
    long long allocated = 0;  ///< frames allocated
    long long freed = 0;      ///< frames freed
    /// Frames still alive.
    [[nodiscard]] long long alive() const { return allocated - freed; }
};

/// Allocates `size` bytes for a coroutine frame and counts it.
void* allocate(std::size_t size);
/// Frees a frame from allocate() and counts it.
void deallocate(void* frame, std::size_t size) noexcept;
/// The counts so far.
Counts counts();

} // namespace looplab::frames
