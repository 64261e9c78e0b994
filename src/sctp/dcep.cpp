#include "sctp/dcep.hpp"

#include <algorithm>

namespace wab::sctp {
namespace {

bool known_channel_type(std::uint8_t value) {
  switch (value) {
  case 0x00:
  case 0x80:
  case 0x01:
  case 0x81:
  case 0x02:
  case 0x82: return true;
  default: return false;
  }
}

} // namespace

std::optional<DcepMessageType> dcep_message_type(Bytes message) {
  if (message.empty()) return std::nullopt;
  switch (message[0]) {
  case static_cast<std::uint8_t>(DcepMessageType::ack): return DcepMessageType::ack;
  case static_cast<std::uint8_t>(DcepMessageType::open): return DcepMessageType::open;
  default: return std::nullopt;
  }
}

std::optional<DcepOpen> parse_dcep_open(Bytes message) {
  if (message.size() < kDcepOpenHeaderSize) return std::nullopt;
  const std::uint8_t* p = message.data();
  if (p[0] != static_cast<std::uint8_t>(DcepMessageType::open)) return std::nullopt;
  if (!known_channel_type(p[1])) return std::nullopt;
  const std::size_t label_length = load_be16(p + 8);
  const std::size_t protocol_length = load_be16(p + 10);
  // Exact length: trailing bytes would mean the two length fields disagree with the sender.
  if (message.size() != kDcepOpenHeaderSize + label_length + protocol_length) return std::nullopt;
  DcepOpen open;
  open.channel_type = static_cast<ChannelType>(p[1]);
  open.priority = load_be16(p + 2);
  open.reliability_parameter = load_be32(p + 4);
  const char* text = reinterpret_cast<const char*>(p + kDcepOpenHeaderSize);
  open.label.assign(text, label_length);
  open.protocol.assign(text + label_length, protocol_length);
  return open;
}

std::optional<std::vector<std::uint8_t>> serialize_dcep_open(const DcepOpen& open) {
  if (open.label.size() > 0xFFFF || open.protocol.size() > 0xFFFF) return std::nullopt;
  std::vector<std::uint8_t> out(kDcepOpenHeaderSize + open.label.size() + open.protocol.size());
  std::uint8_t* p = out.data();
  p[0] = static_cast<std::uint8_t>(DcepMessageType::open);
  p[1] = static_cast<std::uint8_t>(open.channel_type);
  store_be16(p + 2, open.priority);
  store_be32(p + 4, open.reliability_parameter);
  store_be16(p + 8, static_cast<std::uint16_t>(open.label.size()));
  store_be16(p + 10, static_cast<std::uint16_t>(open.protocol.size()));
  std::copy(open.label.begin(), open.label.end(), p + kDcepOpenHeaderSize);
  std::copy(open.protocol.begin(), open.protocol.end(),
            p + kDcepOpenHeaderSize + open.label.size());
  return out;
}

Bytes dcep_ack_message() {
  static constexpr std::uint8_t kAck[1] = {static_cast<std::uint8_t>(DcepMessageType::ack)};
  return Bytes(kAck, 1);
}

} // namespace wab::sctp
