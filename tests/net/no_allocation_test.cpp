// Checks the "no allocation on the media path" promise: timer re-arming, sending and the receive
// path must not touch the heap once warmed up. It links support/counting_new.cpp, which counts
// operator new.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "net/event_loop.hpp"
#include "net/tcp_connection.hpp"
#include "net/udp_socket.hpp"
#include "support/counting_new.hpp"

namespace wab::net {
namespace {

std::size_t allocations() {
  return test::heap_allocations();
}

TEST(NoAllocation, CounterSeesHeapUse) {
  const std::size_t before = allocations();
  auto v = std::make_unique<std::vector<int>>(10);
  EXPECT_GE(allocations() - before, 2u);
}

TEST(NoAllocation, LoopTimerRearmAndFire) {
  EventLoop loop;
  std::vector<std::unique_ptr<LoopTimer>> timers;
  int fired = 0;
  for (int i = 0; i < 2000; ++i)
    timers.push_back(std::make_unique<LoopTimer>(loop, [&] { ++fired; }));
  const TimePoint far = loop.now() + std::chrono::hours(1);
  for (auto& t : timers)
    t->arm(far); // warm-up: grows the slot table and heap
  const TimePoint past = loop.now() - std::chrono::hours(1);
  for (auto& t : timers)
    t->arm(std::nullopt);
  for (auto& t : timers)
    t->arm(far);

  const std::size_t before = allocations();
  for (int round = 0; round < 10; ++round) {
    for (std::size_t i = 0; i < timers.size(); ++i) {
      timers[i]->arm(far + milliseconds(static_cast<int>((i * 7919 + round) % 1000)));
    }
    timers[static_cast<std::size_t>(round)]->disarm();
    timers[static_cast<std::size_t>(round)]->arm(far);
  }
  for (std::size_t i = 0; i < 100; ++i)
    timers[i]->arm(past);
  loop.run_once(Duration::zero());
  for (std::size_t i = 0; i < 100; ++i)
    timers[i]->arm(far); // re-add after firing
  EXPECT_EQ(allocations() - before, 0u);
  EXPECT_EQ(fired, 100);
}

TEST(NoAllocation, PointerCaptureTimersAddCancel) {
  EventLoop loop;
  int fired = 0;
  int* counter = &fired;
  std::vector<TimerId> ids;
  ids.reserve(1000);
  const TimePoint far = loop.now() + std::chrono::hours(1);
  for (int i = 0; i < 1000; ++i)
    ids.push_back(loop.add_timer(far, [counter] { ++*counter; }));
  for (auto id : ids)
    loop.cancel_timer(id);
  ids.clear();
  const std::size_t before = allocations();
  for (int i = 0; i < 1000; ++i)
    ids.push_back(loop.add_timer(far, [counter] { ++*counter; }));
  for (auto id : ids)
    EXPECT_TRUE(loop.cancel_timer(id));
  EXPECT_EQ(allocations() - before, 0u);
}

TEST(NoAllocation, SendAndReceivePath) {
  EventLoop loop;
  ReceiveBatch batch;
  std::size_t received = 0;
  UdpSocketOptions o;
  o.bind_address = SocketAddress::parse("127.0.0.1", 0);
  UdpSocket a(loop, batch, o, [](MutableBytes, const SocketAddress&, TimePoint) {});
  UdpSocket b(loop, batch, o,
              [&received](MutableBytes, const SocketAddress&, TimePoint) { ++received; });
  const auto to_b = *SocketAddress::parse("127.0.0.1", b.local_port());
  std::uint8_t payload[200] = {};
  ASSERT_TRUE(a.send_to(payload, to_b));
  for (int i = 0; i < 50 && received < 1; ++i)
    loop.run_once(milliseconds(50));
  ASSERT_EQ(received, 1u);

  const std::size_t before = allocations();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(a.send_to(payload, to_b));
  for (int i = 0; i < 200 && received < 101; ++i)
    loop.run_once(milliseconds(50));
  const std::size_t used = allocations() - before;
  ASSERT_EQ(received, 101u);
  EXPECT_EQ(used, 0u);
}

// The TCP media path (ICE-TCP): framed writes go out, queued or not, and reads come in, without
// touching the heap once connected.
TEST(NoAllocation, TcpSendAndReceivePath) {
  EventLoop loop;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof sa;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len);
  std::size_t received = 0;
  bool connected = false;
  TcpConnection::Handlers handlers;
  handlers.on_connected = [&connected] { connected = true; };
  handlers.on_data = [&received](MutableBytes data, TimePoint) { received += data.size(); };
  TcpConnection conn(loop, *SocketAddress::parse("127.0.0.1", ntohs(sa.sin_port)), {},
                     std::move(handlers));
  for (int i = 0; i < 50 && !connected; ++i)
    loop.run_once(milliseconds(50));
  ASSERT_TRUE(connected);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);

  std::uint8_t header[2] = {0, 200};
  std::uint8_t payload[200] = {};
  std::uint8_t echo[4096];
  const std::size_t before = allocations();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(conn.send(header, payload));
  for (int i = 0; i < 50 && conn.queued_bytes() > 0; ++i)
    loop.run_once(milliseconds(10));
  std::size_t at_server = 0;
  while (at_server < 100 * 202) {
    const ssize_t n = ::recv(server, echo, sizeof echo, 0);
    ASSERT_GT(n, 0);
    at_server += static_cast<std::size_t>(n);
    ASSERT_EQ(::send(server, echo, static_cast<std::size_t>(n), 0), n);
  }
  for (int i = 0; i < 100 && received < at_server; ++i)
    loop.run_once(milliseconds(10));
  const std::size_t used = allocations() - before;
  EXPECT_EQ(received, 100u * 202u);
  EXPECT_EQ(used, 0u);
  ::close(server);
  ::close(listener);
}

} // namespace
} // namespace wab::net
