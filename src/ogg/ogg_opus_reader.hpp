#pragma once
// Reads an Ogg Opus file (RFC 7845) into its Opus packets, unchanged, so they can be sent as RTP
// payloads without transcoding (announcements). Only the first logical stream is read; page CRCs,
// the OpusHead/OpusTags headers and every packet's TOC are checked.
//
// Owns: nothing but the returned clip. Threads: any; pure functions.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/bytes.hpp"

namespace wab::ogg {

class OggError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Larger packets cannot travel in one RTP packet within a safe MTU; the reader refuses them.
inline constexpr std::size_t kMaxAnnouncementPacket = 1275;

// Audio packets stored back to back in one buffer: playing a clip allocates nothing.
struct OpusClip {
  struct Packet {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    std::uint32_t samples = 0; // at 48 kHz
  };
  std::vector<std::uint8_t> data;
  std::vector<Packet> packets;
  std::uint8_t channels = 1;

  Bytes payload(const Packet& p) const { return Bytes(data).subspan(p.offset, p.size); }
  std::uint64_t total_samples() const;
};

// Throws OggError naming what is wrong (truncated page, bad CRC, not Opus, invalid packet…).
OpusClip read_ogg_opus(Bytes file);
// Reads the file at `path`; throws OggError when it cannot be read or parsed.
OpusClip read_ogg_opus_file(const std::string& path);

} // namespace wab::ogg
