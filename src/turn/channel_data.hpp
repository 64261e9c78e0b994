#pragma once
// TURN ChannelData messages (RFC 8656 §12.4): a 4-byte header (channel number 0x4000–0x4FFF,
// length) and the application data; over stream transports the message is padded to a multiple
// of 4 bytes. Pure functions over caller-owned buffers; any thread.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace wab::turn {

inline constexpr std::uint16_t kFirstChannel = 0x4000;
inline constexpr std::uint16_t kLastChannel = 0x4FFF;
inline constexpr std::size_t kChannelDataHeaderSize = 4;

// RFC 7983: a first byte of 64–79 is ChannelData (the channel number's high byte).
inline bool is_channel_data(Bytes datagram) {
  return !datagram.empty() && datagram[0] >= 64 && datagram[0] <= 79;
}

struct ChannelData {
  std::uint16_t channel = 0;
  Bytes data; // a view into the parsed buffer
};

// Parses one ChannelData message at the start of `message`. Over UDP the datagram may carry
// padding after the data; the data must fit. Returns nullopt for a bad channel or length.
std::optional<ChannelData> parse_channel_data(Bytes message);

// Size of a ChannelData message with `data_size` bytes of data (padded when `stream`).
std::size_t channel_data_size(std::size_t data_size, bool stream);

// Writes the ChannelData message into `out`; returns its size, or 0 when `out` is too small or
// the channel is out of range.
std::size_t write_channel_data(MutableBytes out, std::uint16_t channel, Bytes data, bool stream);

// For a stream (TCP/TLS) receiver: the size of the complete frame (STUN message or padded
// ChannelData) at the start of `buffer`, 0 when more bytes are needed, nullopt when the bytes
// are neither.
std::optional<std::size_t> stream_frame_size(Bytes buffer);

} // namespace wab::turn
