// Arbitrary packets into SctpAssociation::handle_packet.
//
// First input byte: bit 0 selects the target. 0: a fresh association that never connected gets
// the raw bytes (exercises our header checks and usrsctp's handling of stray packets).
// 1: the server side of a connected pair with an open channel; every fuzzed packet gets the
// right ports, the association's verification tag and a valid checksum, so usrsctp parses the
// chunks instead of dropping them at the door. The rest of the input is a sequence of packets,
// each prefixed with a two-byte big-endian length. After each one the pair exchanges whatever
// it produced and the virtual clock moves on, so answers and timers run too.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sctp/checksum.hpp"
#include "sctp/sctp_association.hpp"

namespace {

using wab::Bytes;
using wab::TimePoint;
using wab::sctp::SctpAssociation;
using Packet = std::vector<std::uint8_t>;

class Side : public SctpAssociation::Listener {
public:
  explicit Side(std::deque<Packet>& outbox) : outbox_(outbox) {}
  void on_sctp_send(Bytes packet) override {
    if (outbox_.size() < 4096) outbox_.emplace_back(packet.begin(), packet.end());
  }
  void on_sctp_connected() override { connected = true; }
  void on_channel_open(std::uint16_t, const std::string&, const std::string&) override { ++opened; }
  void on_channel_message(std::uint16_t, Bytes, bool) override {}
  void on_channel_closed(std::uint16_t) override {}
  void on_sctp_closed(std::string) override {}

  std::deque<Packet>& outbox_;
  bool connected = false;
  int opened = 0;
};

struct Pair {
  std::deque<Packet> to_server;
  std::deque<Packet> to_client;
  Side client_side{to_server};
  Side server_side{to_client};
  std::unique_ptr<SctpAssociation> client;
  std::unique_ptr<SctpAssociation> server;
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  std::uint32_t server_tag = 0; // verification tag the server expects (the client writes it)

  Pair() {
    SctpAssociation::Config config;
    config.dtls_client = true;
    client = std::make_unique<SctpAssociation>(client_side, config);
    config.dtls_client = false;
    server = std::make_unique<SctpAssociation>(server_side, config);
    client->handle_timeout(now);
    server->handle_timeout(now);
  }

  void exchange(int rounds) {
    for (int i = 0; i < rounds; ++i) {
      for (int n = 0; n < 256 && (!to_server.empty() || !to_client.empty()); ++n) {
        if (!to_server.empty()) {
          if (to_server.front().size() >= 8) server_tag = wab::load_be32(&to_server.front()[4]);
          server->handle_packet(to_server.front());
          to_server.pop_front();
        }
        if (!to_client.empty()) {
          client->handle_packet(to_client.front());
          to_client.pop_front();
        }
      }
      now += std::chrono::milliseconds(10);
      client->handle_timeout(now);
      server->handle_timeout(now);
    }
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool connected_target = (data[0] & 1) != 0;
  Pair pair;
  if (connected_target) {
    pair.client->connect();
    pair.server->connect();
    pair.exchange(5);
    if (!pair.client_side.connected || !pair.server_side.connected) std::abort();
    const auto id = pair.client->open_channel("oai-events", "");
    const std::uint8_t hello[] = {'h', 'i'};
    if (id) pair.client->send(*id, Bytes(hello, sizeof hello), false);
    pair.exchange(2);
  }
  std::size_t offset = 1;
  while (offset + 2 <= size) {
    const std::size_t length =
        std::min<std::size_t>(wab::load_be16(data + offset), size - offset - 2);
    offset += 2;
    Packet packet(data + offset, data + offset + length);
    offset += length;
    if (connected_target && packet.size() >= wab::sctp::kSctpCommonHeaderSize) {
      wab::store_be16(&packet[0], 5000);
      wab::store_be16(&packet[2], 5000);
      wab::store_be32(&packet[4], pair.server_tag);
      wab::sctp::write_sctp_checksum(packet);
    }
    pair.server->handle_packet(packet);
    pair.exchange(1);
  }
  return 0;
}
