// A RelayPath for a TCP TURN server when the connection goes wrong: refused, closed by the server
// after the Allocate, or answered with bytes that are neither STUN nor ChannelData. Each fails the
// relay once, with a cause naming the connection, and leaves no timer behind. (Allocations that
// work are covered against a real coturn: turn_coturn_test, e2e_turn_transport_*.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "net/event_loop.hpp"
#include "rtc/relay_path.hpp"

namespace wab::rtc {
namespace {

struct Listener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  net::SocketAddress address;
  Listener() {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    address = *net::SocketAddress::parse("127.0.0.1", ntohs(sa.sin_port));
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  // Accepts one connection and waits for the client's first bytes (the Allocate), then sends
  // `reply` (if any). Returns the connection; the caller closes it.
  int accept_and_answer(const std::string& reply) {
    const int c = ::accept(fd, nullptr, nullptr);
    EXPECT_GE(c, 0);
    timeval limit{2, 0}; // never hang the test if the client sent nothing
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::uint8_t buf[512];
    EXPECT_GT(::recv(c, buf, sizeof buf, 0), 0);
    if (!reply.empty()) ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    return c;
  }
};

struct Owner : RelayPath::Owner {
  std::vector<std::string> failures;
  int socket_sends = 0;
  void on_relay_send(RelayPath&, Bytes) override { ++socket_sends; }
  void on_relay_allocated(RelayPath&) override {}
  void on_relay_failed(RelayPath&, const std::string& cause) override { failures.push_back(cause); }
  void on_relay_data(RelayPath&, const net::SocketAddress&, MutableBytes, std::size_t,
                     TimePoint) override {}
  void on_relay_progress(RelayPath&) override {}
};

TurnServer tcp_server(const net::SocketAddress& address) {
  TurnServer s;
  s.url = "turn:" + address.to_string() + "?transport=tcp";
  s.transport = turn::ServerTransport::tcp;
  s.host = address.ip_string();
  s.address = address;
  s.username = "u";
  s.password = "p";
  return s;
}

bool run_until(net::EventLoop& loop, const std::function<bool()>& done) {
  const TimePoint end = loop.now() + seconds(5);
  while (!done() && loop.now() < end)
    loop.run_once(milliseconds(20));
  return done();
}

TEST(RelayPathOverTcp, RefusedConnectionFailsTheRelay) {
  net::EventLoop loop;
  net::SocketAddress closed;
  {
    Listener gone;
    closed = gone.address;
  }
  Owner owner;
  RelayPath relay(owner, loop, 1, tcp_server(closed), 2048);
  relay.start(loop.now());
  ASSERT_TRUE(run_until(loop, [&] { return !owner.failures.empty(); }));
  EXPECT_EQ(owner.failures[0], "turn tcp connection failed: connect failed: Connection refused (" +
                                   closed.to_string() + ")");
  EXPECT_TRUE(relay.failed());
  EXPECT_TRUE(relay.settled());
  EXPECT_FALSE(relay.next_timeout());
  EXPECT_EQ(owner.socket_sends, 0); // nothing went to the leg's UDP socket
  EXPECT_FALSE(relay.send_to(*net::SocketAddress::parse("192.0.2.1", 9), Bytes{}, loop.now()));
}

TEST(RelayPathOverTcp, ServerClosingTheConnectionFailsTheRelayOnce) {
  net::EventLoop loop;
  Listener server;
  Owner owner;
  RelayPath relay(owner, loop, 1, tcp_server(server.address), 2048);
  relay.start(loop.now());
  // The connect completes in the kernel; the Allocate is written once the loop sees it.
  loop.run_once(milliseconds(50));
  loop.run_once(milliseconds(50));
  ::close(server.accept_and_answer(""));
  ASSERT_TRUE(run_until(loop, [&] { return !owner.failures.empty(); }));
  EXPECT_EQ(owner.failures[0], "turn tcp connection lost: connection closed by peer (" +
                                   server.address.to_string() + ")");
  // The Allocate's own timeout does not report a second cause.
  relay.handle_timeout(loop.now() + seconds(60));
  EXPECT_EQ(owner.failures.size(), 1u);
}

TEST(RelayPathOverTcp, BytesThatAreNotTurnBreakTheStream) {
  net::EventLoop loop;
  Listener server;
  Owner owner;
  RelayPath relay(owner, loop, 1, tcp_server(server.address), 2048);
  relay.start(loop.now());
  loop.run_once(milliseconds(50));
  loop.run_once(milliseconds(50));
  // A TLS alert record, as a `turns:` server would answer on a plain connection.
  const int c = server.accept_and_answer(std::string("\x15\x03\x03\x00\x02\x02\x28", 7));
  ASSERT_TRUE(run_until(loop, [&] { return !owner.failures.empty(); }));
  ::close(c);
  EXPECT_EQ(owner.failures[0], "turn tcp stream out of sync: not STUN or ChannelData (" +
                                   server.address.to_string() + ")");
  EXPECT_EQ(owner.failures.size(), 1u);
}

} // namespace
} // namespace wab::rtc
