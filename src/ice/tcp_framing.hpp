#pragma once
// RFC 4571 framing for ICE-TCP (RFC 6544 §3): every STUN, DTLS, SRTP or SRTCP packet on a TCP
// candidate pair travels as a 16-bit big-endian length followed by that many bytes. Sans-I/O: the
// reader takes whatever chunks the stream delivers and hands back whole frames.
//
// FrameReader owns a fixed reassembly buffer (one maximal frame, allocated at construction) and
// never allocates afterwards. A value type with no thread of its own: the caller's thread only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "common/bytes.hpp"

namespace wab::ice {

inline constexpr std::size_t kFrameHeaderSize = 2;
inline constexpr std::size_t kMaxFrameSize = 0xffff;

// The two length bytes that precede a frame of `length` bytes; nullopt if it cannot be framed.
std::optional<std::array<std::uint8_t, kFrameHeaderSize>> frame_header(std::size_t length);

class FrameReader {
public:
  FrameReader();

  // Consumes `chunk` and calls `on_frame(MutableBytes)` for each frame it completes, in order.
  // A frame that lies wholly inside `chunk` is handed over in place (the handler may modify it);
  // one split across chunks is reassembled first. Empty frames are skipped. Returns the number of
  // frames delivered.
  template <typename OnFrame> std::size_t feed(MutableBytes chunk, OnFrame&& on_frame);

  // Bytes of an incomplete frame (header included) held for the next chunk.
  std::size_t buffered() const { return partial_size_; }
  void reset() { partial_size_ = 0; }

private:
  // Copies from `chunk` into the partial frame; returns the completed frame or an empty span.
  MutableBytes absorb(MutableBytes& chunk);

  std::vector<std::uint8_t> partial_; // kFrameHeaderSize + kMaxFrameSize bytes
  std::size_t partial_size_ = 0;
};

template <typename OnFrame> std::size_t FrameReader::feed(MutableBytes chunk, OnFrame&& on_frame) {
  std::size_t frames = 0;
  while (!chunk.empty()) {
    if (partial_size_ == 0 && chunk.size() >= kFrameHeaderSize) {
      const std::size_t length = load_be16(chunk.data());
      if (chunk.size() >= kFrameHeaderSize + length) {
        if (length > 0) {
          on_frame(chunk.subspan(kFrameHeaderSize, length));
          ++frames;
        }
        chunk = chunk.subspan(kFrameHeaderSize + length);
        continue;
      }
    }
    const MutableBytes frame = absorb(chunk);
    if (!frame.empty()) {
      on_frame(frame);
      ++frames;
    }
  }
  return frames;
}

} // namespace wab::ice
