#pragma once
// WebRTC data channel wire format: SCTP payload protocol identifiers (RFC 8831 §8, IANA) and the
// Data Channel Establishment Protocol messages (RFC 8832 §5). Pure codec, callable from any thread.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.hpp"

namespace wab::sctp {

// Payload protocol identifiers carried in each SCTP DATA chunk.
enum class Ppid : std::uint32_t {
  dcep = 50,
  string = 51,
  binary_partial = 52, // deprecated (RFC 8831 §8), never sent
  binary = 53,
  string_partial = 54, // deprecated, never sent
  string_empty = 56,   // an empty message is sent as one byte with this PPID
  binary_empty = 57,
};

enum class DcepMessageType : std::uint8_t { ack = 0x02, open = 0x03 };

// RFC 8832 §5.1 channel types: the high bit means unordered.
enum class ChannelType : std::uint8_t {
  reliable = 0x00,
  reliable_unordered = 0x80,
  partial_reliable_rexmit = 0x01,
  partial_reliable_rexmit_unordered = 0x81,
  partial_reliable_timed = 0x02,
  partial_reliable_timed_unordered = 0x82,
};

inline bool is_unordered(ChannelType type) {
  return (static_cast<std::uint8_t>(type) & 0x80) != 0;
}

struct DcepOpen {
  ChannelType channel_type = ChannelType::reliable;
  std::uint16_t priority = 0;
  std::uint32_t reliability_parameter = 0; // retransmissions or lifetime in ms, per channel type
  std::string label;
  std::string protocol;
};

inline constexpr std::size_t kDcepOpenHeaderSize = 12;

// First byte of a DCEP message, or nullopt when empty or not a known type.
std::optional<DcepMessageType> dcep_message_type(Bytes message);

// Parses a complete DATA_CHANNEL_OPEN; nullopt when truncated, of unknown channel type, or when
// the label/protocol lengths do not add up to the message length.
std::optional<DcepOpen> parse_dcep_open(Bytes message);

// Serialises a DATA_CHANNEL_OPEN; nullopt when label or protocol exceed 65535 bytes.
std::optional<std::vector<std::uint8_t>> serialize_dcep_open(const DcepOpen& open);

// The one-byte DATA_CHANNEL_ACK.
Bytes dcep_ack_message();

} // namespace wab::sctp
