#include "ogg/ogg_opus_writer.hpp"

#include <stdexcept>
#include <string_view>

#include "ogg/ogg_crc.hpp"

namespace wab::ogg {
namespace {

void store_le(std::uint8_t* p, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

constexpr std::uint8_t kFlagBeginOfStream = 0x02;
constexpr std::uint8_t kEndOfStream = 0x04;

} // namespace

OggOpusWriter::OggOpusWriter(std::ostream& out, std::uint32_t serial, std::uint8_t channels,
                             std::uint16_t pre_skip)
    : out_(out), serial_(serial) {
  std::uint8_t head[19] = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, channels};
  store_le(head + 10, pre_skip, 2);
  store_le(head + 12, 48000, 4); // the input rate is informational
  write_page(Bytes(head, sizeof head), kFlagBeginOfStream, 0);
  constexpr std::string_view vendor = "wabridge";
  std::vector<std::uint8_t> tags = {'O', 'p', 'u', 's', 'T', 'a', 'g', 's', 0, 0, 0, 0};
  store_le(tags.data() + 8, vendor.size(), 4);
  tags.insert(tags.end(), vendor.begin(), vendor.end());
  tags.insert(tags.end(), {0, 0, 0, 0}); // no user comments
  write_page(tags, 0, 0);
}

void OggOpusWriter::add_packet(Bytes packet, std::uint32_t samples) {
  if (finished_) throw std::logic_error("OggOpusWriter: packet after finish()");
  if (packet.size() >= 255 * 255) throw std::invalid_argument("Opus packet too large for a page");
  if (has_pending_) write_page(pending_, 0, granule_);
  pending_.assign(packet.begin(), packet.end());
  has_pending_ = true;
  granule_ += samples;
}

void OggOpusWriter::finish() {
  if (finished_) return;
  finished_ = true;
  // A stream without audio still ends: a page with no segments carries the flag.
  write_page(pending_, kEndOfStream, granule_);
  has_pending_ = false;
}

void OggOpusWriter::write_page(Bytes packet, std::uint8_t flags, std::uint64_t granule) {
  // Lacing: 255-byte segments, then one shorter segment (possibly 0) that ends the packet; an
  // end-of-stream page without a packet has no segments.
  const bool empty_eos = packet.empty() && (flags & kEndOfStream) != 0;
  const std::size_t segments = empty_eos ? 0 : packet.size() / 255 + 1;
  page_.assign(27 + segments, 0);
  page_[0] = 'O';
  page_[1] = 'g';
  page_[2] = 'g';
  page_[3] = 'S';
  page_[5] = flags;
  store_le(page_.data() + 6, granule, 8);
  store_le(page_.data() + 14, serial_, 4);
  store_le(page_.data() + 18, sequence_++, 4);
  page_[26] = static_cast<std::uint8_t>(segments);
  for (std::size_t i = 0; i + 1 < segments; ++i)
    page_[27 + i] = 255;
  if (segments > 0) page_[27 + segments - 1] = static_cast<std::uint8_t>(packet.size() % 255);
  page_.insert(page_.end(), packet.begin(), packet.end());
  store_le(page_.data() + 22, ogg_crc(page_), 4);
  out_.write(reinterpret_cast<const char*>(page_.data()),
             static_cast<std::streamsize>(page_.size()));
  if (!out_) throw std::runtime_error("OggOpusWriter: write failed");
}

} // namespace wab::ogg
