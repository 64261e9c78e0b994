// ICE-TCP next to UDP on a real leg pair: a remote passive TCP candidate gets a connection and a
// pair of its own, but when UDP checks work the UDP pair carries the leg (RFC 6544 priorities), and
// a TCP path that never carried the leg can fail without disturbing it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "leg_pair.hpp"

namespace wab::rtc {
namespace {

using testing::LegPair;

// A listening TCP socket on 127.0.0.1: the kernel completes handshakes, nobody answers STUN.
struct SilentTcpListener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  net::SocketAddress address;
  SilentTcpListener() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    address = *net::SocketAddress::parse("127.0.0.1", ntohs(sa.sin_port));
  }
  ~SilentTcpListener() { ::close(fd); }
};

ice::Candidate passive_tcp(const net::SocketAddress& at) {
  return *ice::Candidate::parse("candidate:9 1 tcp 1671430143 " + at.ip_string() + " " +
                                std::to_string(at.port()) + " typ host tcptype passive");
}

TEST(PeerTransportIceTcp, UdpPairWinsOverAnOpenTcpPath) {
  net::EventLoop loop;
  SilentTcpListener listener;
  LegPair legs(loop, /*data_channel=*/false);
  legs.negotiate({}, [&](RemoteParameters& view) {
    view.candidates.push_back(passive_tcp(listener.address));
  });
  ASSERT_TRUE(legs.run_until(
      [&] { return legs.offerer_events.connected && legs.answerer_events.connected; },
      seconds(10)));
  EXPECT_EQ(legs.offerer->tcp_paths(), 1u);
  EXPECT_EQ(legs.offerer->selected_transport(), ice::Transport::udp);
  // The unused TCP connection is closed once UDP is selected.
  EXPECT_EQ(legs.offerer->open_tcp_paths(), 0u);
  EXPECT_EQ(legs.answerer->tcp_paths(), 0u);
  EXPECT_TRUE(legs.offerer_events.failed.empty());
}

TEST(PeerTransportIceTcp, TcpPathThatCannotConnectDoesNotDisturbTheLeg) {
  net::EventLoop loop;
  net::SocketAddress closed;
  {
    SilentTcpListener gone; // its port is closed again by the time the leg connects to it
    closed = gone.address;
  }
  LegPair legs(loop, /*data_channel=*/false);
  legs.negotiate({},
                 [&](RemoteParameters& view) { view.candidates.push_back(passive_tcp(closed)); });
  ASSERT_TRUE(legs.run_until(
      [&] { return legs.offerer_events.connected && legs.answerer_events.connected; },
      seconds(10)));
  EXPECT_EQ(legs.offerer->selected_transport(), ice::Transport::udp);
  EXPECT_TRUE(legs.offerer_events.failed.empty());
}

TEST(PeerTransportIceTcp, LegWithIceTcpOffIgnoresPassiveCandidates) {
  net::EventLoop loop;
  SilentTcpListener listener;
  LegPair legs(loop, /*data_channel=*/false);
  auto config = testing::loopback_config(false);
  config.ice_tcp = false;
  legs.offerer = std::make_unique<PeerTransport>(loop, legs.batch, legs.offerer_events, config);
  legs.negotiate({}, [&](RemoteParameters& view) {
    view.candidates.push_back(passive_tcp(listener.address));
  });
  ASSERT_TRUE(legs.run_until(
      [&] { return legs.offerer_events.connected && legs.answerer_events.connected; },
      seconds(10)));
  EXPECT_EQ(legs.offerer->tcp_paths(), 0u);
}

} // namespace
} // namespace wab::rtc
