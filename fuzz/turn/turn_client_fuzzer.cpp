// Fuzzes what a TURN server (or anyone spoofing it) can send: STUN responses, Data indications and
// ChannelData into a client that has an allocation, a permission and a bound channel, plus the
// stream framing and the ChannelData parser on their own. The first byte picks a transaction id
// of an outstanding request, so responses reach the real handlers.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "stun/builder.hpp"
#include "stun/message.hpp"
#include "turn/channel_data.hpp"
#include "turn/client.hpp"
#include "turn/stream_reader.hpp"

using namespace wab;

namespace {

struct Sink : turn::Client::Listener {
  std::vector<std::vector<std::uint8_t>> sent;
  void on_turn_send(Bytes m) override {
    if (sent.size() < 64) sent.emplace_back(m.begin(), m.end());
  }
  void on_turn_allocated(const net::SocketAddress&, const net::SocketAddress&) override {}
  void on_turn_failed(const std::string&) override {}
  void on_turn_data(const net::SocketAddress&, MutableBytes d, TimePoint) override {
    if (!d.empty()) d[0] ^= 1; // the view must be writable and in bounds
  }
};

std::vector<std::uint8_t> answer(const std::vector<std::uint8_t>& request, bool success,
                                 const stun::IntegrityKey& key) {
  auto req = *stun::Message::parse(request);
  std::array<std::uint8_t, 256> buf{};
  stun::MessageBuilder b(buf, static_cast<stun::Method>(req.method()),
                         success ? stun::MessageClass::success_response
                                 : stun::MessageClass::error_response,
                         req.transaction_id_copy());
  if (success) {
    b.add_xor_address(stun::attr::xor_relayed_address,
                      *net::SocketAddress::parse("198.51.100.7", 50000));
    b.add_u32(stun::attr::lifetime, 600);
    b.add_message_integrity(key);
  } else {
    b.add_error_code(401, "Unauthorized");
    b.add_string(stun::attr::realm, "r");
    b.add_string(stun::attr::nonce, "n");
  }
  return {b.bytes().begin(), b.bytes().end()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  (void)turn::parse_channel_data(input);
  (void)turn::stream_frame_size(input);
  {
    // The stream reader over the same bytes, cut into chunks whose sizes the input picks.
    turn::StreamReader reader;
    std::size_t at = 0;
    while (at < size) {
      const std::size_t n = std::min<std::size_t>(size - at, 1 + data[at] % 64);
      reader.feed(Bytes(data + at, n), [](MutableBytes m) {
        if (m.size() < 4) __builtin_trap(); // every message has at least a header
        m[0] ^= 0;                          // writable
      });
      at += n;
    }
  }

  static const auto key = stun::IntegrityKey::long_term("u", "r", "p");
  Sink sink;
  turn::Client::Config config;
  config.username = "u";
  config.password = "p";
  config.stream = size > 0 && (data[0] & 1);
  turn::Client client(sink, config);
  TimePoint now{};
  client.start(now);
  std::vector<std::uint8_t> m = answer(sink.sent.back(), false, key);
  client.handle_message(m, now);
  m = answer(sink.sent.back(), true, key);
  client.handle_message(m, now);
  const auto peer = *net::SocketAddress::parse("192.0.2.20", 6000);
  const std::uint8_t x[] = {1};
  client.send_to(peer, x, now);
  // The last three: CreatePermission, ChannelBind, Send indication (answered: the first two).
  for (std::size_t i = sink.sent.size() >= 3 ? sink.sent.size() - 3 : sink.sent.size();
       i + 1 < sink.sent.size(); ++i) {
    m = answer(sink.sent[i], true, key);
    client.handle_message(m, now);
  }

  // The input itself, with its transaction id replaced by one we sent when it looks like STUN.
  std::vector<std::uint8_t> copy(input.begin(), input.end());
  if (copy.size() >= 20 && copy[0] < 4 && !sink.sent.empty()) {
    const auto& pick = sink.sent[copy[1] % sink.sent.size()];
    if (pick.size() >= 20) std::memcpy(copy.data() + 8, pick.data() + 8, 12);
  }
  client.handle_message(copy, now);
  client.handle_timeout(now + seconds(600));
  client.send_to(peer, input, now);
  return 0;
}
