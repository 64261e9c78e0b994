#pragma once
// Writes Opus packets, unchanged, into an Ogg Opus stream (RFC 7845): OpusHead and OpusTags, then
// one audio packet per page with its granule position; the last packet's page carries the
// end-of-stream flag, so each packet is written when the next one arrives or at finish().
// Used for recordings and test assets.
//
// Owns: nothing; writes to the stream it is given. Threads: one at a time.
#include <cstdint>
#include <ostream>
#include <vector>

#include "common/bytes.hpp"

namespace wab::ogg {

class OggOpusWriter {
public:
  // Writes the two header pages at once.
  OggOpusWriter(std::ostream& out, std::uint32_t serial, std::uint8_t channels = 1,
                std::uint16_t pre_skip = 312);
  // Appends one packet lasting `samples` (48 kHz). Packets above 255×255 bytes are refused.
  void add_packet(Bytes packet, std::uint32_t samples);
  // Writes the last packet with the end-of-stream flag; no packet may follow.
  void finish();

private:
  void write_page(Bytes packet, std::uint8_t flags, std::uint64_t granule);

  std::ostream& out_;
  std::uint32_t serial_;
  std::uint32_t sequence_ = 0;
  std::uint64_t granule_ = 0;
  bool finished_ = false;
  std::vector<std::uint8_t> pending_; // the latest packet, not written yet
  bool has_pending_ = false;
  std::vector<std::uint8_t> page_;
};

} // namespace wab::ogg
