#pragma once
// For tests that promise "no heap allocation on this path": linking counting_new.cpp into a test
// binary replaces the global operator new/delete of that binary with ones that count. Read the
// count around the code under test. Any thread.
#include <cstddef>

namespace wab::test {

// How many times operator new has run in this process so far.
std::size_t heap_allocations();

} // namespace wab::test
