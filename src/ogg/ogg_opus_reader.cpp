#include "ogg/ogg_opus_reader.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "ogg/ogg_crc.hpp"
#include "rtp/opus.hpp"

namespace wab::ogg {
namespace {

constexpr std::size_t kPageHeaderBytes = 27;
constexpr std::uint8_t kBeginOfStream = 0x02;
constexpr std::uint8_t kContinued = 0x01;
// An announcement is seconds long; refuse anything that could not be one.
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

bool starts_with(const std::vector<std::uint8_t>& packet, const char* magic) {
  const std::size_t n = std::strlen(magic);
  return packet.size() >= n && std::memcmp(packet.data(), magic, n) == 0;
}

// Assembles the packets of one logical stream from its pages, in order.
class PacketAssembler {
public:
  template <typename OnPacket> void add_page(Bytes page, std::size_t offset, OnPacket on_packet) {
    const std::uint8_t flags = page[5];
    const std::size_t segments = page[26];
    if ((flags & kContinued) == 0 && !partial_.empty()) {
      throw OggError("page at byte " + std::to_string(offset) + " drops an unfinished packet");
    }
    if ((flags & kContinued) != 0 && partial_.empty()) {
      throw OggError("page at byte " + std::to_string(offset) + " continues no packet");
    }
    const std::uint8_t* body = page.data() + kPageHeaderBytes + segments;
    for (std::size_t i = 0; i < segments; ++i) {
      const std::uint8_t lace = page[kPageHeaderBytes + i];
      partial_.insert(partial_.end(), body, body + lace);
      body += lace;
      if (lace < 255) {
        on_packet(partial_);
        partial_.clear();
      }
    }
  }
  bool unfinished() const { return !partial_.empty(); }

private:
  std::vector<std::uint8_t> partial_;
};

} // namespace

std::uint64_t OpusClip::total_samples() const {
  std::uint64_t total = 0;
  for (const auto& p : packets)
    total += p.samples;
  return total;
}

OpusClip read_ogg_opus(Bytes file) {
  if (file.size() > kMaxFileBytes) throw OggError("file larger than 16 MiB");
  OpusClip clip;
  std::optional<std::uint32_t> serial;
  std::size_t header_packets = 0;
  PacketAssembler assembler;
  std::size_t at = 0;
  while (at < file.size()) {
    const Bytes rest = file.subspan(at);
    if (rest.size() < 4 || std::memcmp(rest.data(), "OggS", 4) != 0) {
      throw OggError("no Ogg page at byte " + std::to_string(at));
    }
    if (rest.size() < kPageHeaderBytes) {
      throw OggError("truncated Ogg page at byte " + std::to_string(at));
    }
    if (rest[4] != 0) throw OggError("unsupported Ogg version at byte " + std::to_string(at));
    const std::size_t segments = rest[26];
    if (rest.size() < kPageHeaderBytes + segments) throw OggError("truncated Ogg page header");
    std::size_t body = 0;
    for (std::size_t i = 0; i < segments; ++i)
      body += rest[kPageHeaderBytes + i];
    const std::size_t page_size = kPageHeaderBytes + segments + body;
    if (rest.size() < page_size) throw OggError("truncated Ogg page at byte " + std::to_string(at));
    const Bytes page = rest.first(page_size);
    if (ogg_crc(page) != load_le32(page.data() + 22)) {
      throw OggError("Ogg page CRC mismatch at byte " + std::to_string(at));
    }
    const std::uint32_t page_serial = load_le32(page.data() + 14);
    if (!serial) {
      if ((page[5] & kBeginOfStream) == 0) throw OggError("first page does not begin a stream");
      serial = page_serial;
    }
    if (page_serial == *serial) {
      assembler.add_page(page, at, [&](const std::vector<std::uint8_t>& packet) {
        if (header_packets == 0) {
          // OpusHead: magic, version 1, channel count (RFC 7845 §5.1).
          if (packet.size() < 19 || !starts_with(packet, "OpusHead")) {
            throw OggError("the first stream is not Opus (no OpusHead)");
          }
          if ((packet[8] & 0xf0) != 0) throw OggError("unsupported OpusHead version");
          clip.channels = packet[9];
          if (clip.channels == 0 || clip.channels > 2) {
            throw OggError("only mono or stereo Opus can be sent as one RTP stream");
          }
          ++header_packets;
          return;
        }
        if (header_packets == 1) {
          if (!starts_with(packet, "OpusTags")) throw OggError("missing OpusTags header");
          ++header_packets;
          return;
        }
        const std::uint32_t samples = rtp::opus_packet_samples(packet);
        if (samples == 0) {
          throw OggError("invalid Opus packet #" + std::to_string(clip.packets.size()));
        }
        if (packet.size() > kMaxAnnouncementPacket) {
          throw OggError("Opus packet #" + std::to_string(clip.packets.size()) +
                         " is larger than one RTP packet may carry");
        }
        clip.packets.push_back({static_cast<std::uint32_t>(clip.data.size()),
                                static_cast<std::uint32_t>(packet.size()), samples});
        clip.data.insert(clip.data.end(), packet.begin(), packet.end());
      });
    }
    at += page_size;
  }
  if (header_packets < 2) throw OggError("no Ogg Opus headers found");
  if (assembler.unfinished()) throw OggError("the file ends inside a packet");
  if (clip.packets.empty()) throw OggError("the Ogg Opus stream has no audio packets");
  return clip;
}

OpusClip read_ogg_opus_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OggError("cannot open '" + path + "'");
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  if (in.bad()) throw OggError("cannot read '" + path + "'");
  try {
    return read_ogg_opus(bytes);
  } catch (const OggError& e) {
    throw OggError("'" + path + "': " + e.what());
  }
}

} // namespace wab::ogg
