// A RelayPath over TCP against a real coturn on loopback: the allocation, a channel to a peer,
// data both ways, and no heap allocation per relayed packet once the channel is bound (the media
// path of TURN over TCP: ChannelData framing out, the stream reader and the reused message buffer
// in). Own binary: counting_new.cpp replaces operator new to count.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <string>
#include <thread>

#include "net/event_loop.hpp"
#include "rtc/relay_path.hpp"
#include "support/counting_new.hpp"
#include "turn/coturn_server.hpp"

namespace wab::rtc {
namespace {

struct Owner : RelayPath::Owner {
  bool allocated = false;
  std::string failure;
  std::size_t data_packets = 0;
  std::size_t data_bytes = 0;
  void on_relay_send(RelayPath&, Bytes) override {}
  void on_relay_allocated(RelayPath&) override { allocated = true; }
  void on_relay_failed(RelayPath&, const std::string& cause) override { failure = cause; }
  void on_relay_data(RelayPath&, const net::SocketAddress&, MutableBytes data, std::size_t capacity,
                     TimePoint) override {
    ++data_packets;
    data_bytes += data.size();
    EXPECT_GE(capacity, data.size());
  }
  void on_relay_progress(RelayPath&) override {}
};

// The peer on the far side of the relay: a plain UDP socket on loopback.
struct Peer {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  net::SocketAddress address;
  Peer() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    address = *net::SocketAddress::parse("127.0.0.1", ntohs(sa.sin_port));
  }
  ~Peer() { ::close(fd); }
  std::size_t drain() {
    std::size_t n = 0;
    std::array<std::uint8_t, 2048> buf{};
    while (::recv(fd, buf.data(), buf.size(), 0) > 0)
      ++n;
    return n;
  }
  void send_to(const net::SocketAddress& to, Bytes data) const {
    sockaddr_storage ss{};
    const socklen_t len = to.to_sockaddr(ss);
    ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  }
};

TEST(RelayPathOverTcpCoturn, RelaysBothWaysWithoutAllocatingPerPacket) {
  if (!turn::test::turnserver_installed()) GTEST_SKIP() << "turnserver (coturn) is not installed";
  turn::test::CoturnServer server("wab", "turn-pass-1234", "wab.test");
  ASSERT_TRUE(server.wait_until_listening());
  net::EventLoop loop;
  Owner owner;
  TurnServer config;
  config.url = "turn:" + server.address().to_string() + "?transport=tcp";
  config.transport = turn::ServerTransport::tcp;
  config.host = "127.0.0.1";
  config.address = server.address();
  config.username = "wab";
  config.password = "turn-pass-1234";
  RelayPath relay(owner, loop, 1, config, 2048);
  // A template, not std::function: wrapping the predicate would allocate inside the count.
  auto run_until = [&](auto&& done) {
    const TimePoint end = loop.now() + seconds(8);
    while (!done() && owner.failure.empty() && loop.now() < end) {
      loop.run_once(milliseconds(5));
      if (auto t = relay.next_timeout(); t && *t <= loop.now()) relay.handle_timeout(loop.now());
    }
    return done();
  };
  relay.start(loop.now());
  ASSERT_TRUE(run_until([&] { return owner.allocated; })) << owner.failure;
  const net::SocketAddress relayed = *relay.client().relayed_address();
  Peer peer;
  const std::array<std::uint8_t, 161> packet{0x80}; // an Opus-sized RTP packet (5 + pad on TCP)
  // The first sends install the permission and bind the channel.
  ASSERT_TRUE(relay.send_to(peer.address, packet, loop.now()));
  ASSERT_TRUE(run_until([&] { return relay.client().bound_channel(peer.address).has_value(); }))
      << owner.failure;
  std::size_t at_peer = 0;
  auto round_trip = [&] {
    const std::size_t before = owner.data_packets;
    relay.send_to(peer.address, packet, loop.now());
    peer.send_to(relayed, packet);
    return run_until([&] {
      at_peer += peer.drain();
      return owner.data_packets > before;
    });
  };
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(round_trip()) << owner.failure; // warm-up: buffers reach their working size

  const std::size_t allocations = test::heap_allocations();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(round_trip()) << owner.failure;
  EXPECT_EQ(test::heap_allocations() - allocations, 0u);
  EXPECT_GE(owner.data_packets, 55u);
  EXPECT_EQ(owner.data_bytes, owner.data_packets * packet.size()); // the padding is not data
  ASSERT_TRUE(run_until([&] {
    at_peer += peer.drain();
    return at_peer >= 56; // every packet sent, the first one included
  }));
  EXPECT_TRUE(owner.failure.empty()) << owner.failure;
  relay.close();
}

} // namespace
} // namespace wab::rtc
