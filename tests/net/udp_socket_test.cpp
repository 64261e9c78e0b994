#include "net/udp_socket.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net/event_loop.hpp"

namespace wab::net {
namespace {

struct Received {
  std::vector<std::vector<std::uint8_t>> datagrams;
  std::vector<SocketAddress> from;
};

UdpSocket::ReceiveHandler collect(Received& out) {
  return [&out](Bytes data, const SocketAddress& from, TimePoint) {
    out.datagrams.emplace_back(data.begin(), data.end());
    out.from.push_back(from);
  };
}

UdpSocketOptions bound_to(const char* ip) {
  UdpSocketOptions o;
  o.bind_address = SocketAddress::parse(ip, 0);
  return o;
}

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Runs the loop until `done` or a generous bound; each iteration blocks in epoll, never sleeps.
template <typename Pred> void run_until(EventLoop& loop, Pred done) {
  for (int i = 0; i < 200 && !done(); ++i)
    loop.run_once(milliseconds(50));
}

TEST(UdpSocket, Ipv4LoopbackRoundTripReportsPlainIpv4Peer) {
  EventLoop loop;
  ReceiveBatch batch;
  Received at_a;
  Received at_b;
  UdpSocket a(loop, batch, bound_to("127.0.0.1"), collect(at_a));
  UdpSocket b(loop, batch, bound_to("127.0.0.1"), collect(at_b));
  ASSERT_NE(a.local_port(), 0);
  ASSERT_NE(a.local_port(), b.local_port());

  const auto b_addr = *SocketAddress::parse("127.0.0.1", b.local_port());
  EXPECT_TRUE(a.send_to(as_bytes("hello"), b_addr));
  run_until(loop, [&] { return !at_b.datagrams.empty(); });
  ASSERT_EQ(at_b.datagrams.size(), 1u);
  EXPECT_EQ(std::string(at_b.datagrams[0].begin(), at_b.datagrams[0].end()), "hello");
  // The dual-stack socket sees ::ffff:127.0.0.1; SocketAddress folds it back to IPv4.
  EXPECT_TRUE(at_b.from[0].is_v4());
  EXPECT_EQ(at_b.from[0], *SocketAddress::parse("127.0.0.1", a.local_port()));

  // Reply to exactly the address we were given.
  EXPECT_TRUE(b.send_to(as_bytes("world"), at_b.from[0]));
  run_until(loop, [&] { return !at_a.datagrams.empty(); });
  ASSERT_EQ(at_a.datagrams.size(), 1u);
  EXPECT_EQ(a.counters().datagrams_sent, 1u);
  EXPECT_EQ(a.counters().datagrams_received, 1u);
  EXPECT_EQ(b.counters().bytes_received, 5u);
}

TEST(UdpSocket, RepliesLeaveFromTheAddressTheRequestArrivedAt) {
  EventLoop loop;
  ReceiveBatch batch;
  Received at_client;
  UdpSocket client(loop, batch, bound_to("127.0.0.1"), collect(at_client));
  std::unique_ptr<UdpSocket> server;
  SocketAddress destination;
  server =
      std::make_unique<UdpSocket>(loop, batch, UdpSocketOptions{},
                                  [&](MutableBytes data, const SocketAddress& from, TimePoint) {
                                    destination = server->current_destination();
                                    server->send_to(data, from, destination);
                                  });
  // 127.0.0.2 is ours too, but the kernel would pick 127.0.0.1 as the source of a plain reply.
  const auto target = *SocketAddress::parse("127.0.0.2", server->local_port());
  ASSERT_TRUE(client.send_to(as_bytes("check"), target));
  run_until(loop, [&] { return !at_client.datagrams.empty(); });
  ASSERT_EQ(at_client.datagrams.size(), 1u);
  EXPECT_EQ(destination, target);
  EXPECT_EQ(at_client.from[0], target);
  EXPECT_FALSE(server->current_destination().valid()); // only meaningful inside the callback
}

TEST(UdpSocket, WildcardSocketServesIpv4AndIpv6Peers) {
  EventLoop loop;
  ReceiveBatch batch;
  Received at_server;
  Received ignored;
  UdpSocket server(loop, batch, UdpSocketOptions{}, collect(at_server));
  UdpSocket v4_client(loop, batch, bound_to("127.0.0.1"), collect(ignored));
  UdpSocket v6_client(loop, batch, bound_to("::1"), collect(ignored));

  EXPECT_TRUE(
      v4_client.send_to(as_bytes("4"), *SocketAddress::parse("127.0.0.1", server.local_port())));
  EXPECT_TRUE(v6_client.send_to(as_bytes("6"), *SocketAddress::parse("::1", server.local_port())));
  run_until(loop, [&] { return at_server.datagrams.size() >= 2; });
  ASSERT_EQ(at_server.datagrams.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    if (at_server.datagrams[i][0] == '4') {
      EXPECT_EQ(at_server.from[i], *SocketAddress::parse("127.0.0.1", v4_client.local_port()));
    } else {
      EXPECT_EQ(at_server.from[i], *SocketAddress::parse("::1", v6_client.local_port()));
      EXPECT_TRUE(at_server.from[i].is_v6());
    }
  }
}

TEST(UdpSocket, RecvmmsgDeliversManyDatagramsInOrder) {
  EventLoop loop;
  ReceiveBatch small_batch(8, 1500); // 200 datagrams need many recvmmsg calls
  Received at_b;
  Received ignored;
  UdpSocket a(loop, small_batch, bound_to("127.0.0.1"), collect(ignored));
  UdpSocket b(loop, small_batch, bound_to("127.0.0.1"), collect(at_b));
  const auto b_addr = *SocketAddress::parse("127.0.0.1", b.local_port());
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    std::vector<std::uint8_t> payload(100 + static_cast<std::size_t>(i) * 5,
                                      static_cast<std::uint8_t>(i));
    ASSERT_TRUE(a.send_to(payload, b_addr)) << i;
  }
  run_until(loop, [&] { return at_b.datagrams.size() >= kCount; });
  ASSERT_EQ(at_b.datagrams.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    const auto& d = at_b.datagrams[static_cast<std::size_t>(i)];
    ASSERT_EQ(d.size(), 100 + static_cast<std::size_t>(i) * 5);
    EXPECT_EQ(d.front(), static_cast<std::uint8_t>(i));
    EXPECT_EQ(d.back(), static_cast<std::uint8_t>(i));
  }
  EXPECT_EQ(b.counters().datagrams_received, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(b.counters().truncated, 0u);
}

TEST(UdpSocket, OversizeDatagramIsCountedAsTruncatedAndDropped) {
  EventLoop loop;
  ReceiveBatch tiny(4, 64);
  Received at_b;
  Received ignored;
  UdpSocket a(loop, tiny, bound_to("127.0.0.1"), collect(ignored));
  UdpSocket b(loop, tiny, bound_to("127.0.0.1"), collect(at_b));
  const auto b_addr = *SocketAddress::parse("127.0.0.1", b.local_port());
  std::vector<std::uint8_t> big(100, 1);
  std::vector<std::uint8_t> fits(64, 2);
  ASSERT_TRUE(a.send_to(big, b_addr));
  ASSERT_TRUE(a.send_to(fits, b_addr));
  run_until(loop, [&] { return !at_b.datagrams.empty(); });
  ASSERT_EQ(at_b.datagrams.size(), 1u);
  EXPECT_EQ(at_b.datagrams[0], fits);
  EXPECT_EQ(b.counters().truncated, 1u);
}

TEST(UdpSocket, SendToInvalidAddressCountsErrorWithoutThrowing) {
  EventLoop loop;
  ReceiveBatch batch;
  Received ignored;
  UdpSocket a(loop, batch, bound_to("127.0.0.1"), collect(ignored));
  EXPECT_FALSE(a.send_to(as_bytes("x"), SocketAddress{}));
  // A v4-bound socket cannot reach an IPv6 destination: the kernel refuses, we count.
  EXPECT_FALSE(a.send_to(as_bytes("x"), *SocketAddress::parse("::1", 9)));
  EXPECT_EQ(a.counters().send_errors, 2u);
  EXPECT_EQ(a.counters().datagrams_sent, 0u);
}

TEST(UdpSocket, PortRangeIsHonouredAndExhaustionThrowsClearError) {
  EventLoop loop;
  ReceiveBatch batch;
  Received ignored;
  std::mt19937 rng(std::random_device{}());
  // Other processes may hold ports: find a 3-port range we can fill completely.
  for (int attempt = 0; attempt < 50; ++attempt) {
    UdpSocketOptions o = bound_to("127.0.0.1");
    o.min_port = static_cast<std::uint16_t>(20000 + rng() % 30000);
    o.max_port = static_cast<std::uint16_t>(o.min_port + 2);
    std::vector<std::unique_ptr<UdpSocket>> sockets;
    try {
      for (int i = 0; i < 3; ++i)
        sockets.push_back(std::make_unique<UdpSocket>(loop, batch, o, collect(ignored)));
    } catch (const std::runtime_error&) {
      continue;
    }
    std::vector<std::uint16_t> ports;
    for (const auto& s : sockets) {
      EXPECT_GE(s->local_port(), o.min_port);
      EXPECT_LE(s->local_port(), o.max_port);
      ports.push_back(s->local_port());
    }
    std::sort(ports.begin(), ports.end());
    EXPECT_EQ(std::unique(ports.begin(), ports.end()), ports.end()) << "ports must be distinct";
    try {
      UdpSocket extra(loop, batch, o, collect(ignored));
      ADD_FAILURE() << "bound port " << extra.local_port() << " outside a full range";
    } catch (const std::runtime_error& e) {
      const std::string range = std::to_string(o.min_port) + "-" + std::to_string(o.max_port);
      EXPECT_NE(std::string(e.what()).find(range), std::string::npos) << e.what();
    }
    return;
  }
  GTEST_SKIP() << "no free 3-port range found";
}

TEST(UdpSocket, InvalidRangeIsRejected) {
  EventLoop loop;
  ReceiveBatch batch;
  Received ignored;
  UdpSocketOptions o;
  o.min_port = 5000;
  o.max_port = 4000;
  EXPECT_THROW(UdpSocket(loop, batch, o, collect(ignored)), std::invalid_argument);
}

TEST(UdpSocket, DestructionUnregistersFromLoop) {
  EventLoop loop;
  ReceiveBatch batch;
  Received at_b;
  Received ignored;
  UdpSocket a(loop, batch, bound_to("127.0.0.1"), collect(ignored));
  std::uint16_t b_port;
  {
    UdpSocket b(loop, batch, bound_to("127.0.0.1"), collect(at_b));
    b_port = b.local_port();
  }
  a.send_to(as_bytes("late"), *SocketAddress::parse("127.0.0.1", b_port));
  loop.run_once(milliseconds(20));
  EXPECT_TRUE(at_b.datagrams.empty());
}

} // namespace
} // namespace wab::net

namespace wab::net {
namespace {

TEST(UdpSocket, DscpIsAppliedToBothFamilies) {
  EventLoop loop;
  ReceiveBatch batch;
  Received ignored;
  UdpSocketOptions o;
  o.dscp = 46; // EF
  UdpSocket s(loop, batch, o, collect(ignored));
  int tclass = -1;
  socklen_t len = sizeof tclass;
  ASSERT_EQ(::getsockopt(s.fd(), IPPROTO_IPV6, IPV6_TCLASS, &tclass, &len), 0);
  EXPECT_EQ(tclass, 46 << 2);
  int tos = -1;
  len = sizeof tos;
  ASSERT_EQ(::getsockopt(s.fd(), IPPROTO_IP, IP_TOS, &tos, &len), 0);
  EXPECT_EQ(tos, 46 << 2);
}

TEST(UdpSocket, HandlerMayRewriteReceivedBytesInPlace) {
  EventLoop loop;
  ReceiveBatch batch;
  Received ignored;
  std::vector<std::uint8_t> echoed;
  std::unique_ptr<UdpSocket> b;
  UdpSocket a(loop, batch, bound_to("127.0.0.1"), [&](Bytes data, const SocketAddress&, TimePoint) {
    echoed.assign(data.begin(), data.end());
  });
  b = std::make_unique<UdpSocket>(loop, batch, bound_to("127.0.0.1"),
                                  [&](MutableBytes data, const SocketAddress& from, TimePoint) {
                                    // Modify and grow within the slot, then send back from the same
                                    // buffer.
                                    ASSERT_GE(batch.datagram_capacity(), data.size() + 2);
                                    for (auto& byte : data)
                                      byte = static_cast<std::uint8_t>(byte + 1);
                                    MutableBytes grown(data.data(), data.size() + 2);
                                    grown[data.size()] = 0xee;
                                    grown[data.size() + 1] = 0xff;
                                    EXPECT_TRUE(b->send_to(grown, from));
                                  });
  ASSERT_TRUE(a.send_to(as_bytes("abc"), *SocketAddress::parse("127.0.0.1", b->local_port())));
  run_until(loop, [&] { return !echoed.empty(); });
  EXPECT_EQ(echoed, (std::vector<std::uint8_t>{'b', 'c', 'd', 0xee, 0xff}));
}

} // namespace
} // namespace wab::net
