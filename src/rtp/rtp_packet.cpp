#include "rtp/rtp_packet.hpp"

namespace wab::rtp {

std::optional<RtpView> RtpView::parse(Bytes packet) {
  const std::size_t size = packet.size();
  if (size < kRtpFixedHeaderSize) return std::nullopt;
  const std::uint8_t* p = packet.data();
  if ((p[0] >> 6) != 2) return std::nullopt;

  RtpView v;
  v.packet_ = packet;
  RtpHeader& h = v.header_;
  h.padding = (p[0] & 0x20) != 0;
  h.extension = (p[0] & 0x10) != 0;
  h.csrc_count = p[0] & 0x0f;
  h.marker = (p[1] & 0x80) != 0;
  h.payload_type = p[1] & 0x7f;
  h.sequence = load_be16(p + 2);
  h.timestamp = load_be32(p + 4);
  h.ssrc = load_be32(p + 8);

  std::size_t offset = kRtpFixedHeaderSize + 4u * h.csrc_count;
  if (offset > size) return std::nullopt;
  if (h.extension) {
    if (offset + 4 > size) return std::nullopt;
    h.extension_profile = load_be16(p + offset);
    const std::size_t body = 4u * load_be16(p + offset + 2);
    offset += 4;
    if (offset + body > size) return std::nullopt;
    v.extension_data_ = packet.subspan(offset, body);
    offset += body;
  }
  v.header_size_ = offset;

  std::size_t end = size;
  if (h.padding) {
    // The last byte counts itself; zero is invalid and padding may not eat into the header.
    const std::uint8_t pad = p[size - 1];
    if (pad == 0 || pad > size - offset) return std::nullopt;
    v.padding_size_ = pad;
    end -= pad;
  }
  v.payload_ = packet.subspan(offset, end - offset);
  return v;
}

bool looks_like_rtp_or_rtcp(Bytes packet) {
  return packet.size() >= 4 && packet[0] >= 128 && packet[0] <= 191;
}

bool is_rtcp(Bytes packet) {
  if (packet.size() < 4 || packet[0] < 128 || packet[0] > 191) return false;
  return packet[1] >= 192 && packet[1] <= 223;
}

} // namespace wab::rtp
