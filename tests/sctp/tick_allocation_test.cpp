// The 10 ms tick of an idle association (handle_timeout: usrsctp's clock, packets from other
// threads, the socket drain, the send queue) runs 100 times a second for every agent leg, so it
// must not touch the C++ heap. This binary replaces global operator new to count.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "sctp/sctp_association.hpp"

namespace {
// Test-only process-wide counter, read around the code under test.
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

namespace wab::sctp {
namespace {

class QuietListener final : public SctpAssociation::Listener {
public:
  void on_sctp_send(Bytes) override { ++sent; }
  void on_sctp_connected() override {}
  void on_channel_open(std::uint16_t, const std::string&, const std::string&) override {}
  void on_channel_message(std::uint16_t, Bytes, bool) override {}
  void on_channel_closed(std::uint16_t) override {}
  void on_sctp_closed(std::string) override {}
  int sent = 0;
};

TEST(SctpTickAllocation, CounterSeesHeapUse) {
  const std::size_t before = g_allocations.load();
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(g_allocations.load() - before, 1u);
}

TEST(SctpTickAllocation, IdleTicksDoNotAllocate) {
  QuietListener listener;
  SctpAssociation association(listener, SctpAssociation::Config{});
  TimePoint now = Clock::now();
  for (int i = 0; i < 5; ++i) { // warm-up: usrsctp's first tick sets its clock
    association.handle_timeout(now);
    now += milliseconds(10);
  }
  const std::size_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    association.handle_timeout(now);
    association.flush_pending();
    now += milliseconds(10);
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

} // namespace
} // namespace wab::sctp
