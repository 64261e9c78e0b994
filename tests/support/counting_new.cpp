#include "support/counting_new.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
// Test-only process-wide counter: the one piece of global state these test binaries need.
std::atomic<std::size_t> g_allocations{0};
} // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace wab::test {

std::size_t heap_allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}

} // namespace wab::test
