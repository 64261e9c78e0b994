// Two associations wired back to back in memory. Packets are queued, never delivered from inside
// a callback, and the loop below drives both sides' timers from one virtual clock.
#include "sctp/sctp_association.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sctp/checksum.hpp"
#include "sctp/sctp_stack.hpp"

namespace wab::sctp {
namespace {

using Packet = std::vector<std::uint8_t>;

struct Message {
  std::uint16_t id;
  std::vector<std::uint8_t> data;
  bool binary;
};

struct Opened {
  std::uint16_t id;
  std::string label;
  std::string protocol;
};

class Endpoint : public SctpAssociation::Listener {
public:
  Endpoint(std::deque<Packet>& outbox, SctpAssociation::Config config)
      : outbox_(outbox), association(std::make_unique<SctpAssociation>(*this, config)) {}

  void on_sctp_send(Bytes packet) override {
    ++packets_sent;
    foreign_thread_send |= std::this_thread::get_id() != owner_thread;
    largest_packet = std::max(largest_packet, packet.size());
    if (!drop_output) outbox_.emplace_back(packet.begin(), packet.end());
  }
  void on_sctp_connected() override { ++connected; }
  void on_channel_open(std::uint16_t id, const std::string& label,
                       const std::string& protocol) override {
    opened.push_back({id, label, protocol});
    if (on_open) on_open(id);
  }
  void on_channel_message(std::uint16_t id, Bytes data, bool binary) override {
    messages.push_back({id, {data.begin(), data.end()}, binary});
  }
  void on_channel_closed(std::uint16_t id) override { closed_channels.push_back(id); }
  void on_sctp_closed(std::string reason) override { closed_reasons.push_back(std::move(reason)); }

  std::deque<Packet>& outbox_;
  const std::thread::id owner_thread = std::this_thread::get_id();
  bool foreign_thread_send = false;
  std::size_t largest_packet = 0;
  bool drop_output = false;
  int packets_sent = 0;
  int connected = 0;
  std::vector<Opened> opened;
  std::vector<Message> messages;
  std::vector<std::uint16_t> closed_channels;
  std::vector<std::string> closed_reasons;
  std::function<void(std::uint16_t)> on_open;
  std::unique_ptr<SctpAssociation> association;
};

SctpAssociation::Config config_for(bool dtls_client) {
  SctpAssociation::Config config;
  config.dtls_client = dtls_client;
  config.remote_max_message_size = 262144;
  return config;
}

class AssociationPair : public ::testing::Test {
protected:
  AssociationPair() : AssociationPair(config_for(true), config_for(false)) {}
  AssociationPair(SctpAssociation::Config client_config, SctpAssociation::Config server_config)
      : client(to_server, client_config), server(to_client, server_config) {
    // A new association is due at once (next_timeout() == epoch): that first call starts the
    // stack's clock, as the owner's loop would.
    EXPECT_EQ(client.association->next_timeout(), TimePoint{});
    client.association->handle_timeout(now);
    server.association->handle_timeout(now);
    EXPECT_EQ(client.association->next_timeout(), now + SctpStack::kTickInterval);
  }

  // Delivers queued packets (and what they provoke) until both directions are quiet.
  void deliver_all() {
    for (int round = 0; round < 100000 && (!to_server.empty() || !to_client.empty()); ++round) {
      if (!to_server.empty()) {
        Packet packet = std::move(to_server.front());
        to_server.pop_front();
        if (server.association) server.association->handle_packet(packet);
      }
      if (!to_client.empty()) {
        Packet packet = std::move(to_client.front());
        to_client.pop_front();
        if (client.association) client.association->handle_packet(packet);
      }
    }
  }

  void tick() {
    now += SctpStack::kTickInterval;
    if (client.association) client.association->handle_timeout(now);
    if (server.association) server.association->handle_timeout(now);
  }

  // Runs the network and the virtual clock until `done` or `limit` of virtual time passed.
  bool run_until(const std::function<bool()>& done, Duration limit = seconds(30)) {
    const TimePoint end = now + limit;
    while (true) {
      deliver_all();
      if (done()) return true;
      if (now >= end) return false;
      tick();
    }
  }

  void connect_both() {
    client.association->connect();
    server.association->connect();
    ASSERT_TRUE(run_until([&] { return client.connected == 1 && server.connected == 1; }));
  }

  // Opens a channel from `opener` and waits until both sides report it open.
  std::uint16_t open_from(Endpoint& opener, Endpoint& peer, const std::string& label) {
    const auto id = opener.association->open_channel(label, "");
    EXPECT_TRUE(id);
    const std::size_t opener_before = opener.opened.size();
    const std::size_t peer_before = peer.opened.size();
    EXPECT_TRUE(run_until(
        [&] { return opener.opened.size() > opener_before && peer.opened.size() > peer_before; }));
    return id.value_or(0xFFFF);
  }

  std::deque<Packet> to_server;
  std::deque<Packet> to_client;
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  Endpoint client;
  Endpoint server;
};

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> data(size);
  std::uint32_t state = 0x9E3779B9u ^ seed;
  for (auto& byte : data) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(state >> 24);
  }
  return data;
}

Bytes text(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string as_string(const std::vector<std::uint8_t>& data) {
  return std::string(data.begin(), data.end());
}

TEST_F(AssociationPair, ConnectsWithSimultaneousOpen) {
  connect_both();
  EXPECT_TRUE(client.association->connected());
  EXPECT_TRUE(server.association->connected());
  EXPECT_TRUE(client.closed_reasons.empty());
  // Every packet usrsctp produced passed our own checksum and port checks on the other side.
  EXPECT_EQ(server.association->stats().bad_checksum_packets, 0u);
  EXPECT_EQ(client.association->stats().bad_checksum_packets, 0u);
  EXPECT_GT(server.association->stats().packets_received, 0u);
}

TEST_F(AssociationPair, ClientOpensEvenChannelAndServerSeesLabel) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  EXPECT_EQ(id % 2, 0);
  ASSERT_EQ(server.opened.size(), 1u);
  EXPECT_EQ(server.opened[0].id, id);
  EXPECT_EQ(server.opened[0].label, "oai-events");
  EXPECT_EQ(server.opened[0].protocol, "");
  ASSERT_EQ(client.opened.size(), 1u); // the ACK arrived
  EXPECT_EQ(client.opened[0].label, "oai-events");
  const auto second = open_from(client, server, "second");
  EXPECT_EQ(second % 2, 0);
  EXPECT_NE(second, id);
}

TEST_F(AssociationPair, ServerOpensOddChannel) {
  connect_both();
  const auto id = open_from(server, client, "from-server");
  EXPECT_EQ(id % 2, 1);
  ASSERT_EQ(client.opened.size(), 1u);
  EXPECT_EQ(client.opened[0].label, "from-server");
}

TEST_F(AssociationPair, ChannelOpenedBeforeConnectIsAnnouncedAfterwards) {
  const auto id = client.association->open_channel("oai-events", "proto");
  ASSERT_TRUE(id);
  const std::string hello = "queued before connect";
  ASSERT_TRUE(client.association->send(*id, text(hello), false));
  EXPECT_EQ(client.association->buffered_amount(*id), hello.size());
  connect_both();
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 1; }));
  ASSERT_EQ(server.opened.size(), 1u);
  EXPECT_EQ(server.opened[0].protocol, "proto");
  EXPECT_EQ(as_string(server.messages[0].data), hello);
  EXPECT_EQ(client.association->buffered_amount(*id), 0u);
}

TEST_F(AssociationPair, MessageSentBeforeAckArrivesAfterOpen) {
  connect_both();
  const auto id = client.association->open_channel("early", "");
  ASSERT_TRUE(id);
  ASSERT_TRUE(client.association->send(*id, text("right away"), false));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 1; }));
  ASSERT_EQ(server.opened.size(), 1u);
  EXPECT_EQ(as_string(server.messages[0].data), "right away");
}

TEST_F(AssociationPair, TextAndBinaryBothWays) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  const std::vector<std::uint8_t> blob = {0x00, 0xFF, 0x10, 0x80};
  ASSERT_TRUE(client.association->send(id, text("{\"type\":\"response.create\"}"), false));
  ASSERT_TRUE(client.association->send(id, blob, true));
  ASSERT_TRUE(server.association->send(id, text("{\"type\":\"session.created\"}"), false));
  ASSERT_TRUE(server.association->send(id, blob, true));
  ASSERT_TRUE(
      run_until([&] { return server.messages.size() == 2 && client.messages.size() == 2; }));
  EXPECT_EQ(as_string(server.messages[0].data), "{\"type\":\"response.create\"}");
  EXPECT_FALSE(server.messages[0].binary);
  EXPECT_EQ(server.messages[1].data, blob);
  EXPECT_TRUE(server.messages[1].binary);
  EXPECT_EQ(as_string(client.messages[0].data), "{\"type\":\"session.created\"}");
  EXPECT_FALSE(client.messages[0].binary);
  EXPECT_EQ(client.messages[1].data, blob);
  EXPECT_TRUE(client.messages[1].binary);
  EXPECT_EQ(client.messages[0].id, id);
}

TEST_F(AssociationPair, LargeBinaryMessageBothWaysByteIdentical) {
  connect_both();
  const auto id = open_from(client, server, "bulk");
  const auto big_up = pattern(204800, 1);
  const auto big_down = pattern(204800, 2);
  ASSERT_TRUE(client.association->send(id, big_up, true));
  ASSERT_TRUE(server.association->send(id, big_down, true));
  ASSERT_TRUE(
      run_until([&] { return server.messages.size() == 1 && client.messages.size() == 1; }));
  EXPECT_TRUE(server.messages[0].data == big_up);
  EXPECT_TRUE(client.messages[0].data == big_down);
  EXPECT_TRUE(server.messages[0].binary);
  EXPECT_EQ(server.association->stats().oversized_messages_dropped, 0u);
  // Path MTU discovery is off: every packet fits the fixed 1200-byte budget inside DTLS.
  EXPECT_LE(client.largest_packet, 1200u);
  EXPECT_GT(client.largest_packet, 1100u);
}

TEST_F(AssociationPair, SeveralLargeMessagesQueueAndAllArriveInOrder) {
  connect_both();
  const auto id = open_from(client, server, "bulk");
  std::vector<std::vector<std::uint8_t>> sent;
  for (std::uint8_t i = 0; i < 8; ++i) { // 8 x 200 KiB exceeds usrsctp's 1 MiB send buffer
    sent.push_back(pattern(204800, static_cast<std::uint8_t>(10 + i)));
    ASSERT_TRUE(client.association->send(id, sent.back(), true));
  }
  EXPECT_GT(client.association->buffered_amount(id), 0u); // some had to wait in our queue
  ASSERT_TRUE(run_until([&] { return server.messages.size() == sent.size(); }));
  for (std::size_t i = 0; i < sent.size(); ++i)
    EXPECT_TRUE(server.messages[i].data == sent[i]);
  EXPECT_EQ(client.association->buffered_amount(id), 0u);
}

TEST_F(AssociationPair, EmptyMessagesKeepTheirKind) {
  connect_both();
  const auto id = open_from(client, server, "empty");
  ASSERT_TRUE(client.association->send(id, Bytes{}, false));
  ASSERT_TRUE(client.association->send(id, Bytes{}, true));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 2; }));
  EXPECT_TRUE(server.messages[0].data.empty());
  EXPECT_FALSE(server.messages[0].binary);
  EXPECT_TRUE(server.messages[1].data.empty());
  EXPECT_TRUE(server.messages[1].binary);
}

TEST_F(AssociationPair, OrderlyChannelCloseSeenOnBothSides) {
  connect_both();
  const auto id = open_from(client, server, "closing");
  const auto other = open_from(server, client, "stays");
  ASSERT_TRUE(client.association->send(id, text("last words"), false));
  client.association->close_channel(id);
  EXPECT_FALSE(client.association->send(id, text("too late"), false));
  ASSERT_TRUE(run_until(
      [&] { return client.closed_channels.size() == 1 && server.closed_channels.size() == 1; }));
  EXPECT_EQ(client.closed_channels[0], id);
  EXPECT_EQ(server.closed_channels[0], id);
  ASSERT_EQ(server.messages.size(), 1u); // sent before the close, delivered before the reset
  EXPECT_EQ(as_string(server.messages[0].data), "last words");
  EXPECT_FALSE(client.association->has_channel(id));
  EXPECT_FALSE(server.association->send(id, text("gone"), false));
  // The untouched channel still works, and the closed id can be opened again.
  ASSERT_TRUE(client.association->send(other, text("still here"), false));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 2; }));
  ASSERT_TRUE(run_until([&] { return !client.association->has_channel(id); }));
  const auto reopened = open_from(client, server, "again");
  EXPECT_EQ(reopened % 2, 0);
  EXPECT_TRUE(client.closed_reasons.empty());
}

TEST_F(AssociationPair, PeerInitiatedCloseClosesOurSide) {
  connect_both();
  const auto id = open_from(client, server, "closed-by-server");
  server.association->close_channel(id);
  ASSERT_TRUE(run_until(
      [&] { return client.closed_channels.size() == 1 && server.closed_channels.size() == 1; }));
  EXPECT_FALSE(client.association->has_channel(id));
  EXPECT_FALSE(server.association->has_channel(id));
}

TEST_F(AssociationPair, GracefulShutdownReportedOnBothSides) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  ASSERT_TRUE(client.association->send(id, text("bye"), false));
  client.association->shutdown();
  ASSERT_TRUE(run_until(
      [&] { return client.closed_reasons.size() == 1 && server.closed_reasons.size() == 1; }));
  EXPECT_EQ(client.closed_reasons[0], "shutdown");
  EXPECT_EQ(server.closed_reasons[0], "shutdown");
  ASSERT_EQ(server.messages.size(), 1u); // queued data went out before SHUTDOWN
  EXPECT_EQ(server.closed_channels, std::vector<std::uint16_t>{id});
  EXPECT_EQ(client.closed_channels, std::vector<std::uint16_t>{id});
  EXPECT_FALSE(client.association->send(id, text("after"), false));
  EXPECT_FALSE(client.association->open_channel("late", ""));
  EXPECT_FALSE(client.association->next_timeout());
}

TEST_F(AssociationPair, OneAssociationPerThreadHoldsTheTickDuty) {
  // The client ticked first (in the fixture), so it drives usrsctp's clock every 10 ms; the
  // server only checks in now and then.
  EXPECT_EQ(server.association->next_timeout(), now + SctpStack::kIdleTickInterval);
  // While the holder ticks, the duty stays with it.
  for (int i = 0; i < 30; ++i)
    tick();
  EXPECT_EQ(client.association->next_timeout(), now + SctpStack::kTickInterval);
  EXPECT_EQ(server.association->next_timeout(), now + SctpStack::kIdleTickInterval);
  // A holder that is no longer driven (its leg failed) loses the duty once it is overdue...
  now += SctpStack::kIdleTickInterval + milliseconds(1);
  server.association->handle_timeout(now);
  EXPECT_EQ(server.association->next_timeout(), now + SctpStack::kTickInterval);
  client.association->handle_timeout(now);
  EXPECT_EQ(client.association->next_timeout(), now + SctpStack::kIdleTickInterval);
  // ...and one that is gone, at once.
  server.association.reset();
  client.association->handle_timeout(now);
  EXPECT_EQ(client.association->next_timeout(), now + SctpStack::kTickInterval);
}

TEST_F(AssociationPair, TimersOfAnAssociationWithoutTheDutyRunOnTheHoldersTicks) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  server.drop_output = true;
  client.drop_output = true; // the peer vanished: nothing goes either way
  ASSERT_TRUE(server.association->send(id, text("anyone?"), false));
  // An owner's loop calls handle_timeout only when next_timeout() is due: the server (no duty)
  // checks in every 250 ms and never advances usrsctp's clock itself, so its retransmissions
  // and, in the end, its failure come from the client's 10 ms ticks.
  const TimePoint start = now;
  while (server.closed_reasons.empty() && now - start < seconds(300)) {
    now += milliseconds(1);
    for (Endpoint* e : {&client, &server}) {
      const auto due = e->association->next_timeout();
      if (due && *due <= now) e->association->handle_timeout(now);
    }
  }
  ASSERT_EQ(server.closed_reasons.size(), 1u);
  EXPECT_EQ(server.closed_reasons[0], "communication lost");
  EXPECT_LT(now - start, seconds(120));
}

TEST_F(AssociationPair, AbortReportedOnBothSides) {
  connect_both();
  open_from(client, server, "oai-events");
  client.association->abort();
  ASSERT_EQ(client.closed_reasons.size(), 1u);
  EXPECT_EQ(client.closed_reasons[0], "aborted");
  ASSERT_TRUE(run_until([&] { return server.closed_reasons.size() == 1; }));
  EXPECT_EQ(server.closed_reasons[0], "communication lost");
  EXPECT_EQ(server.closed_channels.size(), 1u);
  const std::uint8_t late[] = {1, 2, 3};
  EXPECT_FALSE(client.association->handle_packet(late));
  EXPECT_EQ(client.association->stats().packets_after_close, 1u);
}

TEST_F(AssociationPair, SilentPeerEndsInCommunicationLost) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  server.drop_output = true;
  client.drop_output = true; // the peer vanished: nothing goes either way
  ASSERT_TRUE(client.association->send(id, text("anyone?"), false));
  const TimePoint start = now;
  ASSERT_TRUE(run_until([&] { return !client.closed_reasons.empty(); }, seconds(300)));
  // Our sysctls cap the RTO at 10 s: ten backed-off retransmissions fail in about a minute
  // (usrsctp's default 60 s cap would take many minutes).
  EXPECT_LT(now - start, seconds(120));
  EXPECT_EQ(client.closed_reasons[0], "communication lost");
}

TEST_F(AssociationPair, GarbageIsCountedAndDoesNotDisturb) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  auto& stats = server.association->stats();

  const std::uint8_t short_packet[] = {0x13, 0x88, 0x13};
  EXPECT_FALSE(server.association->handle_packet(short_packet));
  EXPECT_EQ(stats.malformed_packets, 1u);

  std::vector<std::uint8_t> garbage = pattern(300, 7);
  garbage[0] = 0x13, garbage[1] = 0x88, garbage[2] = 0x13, garbage[3] = 0x88;
  EXPECT_FALSE(server.association->handle_packet(garbage));
  EXPECT_EQ(stats.bad_checksum_packets, 1u);

  auto wrong_port = garbage;
  wrong_port[1] = 0x89;
  EXPECT_FALSE(server.association->handle_packet(wrong_port));
  EXPECT_EQ(stats.wrong_port_packets, 1u);

  // Valid checksum, nonsense chunks: usrsctp has to cope (it drops, or answers with an ABORT
  // for an unknown tag, which we must not deliver to the peer here).
  write_sctp_checksum(garbage);
  const auto received_before = stats.packets_received;
  EXPECT_TRUE(server.association->handle_packet(garbage));
  EXPECT_EQ(stats.packets_received, received_before + 1);
  to_client.clear();

  ASSERT_TRUE(client.association->send(id, text("still alive"), false));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 1; }));
  EXPECT_EQ(as_string(server.messages[0].data), "still alive");
  EXPECT_TRUE(server.closed_reasons.empty());
}

TEST_F(AssociationPair, OversizedOutgoingMessageIsRefused) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  const auto too_big = pattern(262145, 3);
  EXPECT_FALSE(client.association->send(id, too_big, true));
  EXPECT_EQ(client.association->stats().send_failures, 1u);
  EXPECT_FALSE(client.association->send(0x7FF, text("no such channel"), false));
}

// Sends one message from the client, intercepts its packet, lets `edit` change the DATA chunk
// (RFC 9260 §3.3.1: type, flags, length(2), TSN(4), stream(2), SSN(2), PPID(4), payload; the
// editor gets its offset) and re-checksums the packet before the server sees it.
void deliver_edited(std::deque<Packet>& to_server, Endpoint& client, Endpoint& server,
                    std::uint16_t id, const std::string& payload,
                    const std::function<void(Packet&, std::size_t)>& edit) {
  ASSERT_TRUE(client.association->send(id, text(payload), false));
  ASSERT_EQ(to_server.size(), 1u);
  Packet packet = std::move(to_server.front());
  to_server.clear();
  std::size_t offset = kSctpCommonHeaderSize; // a SACK may be bundled before the DATA
  while (offset + 4 <= packet.size() && packet[offset] != 0) {
    offset += (load_be16(&packet[offset + 2]) + 3u) & ~std::size_t{3};
  }
  ASSERT_LT(offset + 16, packet.size());
  // What went on the wire: our stream id and PPID 51 (text), in network byte order.
  EXPECT_EQ(load_be16(&packet[offset + 8]), id);
  EXPECT_EQ(load_be32(&packet[offset + 12]), static_cast<std::uint32_t>(Ppid::string));
  edit(packet, offset);
  write_sctp_checksum(packet);
  EXPECT_TRUE(server.association->handle_packet(packet));
}

TEST_F(AssociationPair, UnknownPpidStreamAndBadDcepAreCountedAndDropped) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  auto& stats = server.association->stats();
  EXPECT_EQ(stats.dcep_errors, 0u);

  deliver_edited(to_server, client, server, id, "x",
                 [](Packet& p, std::size_t at) { store_be32(&p[at + 12], 99); });
  EXPECT_EQ(stats.unknown_ppid_messages, 1u);
  // Moving a message to another stream leaves a gap in its own stream's sequence numbers, so
  // each of these uses a channel of its own and becomes message 0 of the stream it moves to
  // (an unused stream below the 16 an association negotiates: beyond them usrsctp drops it).
  const auto spare1 = open_from(client, server, "spare1");
  const auto spare2 = open_from(client, server, "spare2");
  deliver_edited(to_server, client, server, spare1, "y", [](Packet& p, std::size_t at) {
    store_be16(&p[at + 8], 10);
    store_be16(&p[at + 10], 0);
  });
  EXPECT_EQ(stats.messages_on_unknown_channel, 1u);
  deliver_edited(to_server, client, server, spare2, "z", [](Packet& p, std::size_t at) {
    store_be16(&p[at + 8], 12);
    store_be16(&p[at + 10], 0);
    store_be32(&p[at + 12], static_cast<std::uint32_t>(Ppid::dcep)); // DCEP type 'z': unknown
  });
  EXPECT_EQ(stats.dcep_errors, 1u);
  EXPECT_TRUE(server.messages.empty());
  EXPECT_EQ(server.opened.size(), 3u);

  ASSERT_TRUE(client.association->send(id, text("fine"), false));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 1; }));
  EXPECT_EQ(as_string(server.messages[0].data), "fine");
}

class SmallReceiverPair : public AssociationPair {
protected:
  static SctpAssociation::Config small_server() {
    auto config = config_for(false);
    config.local_max_message_size = 100000;
    return config;
  }
  SmallReceiverPair() : AssociationPair(config_for(true), small_server()) {}
};

TEST_F(SmallReceiverPair, OversizedIncomingMessageIsDroppedAndCounted) {
  connect_both();
  const auto id = open_from(client, server, "oai-events");
  // The client believes the server takes 256 KiB; the server only accepts 100000 bytes.
  ASSERT_TRUE(client.association->send(id, pattern(150000, 4), true));
  ASSERT_TRUE(client.association->send(id, pattern(100000, 5), true)); // exactly the limit
  ASSERT_TRUE(client.association->send(id, text("after"), false));
  ASSERT_TRUE(run_until([&] { return server.messages.size() == 2; }));
  EXPECT_EQ(server.association->stats().oversized_messages_dropped, 1u);
  EXPECT_TRUE(server.messages[0].data == pattern(100000, 5));
  EXPECT_EQ(as_string(server.messages[1].data), "after");
  EXPECT_TRUE(server.closed_reasons.empty());
}

TEST_F(AssociationPair, ListenerMayCloseChannelFromItsOpenCallback) {
  connect_both();
  server.on_open = [&](std::uint16_t id) { server.association->close_channel(id); };
  const auto id = client.association->open_channel("rejected", "");
  ASSERT_TRUE(id);
  ASSERT_TRUE(run_until(
      [&] { return client.closed_channels.size() == 1 && server.closed_channels.size() == 1; }));
  EXPECT_EQ(client.closed_channels[0], *id);
}

TEST_F(AssociationPair, PacketsFromTimersOnAnotherThreadWaitForTheOwner) {
  connect_both();
  const auto id = open_from(server, client, "oai-events");
  // One DATA packet to the client: it answers with a delayed SACK, i.e. from a timer.
  ASSERT_TRUE(server.association->send(id, text("ack me later"), false));
  ASSERT_EQ(to_client.size(), 1u);
  client.association->handle_packet(to_client.front());
  to_client.clear();
  ASSERT_EQ(client.messages.size(), 1u);
  ASSERT_TRUE(to_server.empty()); // no immediate SACK for a single packet

  const int sent_before = client.packets_sent;
  const TimePoint later = now + seconds(1);
  std::thread other([&] { sctp_stack_global().handle_timeout(later); });
  other.join();
  // The SACK was produced on the other thread: queued for the owner, not delivered there.
  EXPECT_EQ(client.packets_sent, sent_before);
  now = later;
  client.association->flush_pending();
  EXPECT_EQ(client.packets_sent, sent_before + 1);
  EXPECT_EQ(client.association->stats().packets_from_other_threads, 1u);
  ASSERT_EQ(to_server.size(), 1u);
  EXPECT_EQ(to_server.front()[12], 3); // chunk type SACK
  EXPECT_TRUE(server.association->handle_packet(to_server.front()));
}

TEST_F(AssociationPair, PeerChannelTypeDecidesHowWeSend) {
  connect_both();
  // The client's OPEN is rewritten to "reliable unordered" (channel type 0x80) on its way.
  const auto id = client.association->open_channel("unordered", "");
  ASSERT_TRUE(id);
  ASSERT_EQ(to_server.size(), 1u);
  Packet open = std::move(to_server.front());
  to_server.clear();
  const std::size_t data = kSctpCommonHeaderSize;
  ASSERT_EQ(open[data], 0);                    // DATA
  ASSERT_EQ(load_be32(&open[data + 12]), 50u); // PPID DCEP
  ASSERT_EQ(open[data + 16], 0x03);            // DATA_CHANNEL_OPEN
  open[data + 17] = 0x80;
  write_sctp_checksum(open);
  ASSERT_TRUE(server.association->handle_packet(open));
  ASSERT_TRUE(run_until([&] { return client.opened.size() == 1; }));
  // The server sends on that channel with the U bit (RFC 9260 §3.3.1 flags 0x04).
  ASSERT_TRUE(server.association->send(*id, text("any order"), false));
  ASSERT_EQ(to_client.size(), 1u);
  const Packet& reply = to_client.front();
  std::size_t offset = kSctpCommonHeaderSize;
  while (offset + 4 <= reply.size() && reply[offset] != 0) {
    offset += (load_be16(&reply[offset + 2]) + 3u) & ~std::size_t{3};
  }
  ASSERT_LT(offset + 16, reply.size());
  EXPECT_NE(reply[offset + 1] & 0x04, 0);
  ASSERT_TRUE(run_until([&] { return client.messages.size() == 1; }));
  EXPECT_EQ(as_string(client.messages[0].data), "any order");
}

TEST_F(AssociationPair, SendQueueIsBounded) {
  const auto id = client.association->open_channel("oai-events", "");
  ASSERT_TRUE(id);
  const auto message = pattern(262144, 6);
  int accepted = 0;
  while (accepted < 100 && client.association->send(*id, message, true))
    ++accepted;
  EXPECT_EQ(accepted, 63); // 16 MiB of queue, minus the queued DATA_CHANNEL_OPEN
  EXPECT_EQ(client.association->buffered_amount(*id), 63u * message.size());
  EXPECT_EQ(client.association->stats().send_failures, 1u);
}

TEST_F(AssociationPair, ClosingBeforeConnectForgetsTheChannel) {
  const auto id = client.association->open_channel("never", "");
  ASSERT_TRUE(id);
  ASSERT_TRUE(client.association->send(*id, text("never sent"), false));
  client.association->close_channel(*id);
  EXPECT_EQ(client.closed_channels, std::vector<std::uint16_t>{*id});
  EXPECT_EQ(client.association->buffered_amount(*id), 0u);
  connect_both();
  run_until([] { return false; }, seconds(1)); // give a forgotten OPEN every chance to leak
  EXPECT_TRUE(server.opened.empty());
  EXPECT_TRUE(server.messages.empty());
}

// Two owners on two threads, each with its own pair, ticking the shared stack with the real
// clock as workers will. Every packet must reach its listener on the owner's thread.
TEST(AssociationThreads, OwnersOnTwoThreadsOnlySeeTheirOwnPackets) {
  constexpr int kMessages = 200;
  auto worker = [](bool& ok, std::uint64_t& from_other_threads) {
    std::deque<Packet> to_server;
    std::deque<Packet> to_client;
    Endpoint client(to_server, config_for(true));
    Endpoint server(to_client, config_for(false));
    client.association->connect();
    server.association->connect();
    std::optional<std::uint16_t> id;
    int sent = 0;
    const auto give_up = Clock::now() + seconds(60);
    while (Clock::now() < give_up) {
      for (int n = 0; n < 1000 && (!to_server.empty() || !to_client.empty()); ++n) {
        if (!to_server.empty()) {
          server.association->handle_packet(to_server.front());
          to_server.pop_front();
        }
        if (!to_client.empty()) {
          client.association->handle_packet(to_client.front());
          to_client.pop_front();
        }
      }
      if (client.connected && !id) id = client.association->open_channel("t", "");
      if (id && !client.opened.empty() && sent < kMessages) {
        client.association->send(*id, text("m" + std::to_string(sent)), false);
        server.association->send(*id, text("r" + std::to_string(sent)), false);
        ++sent;
      }
      if (server.messages.size() == kMessages && client.messages.size() == kMessages) break;
      const TimePoint now = Clock::now();
      client.association->handle_timeout(now);
      server.association->handle_timeout(now);
    }
    from_other_threads = client.association->stats().packets_from_other_threads +
                         server.association->stats().packets_from_other_threads;
    ok = !client.foreign_thread_send && !server.foreign_thread_send &&
         server.messages.size() == kMessages && client.messages.size() == kMessages &&
         as_string(server.messages.back().data) == "m199";
  };
  bool ok1 = false;
  bool ok2 = false;
  std::uint64_t handed_over1 = 0;
  std::uint64_t handed_over2 = 0;
  std::thread first([&] { worker(ok1, handed_over1); });
  std::thread second([&] { worker(ok2, handed_over2); });
  first.join();
  second.join();
  EXPECT_TRUE(ok1);
  EXPECT_TRUE(ok2);
  // How many packets crossed threads depends on scheduling; shown for the curious.
  RecordProperty("packets_handed_over", static_cast<int>(handed_over1 + handed_over2));
}

TEST(AssociationLifetime, DestroyedPeerLeavesOnlyOrphanPackets) {
  std::deque<Packet> to_server;
  std::deque<Packet> to_client;
  auto client = std::make_unique<Endpoint>(to_server, config_for(true));
  auto server = std::make_unique<Endpoint>(to_client, config_for(false));
  EXPECT_EQ(sctp_stack_global().association_count(), 2u);
  client->association->connect();
  server->association->connect();
  TimePoint now = TimePoint{} + std::chrono::hours(2);
  for (int i = 0; i < 200 && !(client->connected && server->connected); ++i) {
    while (!to_server.empty() || !to_client.empty()) {
      if (!to_server.empty()) {
        server->association->handle_packet(to_server.front());
        to_server.pop_front();
      }
      if (!to_client.empty()) {
        client->association->handle_packet(to_client.front());
        to_client.pop_front();
      }
    }
    now += milliseconds(10);
    client->association->handle_timeout(now);
    server->association->handle_timeout(now);
  }
  ASSERT_TRUE(client->connected && server->connected);
  const auto orphans_before = sctp_stack_global().orphan_packets();
  server.reset(); // its ABORT (linger 0) is produced after it left the registry
  EXPECT_GT(sctp_stack_global().orphan_packets(), orphans_before);
  EXPECT_EQ(sctp_stack_global().association_count(), 1u);
  // The client keeps running timers that may still refer to the dead peer's address.
  for (int i = 0; i < 100; ++i) {
    now += milliseconds(100);
    client->association->handle_timeout(now);
  }
  client.reset();
  EXPECT_EQ(sctp_stack_global().association_count(), 0u);
  EXPECT_FALSE(sctp_stack_global().next_timeout());
}

TEST(AssociationConfig, RejectsZeroPorts) {
  std::deque<Packet> sink;
  auto config = config_for(true);
  config.local_port = 0;
  EXPECT_THROW(Endpoint(sink, config), std::invalid_argument);
}

} // namespace
} // namespace wab::sctp
