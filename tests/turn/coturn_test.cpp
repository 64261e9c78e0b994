// The TURN client against a real coturn server on loopback, over UDP and over TCP (framed STUN
// and padded ChannelData): allocation with long-term credentials, data both ways through the relay
// (Send/Data indications, then a bound channel), and a wrong password refused with a clear cause.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "coturn_server.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"

namespace wab::turn::test {
namespace {

class UdpFd {
public:
  UdpFd() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~UdpFd() { ::close(fd_); }
  UdpFd(const UdpFd&) = delete;
  UdpFd& operator=(const UdpFd&) = delete;
  int fd() const { return fd_; }
  net::SocketAddress local() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return *net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }
  void send_to(Bytes data, const net::SocketAddress& to) const {
    sockaddr_storage ss{};
    const socklen_t len = to.to_sockaddr(ss);
    ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
  }
  // One datagram, if any is waiting.
  std::optional<std::pair<std::vector<std::uint8_t>, net::SocketAddress>> receive() const {
    std::array<std::uint8_t, 2048> buf{};
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const ssize_t n =
        ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0) return std::nullopt;
    return std::pair{std::vector<std::uint8_t>(buf.begin(), buf.begin() + n),
                     *net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len)};
  }

private:
  int fd_;
};

Bytes text(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// A TCP connection to the TURN server (blocking connect, then non-blocking reads).
class TcpFd {
public:
  // The server may still be starting: connecting is retried until it listens (at most 5 s).
  explicit TcpFd(const net::SocketAddress& to) {
    sockaddr_storage ss{};
    const socklen_t len = to.to_sockaddr(ss);
    const TimePoint end = Clock::now() + seconds(5);
    while (true) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) == 0;
      if (connected_ || Clock::now() >= end) break;
      ::close(fd_);
      std::this_thread::sleep_for(milliseconds(20));
    }
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
  }
  ~TcpFd() { ::close(fd_); }
  TcpFd(const TcpFd&) = delete;
  TcpFd& operator=(const TcpFd&) = delete;
  int fd() const { return fd_; }
  bool connected() const { return connected_; }

private:
  int fd_ = -1;
  bool connected_ = false;
};

struct Harness : Client::Listener {
  CoturnServer& server;
  UdpFd socket;
  UdpFd peer;
  std::unique_ptr<TcpFd> tcp; // set: the client talks to the server over TCP
  std::vector<std::uint8_t> stream;
  Client client;
  std::optional<net::SocketAddress> relayed, mapped;
  std::string failure;
  std::vector<std::pair<net::SocketAddress, std::string>> relayed_in; // what we got via TURN
  std::vector<std::pair<net::SocketAddress, std::string>> peer_in;    // what the peer got

  Harness(CoturnServer& s, const char* password, bool over_tcp = false)
      : server(s), tcp(over_tcp ? std::make_unique<TcpFd>(s.address()) : nullptr),
        client(*this, config(password, over_tcp)) {}
  static Client::Config config(const char* password, bool over_tcp) {
    Client::Config c;
    c.username = "wab";
    c.password = password;
    c.stream = over_tcp;
    return c;
  }
  void on_turn_send(Bytes m) override {
    if (tcp) {
      ASSERT_EQ(::send(tcp->fd(), m.data(), m.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(m.size()));
    } else {
      socket.send_to(m, server.address());
    }
  }
  // Splits the TCP byte stream into STUN messages and padded ChannelData frames.
  void read_stream() {
    std::array<std::uint8_t, 4096> buf{};
    ssize_t n = 0;
    while ((n = ::recv(tcp->fd(), buf.data(), buf.size(), 0)) > 0)
      stream.insert(stream.end(), buf.begin(), buf.begin() + n);
    while (true) {
      const auto size = stream_frame_size(stream);
      ASSERT_TRUE(size.has_value()) << "the server sent bytes that are no TURN frame";
      if (*size == 0) return;
      std::vector<std::uint8_t> frame(stream.begin(), stream.begin() + *size);
      stream.erase(stream.begin(), stream.begin() + *size);
      client.handle_message(frame, Clock::now());
    }
  }
  void on_turn_allocated(const net::SocketAddress& r, const net::SocketAddress& m) override {
    relayed = r;
    mapped = m;
  }
  void on_turn_failed(const std::string& cause) override { failure = cause; }
  void on_turn_data(const net::SocketAddress& from, MutableBytes d, TimePoint) override {
    relayed_in.emplace_back(from, std::string(d.begin(), d.end()));
  }

  // Runs the sockets and the client's timers until `done` or 8 s have passed.
  bool pump(const std::function<bool()>& done) {
    const TimePoint end = Clock::now() + seconds(8);
    while (!done()) {
      const TimePoint now = Clock::now();
      if (now >= end) return false;
      Duration wait = end - now;
      if (auto t = client.next_timeout()) wait = std::min(wait, std::max(*t - now, Duration{}));
      pollfd fds[3] = {
          {socket.fd(), POLLIN, 0}, {peer.fd(), POLLIN, 0}, {tcp ? tcp->fd() : -1, POLLIN, 0}};
      ::poll(fds, 3, static_cast<int>(std::chrono::ceil<milliseconds>(wait).count()));
      if (tcp) read_stream();
      while (auto d = socket.receive()) {
        if (d->second == server.address()) client.handle_message(d->first, Clock::now());
      }
      while (auto d = peer.receive())
        peer_in.emplace_back(d->second, std::string(d->first.begin(), d->first.end()));
      if (auto t = client.next_timeout(); t && *t <= Clock::now()) {
        client.handle_timeout(Clock::now());
      }
    }
    return true;
  }
};

TEST(TurnCoturn, RelaysDataBothWaysOverUdp) {
  if (!turnserver_installed()) GTEST_SKIP() << "turnserver (coturn) is not installed";
  CoturnServer server("wab", "pa55word", "wab.test");
  Harness h(server, "pa55word");
  h.client.start(Clock::now());
  ASSERT_TRUE(h.pump([&] { return h.relayed.has_value() || !h.failure.empty(); })) << "no answer";
  ASSERT_TRUE(h.failure.empty()) << h.failure;
  EXPECT_EQ(h.relayed->ip_string(), "127.0.0.1");
  EXPECT_EQ(*h.mapped, h.socket.local());

  const net::SocketAddress peer = h.peer.local();
  ASSERT_TRUE(h.client.send_to(peer, text("hello"), Clock::now()));
  ASSERT_TRUE(h.pump([&] { return !h.peer_in.empty(); }));
  EXPECT_EQ(h.peer_in[0].first, *h.relayed); // the peer sees the relay, not us
  EXPECT_EQ(h.peer_in[0].second, "hello");

  h.peer.send_to(text("world"), *h.relayed);
  ASSERT_TRUE(h.pump([&] { return !h.relayed_in.empty(); }));
  EXPECT_EQ(h.relayed_in[0].first, peer);
  EXPECT_EQ(h.relayed_in[0].second, "world");

  ASSERT_TRUE(h.pump([&] { return h.client.bound_channel(peer).has_value(); }));
  ASSERT_TRUE(h.client.send_to(peer, text("over the channel"), Clock::now()));
  ASSERT_TRUE(h.pump([&] { return h.peer_in.size() >= 2; }));
  EXPECT_EQ(h.peer_in[1].second, "over the channel");
  h.peer.send_to(text("back on the channel"), *h.relayed);
  ASSERT_TRUE(h.pump([&] { return h.relayed_in.size() >= 2; }));
  EXPECT_EQ(h.relayed_in[1].second, "back on the channel");
  EXPECT_EQ(h.client.counters().bad_integrity, 0u);
  h.client.close();
}

TEST(TurnCoturn, RelaysDataBothWaysOverTcp) {
  if (!turnserver_installed()) GTEST_SKIP() << "turnserver (coturn) is not installed";
  CoturnServer server("wab", "pa55word", "wab.test");
  Harness h(server, "pa55word", true);
  ASSERT_TRUE(h.tcp->connected());
  h.client.start(Clock::now());
  ASSERT_TRUE(h.pump([&] { return h.relayed.has_value() || !h.failure.empty(); })) << "no answer";
  ASSERT_TRUE(h.failure.empty()) << h.failure;
  const net::SocketAddress peer = h.peer.local();
  ASSERT_TRUE(h.client.send_to(peer, text("hello"), Clock::now()));
  ASSERT_TRUE(h.pump([&] { return !h.peer_in.empty(); }));
  EXPECT_EQ(h.peer_in[0].first, *h.relayed);
  EXPECT_EQ(h.peer_in[0].second, "hello");
  // Over the stream ChannelData is padded: 5 data bytes would leave the next frame misaligned.
  ASSERT_TRUE(h.pump([&] { return h.client.bound_channel(peer).has_value(); }));
  ASSERT_TRUE(h.client.send_to(peer, text("odd-5"), Clock::now()));
  ASSERT_TRUE(h.client.send_to(peer, text("after"), Clock::now()));
  ASSERT_TRUE(h.pump([&] { return h.peer_in.size() >= 3; }));
  EXPECT_EQ(h.peer_in[1].second, "odd-5");
  EXPECT_EQ(h.peer_in[2].second, "after");
  h.peer.send_to(text("world"), *h.relayed);
  h.peer.send_to(text("again"), *h.relayed);
  ASSERT_TRUE(h.pump([&] { return h.relayed_in.size() >= 2; }));
  EXPECT_EQ(h.relayed_in[0].second, "world");
  EXPECT_EQ(h.relayed_in[1].second, "again");
  EXPECT_EQ(h.client.counters().malformed, 0u);
  h.client.close();
}

TEST(TurnCoturn, WrongPasswordIsRefusedWithACause) {
  if (!turnserver_installed()) GTEST_SKIP() << "turnserver (coturn) is not installed";
  CoturnServer server("wab", "pa55word", "wab.test");
  Harness h(server, "not-the-password");
  h.client.start(Clock::now());
  ASSERT_TRUE(h.pump([&] { return !h.failure.empty() || h.relayed.has_value(); }));
  EXPECT_FALSE(h.relayed.has_value());
  EXPECT_EQ(h.failure, "turn allocation failed: 401 Unauthorized (credentials rejected)");
}

TEST(TurnCoturn, NothingListeningMeansUnreachable) {
  UdpFd socket;
  struct Sink : Client::Listener {
    UdpFd& s;
    net::SocketAddress to;
    std::string failure;
    Sink(UdpFd& fd, net::SocketAddress a) : s(fd), to(a) {}
    void on_turn_send(Bytes m) override { s.send_to(m, to); }
    void on_turn_allocated(const net::SocketAddress&, const net::SocketAddress&) override {}
    void on_turn_failed(const std::string& cause) override { failure = cause; }
    void on_turn_data(const net::SocketAddress&, MutableBytes, TimePoint) override {}
  } sink(socket, *net::SocketAddress::parse("127.0.0.1", free_loopback_port()));
  Client::Config c;
  c.username = "wab";
  c.password = "pa55word";
  c.request_timeout = seconds(1);
  Client client(sink, c);
  client.start(Clock::now());
  while (auto t = client.next_timeout()) {
    std::this_thread::sleep_until(*t); // the client's own retransmission schedule
    client.handle_timeout(Clock::now());
  }
  EXPECT_EQ(sink.failure, "turn allocation failed: no answer from the TURN server (unreachable)");
}

} // namespace
} // namespace wab::turn::test
