// The TURN client against scripted server answers: the long-term credential flow, stale nonces,
// refreshes, permissions, channels, data both ways, and every failure cause.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "stun/builder.hpp"
#include "stun/message.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"

namespace wab::turn {
namespace {

net::SocketAddress addr(const char* ip, std::uint16_t port) {
  return *net::SocketAddress::parse(ip, port);
}

const net::SocketAddress kRelayed = addr("198.51.100.7", 50000);
const net::SocketAddress kMapped = addr("203.0.113.9", 41000);
const net::SocketAddress kPeer = addr("192.0.2.20", 6000);

struct Recorder : Client::Listener {
  std::vector<std::vector<std::uint8_t>> sent;
  std::optional<net::SocketAddress> relayed, mapped;
  std::vector<std::string> failures;
  std::vector<std::pair<net::SocketAddress, std::string>> data;
  void on_turn_send(Bytes m) override { sent.emplace_back(m.begin(), m.end()); }
  void on_turn_allocated(const net::SocketAddress& r, const net::SocketAddress& m) override {
    relayed = r;
    mapped = m;
  }
  void on_turn_failed(const std::string& cause) override { failures.push_back(cause); }
  void on_turn_data(const net::SocketAddress& peer, MutableBytes d, TimePoint) override {
    data.emplace_back(peer, std::string(d.begin(), d.end()));
  }
  stun::Message last() const { return *stun::Message::parse(sent.back()); }
};

// The server side: answers built like a TURN server would.
struct Server {
  stun::IntegrityKey key = stun::IntegrityKey::long_term("alice", "example.org", "s3cret");
  std::array<std::uint8_t, 512> buf{};

  std::vector<std::uint8_t> error(const stun::Message& req, std::uint16_t code, const char* nonce) {
    stun::MessageBuilder b(buf, static_cast<stun::Method>(req.method()),
                           stun::MessageClass::error_response, req.transaction_id_copy());
    b.add_error_code(code, "whatever the server says");
    b.add_string(stun::attr::realm, "example.org");
    b.add_string(stun::attr::nonce, nonce);
    return {b.bytes().begin(), b.bytes().end()};
  }
  std::vector<std::uint8_t> success(const stun::Message& req, bool sign = true,
                                    std::uint32_t lifetime = 600) {
    stun::MessageBuilder b(buf, static_cast<stun::Method>(req.method()),
                           stun::MessageClass::success_response, req.transaction_id_copy());
    if (req.method() == static_cast<std::uint16_t>(stun::Method::allocate)) {
      b.add_xor_address(stun::attr::xor_relayed_address, kRelayed);
      b.add_xor_mapped_address(kMapped);
    }
    if (req.method() == static_cast<std::uint16_t>(stun::Method::allocate) ||
        req.method() == static_cast<std::uint16_t>(stun::Method::refresh)) {
      b.add_u32(stun::attr::lifetime, lifetime);
    }
    if (sign) b.add_message_integrity(key);
    b.add_fingerprint();
    return {b.bytes().begin(), b.bytes().end()};
  }
};

struct Fixture {
  Recorder rec;
  Server server;
  TimePoint now = TimePoint{} + seconds(100);
  Client client{rec, config()};

  static Client::Config config(const char* password = "s3cret") {
    Client::Config c;
    c.username = "alice";
    c.password = password;
    return c;
  }
  bool feed(std::vector<std::uint8_t> m) { return client.handle_message(m, now); }
  void allocate() {
    client.start(now);
    feed(server.error(rec.last(), 401, "nonce-1"));
    feed(server.success(rec.last()));
  }
};

TEST(TurnClient, AllocatesWithLongTermCredentialsAfterTheChallenge) {
  Fixture f;
  f.client.start(f.now);
  ASSERT_EQ(f.rec.sent.size(), 1u);
  auto first = f.rec.last();
  EXPECT_EQ(first.method(), static_cast<std::uint16_t>(stun::Method::allocate));
  EXPECT_FALSE(first.has_integrity());
  EXPECT_EQ(first.u32(stun::attr::requested_transport), 17u << 24);

  EXPECT_TRUE(f.feed(f.server.error(first, 401, "nonce-1")));
  ASSERT_EQ(f.rec.sent.size(), 2u);
  auto second = f.rec.last();
  EXPECT_EQ(second.username(), "alice");
  EXPECT_EQ(second.realm(), "example.org");
  EXPECT_EQ(second.nonce(), "nonce-1");
  EXPECT_TRUE(second.check_integrity(f.server.key)); // MD5(alice:example.org:s3cret)
  EXPECT_TRUE(second.check_fingerprint());

  EXPECT_TRUE(f.feed(f.server.success(second)));
  EXPECT_EQ(f.client.state(), Client::State::allocated);
  EXPECT_EQ(f.rec.relayed, kRelayed);
  EXPECT_EQ(f.rec.mapped, kMapped);
  // Refreshed a minute before the 600 s lifetime ends.
  EXPECT_EQ(f.client.next_timeout(), f.now + seconds(540));
}

TEST(TurnClient, RejectedCredentialsFailWithAClearCauseAndNoSecret) {
  Fixture f;
  f.client.start(f.now);
  f.feed(f.server.error(f.rec.last(), 401, "nonce-1"));
  f.feed(f.server.error(f.rec.last(), 401, "nonce-2"));
  ASSERT_EQ(f.rec.failures.size(), 1u);
  EXPECT_EQ(f.rec.failures[0], "turn allocation failed: 401 Unauthorized (credentials rejected)");
  EXPECT_EQ(f.rec.failures[0].find("s3cret"), std::string::npos);
  EXPECT_EQ(f.client.state(), Client::State::failed);
  EXPECT_EQ(f.rec.sent.size(), 2u); // no endless retry
}

TEST(TurnClient, ServerErrorsNameTheirCode) {
  for (auto [code, text] :
       std::vector<std::pair<std::uint16_t, std::string>>{{437, "437 Allocation Mismatch"},
                                                          {441, "441 Wrong Credentials"},
                                                          {486, "486 Allocation Quota Reached"},
                                                          {508, "508 Insufficient Capacity"}}) {
    Fixture f;
    f.client.start(f.now);
    f.feed(f.server.error(f.rec.last(), 401, "n"));
    f.feed(f.server.error(f.rec.last(), code, "n"));
    ASSERT_EQ(f.rec.failures.size(), 1u);
    EXPECT_EQ(f.rec.failures[0], "turn allocation failed: " + text);
  }
}

TEST(TurnClient, UnreachableServerTimesOutAfterRetransmissions) {
  Fixture f;
  f.client.start(f.now);
  while (auto t = f.client.next_timeout()) {
    f.now = *t;
    f.client.handle_timeout(f.now);
  }
  ASSERT_EQ(f.rec.failures.size(), 1u);
  EXPECT_EQ(f.rec.failures[0],
            "turn allocation failed: no answer from the TURN server (unreachable)");
  EXPECT_GE(f.client.counters().retransmissions, 3u);
  EXPECT_EQ(f.now, TimePoint{} + seconds(105)); // the 5 s request timeout
}

TEST(TurnClient, StaleNonceOnRefreshIsRetriedWithTheNewNonce) {
  Fixture f;
  f.allocate();
  f.now = *f.client.next_timeout();
  f.client.handle_timeout(f.now);
  auto refresh = f.rec.last();
  ASSERT_EQ(refresh.method(), static_cast<std::uint16_t>(stun::Method::refresh));
  EXPECT_EQ(refresh.u32(stun::attr::lifetime), 600u);
  f.feed(f.server.error(refresh, 438, "nonce-2"));
  auto retry = f.rec.last();
  EXPECT_EQ(retry.method(), static_cast<std::uint16_t>(stun::Method::refresh));
  EXPECT_EQ(retry.nonce(), "nonce-2");
  EXPECT_TRUE(retry.check_integrity(f.server.key));
  f.feed(f.server.success(retry));
  EXPECT_TRUE(f.rec.failures.empty());
  EXPECT_EQ(f.client.counters().stale_nonces, 1u);
  EXPECT_EQ(f.client.next_timeout(), f.now + seconds(540));
}

TEST(TurnClient, RefreshRejectedMidCallEndsTheAllocation) {
  Fixture f;
  f.allocate();
  f.now = *f.client.next_timeout();
  f.client.handle_timeout(f.now);
  f.feed(f.server.error(f.rec.last(), 401, "nonce-3")); // the credentials expired meanwhile
  ASSERT_EQ(f.rec.failures.size(), 1u);
  EXPECT_EQ(f.rec.failures[0], "turn refresh failed: 401 Unauthorized (credentials rejected)");
}

// Time-limited credentials (TURN REST API usernames "<unix time>:<name>"): a 401 once their time
// has passed names the expiry, at the allocation and at a refresh; the same 401 to credentials
// still in their time does not.
TEST(TurnClient, ExpiredTimeLimitedCredentialsAreNamedInTheCause) {
  struct Case {
    const char* username;
    const char* failure;
  };
  const Case cases[] = {
      {"1000:wab", "turn allocation failed: 401 Unauthorized (credentials rejected: time-limited "
                   "credentials expired at unix time 1000)"},
      {"1000", "turn allocation failed: 401 Unauthorized (credentials rejected: time-limited "
               "credentials expired at unix time 1000)"},
      {"4102444800:wab", "turn allocation failed: 401 Unauthorized (credentials rejected)"},
      {"wab:1000", "turn allocation failed: 401 Unauthorized (credentials rejected)"},
  };
  for (const Case& c : cases) {
    Recorder rec;
    Server server;
    Client::Config config = Fixture::config();
    config.username = c.username;
    Client client{rec, config};
    const TimePoint now = TimePoint{} + seconds(100);
    client.start(now);
    auto challenge = server.error(rec.last(), 401, "nonce-1");
    client.handle_message(challenge, now);
    auto refused = server.error(rec.last(), 401, "nonce-2");
    client.handle_message(refused, now);
    ASSERT_EQ(rec.failures.size(), 1u) << c.username;
    EXPECT_EQ(rec.failures[0], c.failure) << c.username;
  }
  // Mid-call: the allocation lives on, then a refresh after the expiry is refused.
  {
    Recorder rec;
    Server server;
    server.key = stun::IntegrityKey::long_term("1000:wab", "example.org", "s3cret");
    Client::Config config = Fixture::config();
    config.username = "1000:wab";
    Client client{rec, config};
    TimePoint now = TimePoint{} + seconds(100);
    client.start(now);
    auto challenge = server.error(rec.last(), 401, "nonce-1");
    client.handle_message(challenge, now);
    auto allocated = server.success(rec.last());
    ASSERT_TRUE(client.handle_message(allocated, now));
    ASSERT_EQ(client.state(), Client::State::allocated);
    now = *client.next_timeout();
    client.handle_timeout(now);
    auto refused = server.error(rec.last(), 401, "nonce-2");
    client.handle_message(refused, now);
    ASSERT_EQ(rec.failures.size(), 1u);
    EXPECT_EQ(rec.failures[0], "turn refresh failed: 401 Unauthorized (credentials rejected: "
                               "time-limited credentials expired at unix time 1000)");
  }
  EXPECT_EQ(Client::rest_expiry("1700000000:wab"), 1700000000);
  EXPECT_EQ(Client::rest_expiry("alice"), std::nullopt);
  EXPECT_EQ(Client::rest_expiry(":wab"), std::nullopt);
}

TEST(TurnClient, UnsignedSuccessIsIgnored) {
  Fixture f;
  f.client.start(f.now);
  f.feed(f.server.error(f.rec.last(), 401, "nonce-1"));
  EXPECT_FALSE(f.feed(f.server.success(f.rec.last(), false)));
  EXPECT_EQ(f.client.state(), Client::State::allocating);
  EXPECT_EQ(f.client.counters().bad_integrity, 1u);
}

TEST(TurnClient, DataGoesInSendIndicationsUntilTheChannelIsBound) {
  Fixture f;
  f.allocate();
  const std::size_t before = f.rec.sent.size();
  const std::string hello = "hello";
  ASSERT_TRUE(f.client.send_to(
      kPeer, Bytes(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), f.now));
  ASSERT_EQ(f.rec.sent.size(), before + 3); // CreatePermission, ChannelBind, Send indication
  auto permission = *stun::Message::parse(f.rec.sent[before]);
  auto bind = *stun::Message::parse(f.rec.sent[before + 1]);
  auto send = *stun::Message::parse(f.rec.sent[before + 2]);
  EXPECT_EQ(permission.method(), static_cast<std::uint16_t>(stun::Method::create_permission));
  EXPECT_EQ(permission.xor_address(stun::attr::xor_peer_address), kPeer);
  EXPECT_TRUE(permission.check_integrity(f.server.key));
  EXPECT_EQ(bind.method(), static_cast<std::uint16_t>(stun::Method::channel_bind));
  EXPECT_EQ(bind.u32(stun::attr::channel_number), 0x4000u << 16);
  EXPECT_EQ(send.method(), static_cast<std::uint16_t>(stun::Method::send));
  EXPECT_EQ(send.message_class(), stun::MessageClass::indication);
  auto data = send.find(stun::attr::data);
  ASSERT_TRUE(data);
  EXPECT_EQ(std::string(data->begin(), data->end()), "hello");

  f.feed(f.server.success(permission));
  f.feed(f.server.success(bind));
  EXPECT_TRUE(f.client.has_permission(addr("192.0.2.20", 1))); // per IP
  EXPECT_EQ(f.client.bound_channel(kPeer), 0x4000);
  ASSERT_TRUE(f.client.send_to(
      kPeer, Bytes(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), f.now));
  auto cd = parse_channel_data(f.rec.sent.back());
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x4000);
  EXPECT_EQ(std::string(cd->data.begin(), cd->data.end()), "hello");

  // Incoming: ChannelData on the bound channel, and a Data indication.
  std::vector<std::uint8_t> in(16);
  const std::string world = "world";
  in.resize(write_channel_data(
      in, 0x4000, Bytes(reinterpret_cast<const std::uint8_t*>(world.data()), world.size()), false));
  EXPECT_TRUE(f.feed(in));
  std::array<std::uint8_t, 128> buf{};
  stun::TransactionId id{};
  stun::MessageBuilder b(buf, stun::Method::data, stun::MessageClass::indication, id);
  b.add_xor_address(stun::attr::xor_peer_address, addr("192.0.2.21", 7000));
  b.add_string(stun::attr::data, "again");
  EXPECT_TRUE(f.feed({b.bytes().begin(), b.bytes().end()}));
  ASSERT_EQ(f.rec.data.size(), 2u);
  EXPECT_EQ(f.rec.data[0].first, kPeer);
  EXPECT_EQ(f.rec.data[0].second, "world");
  EXPECT_EQ(f.rec.data[1].first, addr("192.0.2.21", 7000));
  EXPECT_EQ(f.rec.data[1].second, "again");
  // ChannelData on a channel we never bound is refused.
  in[1] = 0x07;
  EXPECT_FALSE(f.feed(in));
  EXPECT_EQ(f.client.counters().unknown_channel, 1u);
}

TEST(TurnClient, PermissionsAndChannelsAreRefreshed) {
  Fixture f;
  f.allocate();
  const std::uint8_t x[] = {1};
  f.client.send_to(kPeer, x, f.now);
  const std::size_t n = f.rec.sent.size();
  f.feed(f.server.success(*stun::Message::parse(f.rec.sent[n - 3])));
  f.feed(f.server.success(*stun::Message::parse(f.rec.sent[n - 2])));
  const TimePoint start = f.now;
  int permissions = 0, binds = 0;
  while (*f.client.next_timeout() <= start + seconds(545)) {
    f.now = *f.client.next_timeout();
    const std::size_t k = f.rec.sent.size();
    f.client.handle_timeout(f.now);
    for (std::size_t i = k; i < f.rec.sent.size(); ++i) {
      auto m = *stun::Message::parse(f.rec.sent[i]);
      if (m.method() == static_cast<std::uint16_t>(stun::Method::create_permission)) ++permissions;
      if (m.method() == static_cast<std::uint16_t>(stun::Method::channel_bind)) ++binds;
      f.feed(f.server.success(m));
    }
  }
  EXPECT_EQ(permissions, 2); // at 240 s and 480 s
  EXPECT_EQ(binds, 1);       // at 540 s
  EXPECT_TRUE(f.rec.failures.empty());
}

TEST(TurnClient, CloseDeletesTheAllocation) {
  Fixture f;
  f.allocate();
  f.client.close();
  auto m = f.rec.last();
  EXPECT_EQ(m.method(), static_cast<std::uint16_t>(stun::Method::refresh));
  EXPECT_EQ(m.u32(stun::attr::lifetime), 0u);
  EXPECT_EQ(f.client.state(), Client::State::closed);
  EXPECT_FALSE(f.client.next_timeout());
}

} // namespace
} // namespace wab::turn
