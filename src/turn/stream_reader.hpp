#pragma once
// Splits a TURN byte stream (TCP or TLS to the server, RFC 8656 §6.2 / RFC 6062) into messages:
// STUN messages and ChannelData padded to 4 bytes follow each other with no other framing, so the
// first bytes of each say how long it is (turn::stream_frame_size). Sans-I/O: the caller feeds
// whatever chunks the stream delivers.
//
// Owns one fixed reassembly buffer (the largest message, allocated at construction) and never
// allocates afterwards. A value type with no thread of its own: the caller's thread only.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "turn/channel_data.hpp"

namespace wab::turn {

class StreamReader {
public:
  // A STUN header and the largest length it can carry (ChannelData padded is never longer).
  static constexpr std::size_t kMaxMessageSize = 20 + 0xffff + 3;

  StreamReader() : buffer_(kMaxMessageSize) {}

  // Consumes `chunk` and calls `on_message(MutableBytes)` for each message it completes, in
  // order. The message may be modified within its own bytes only (the next one may follow it).
  // Returns false, and keeps returning false, once the stream holds bytes that are neither STUN
  // nor ChannelData: framing is lost and the connection is useless.
  template <typename OnMessage> bool feed(Bytes chunk, OnMessage&& on_message);

  bool broken() const { return broken_; }
  // Bytes of an incomplete message held for the next chunk.
  std::size_t buffered() const { return size_; }

private:
  std::vector<std::uint8_t> buffer_;
  std::size_t size_ = 0;
  bool broken_ = false;
};

template <typename OnMessage> bool StreamReader::feed(Bytes chunk, OnMessage&& on_message) {
  while (!broken_ && !chunk.empty()) {
    const std::size_t take = std::min(chunk.size(), buffer_.size() - size_);
    std::memcpy(buffer_.data() + size_, chunk.data(), take);
    size_ += take;
    chunk = chunk.subspan(take);
    std::size_t start = 0;
    while (true) {
      const auto n = stream_frame_size(Bytes(buffer_.data() + start, size_ - start));
      if (!n) {
        broken_ = true;
        return false;
      }
      if (*n == 0) break;
      on_message(MutableBytes(buffer_.data() + start, *n));
      start += *n;
    }
    // The incomplete rest moves to the front (at most one message: a few bytes on the media path).
    if (start > 0) {
      std::memmove(buffer_.data(), buffer_.data() + start, size_ - start);
      size_ -= start;
    }
  }
  return !broken_;
}

} // namespace wab::turn
