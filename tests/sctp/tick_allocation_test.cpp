// The 10 ms tick of an idle association (handle_timeout: usrsctp's clock, packets from other
// threads, the socket drain, the send queue) runs 100 times a second for every agent leg, so it
// must not touch the C++ heap. It links support/counting_new.cpp, which counts operator new.
#include <gtest/gtest.h>

#include <string>

#include "sctp/sctp_association.hpp"
#include "support/counting_new.hpp"

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
  const std::size_t before = test::heap_allocations();
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(test::heap_allocations() - before, 1u);
}

TEST(SctpTickAllocation, IdleTicksDoNotAllocate) {
  QuietListener listener;
  SctpAssociation association(listener, SctpAssociation::Config{});
  TimePoint now = Clock::now();
  for (int i = 0; i < 5; ++i) { // warm-up: usrsctp's first tick sets its clock
    association.handle_timeout(now);
    now += milliseconds(10);
  }
  const std::size_t before = test::heap_allocations();
  for (int i = 0; i < 100; ++i) {
    association.handle_timeout(now);
    association.flush_pending();
    now += milliseconds(10);
  }
  EXPECT_EQ(test::heap_allocations() - before, 0u);
}

} // namespace
} // namespace wab::sctp
