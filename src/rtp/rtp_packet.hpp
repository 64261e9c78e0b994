#pragma once
// Zero-copy view of one RTP packet (RFC 3550 §5.1) and the RTP/RTCP split of RFC 5761. A view
// borrows the caller's bytes and must not outlive them. Value types; any thread.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace wab::rtp {

inline constexpr std::size_t kRtpFixedHeaderSize = 12;

struct RtpHeader {
  bool padding = false;
  bool extension = false;
  std::uint8_t csrc_count = 0;
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint16_t extension_profile = 0; // 0xBEDE one-byte, 0x100x two-byte (RFC 8285); 0 if none
};

class RtpView {
public:
  // Validates version 2, CSRC list, extension and padding lengths against `packet.size()`.
  // Returns nullopt for anything that is not a well-formed RTP packet. Never throws.
  static std::optional<RtpView> parse(Bytes packet);

  const RtpHeader& header() const { return header_; }
  std::uint32_t csrc(std::size_t i) const { return load_be32(packet_.data() + 12 + 4 * i); }
  // Extension body after its 4-byte (profile, length) header; empty when X is clear.
  Bytes extension_data() const { return extension_data_; }
  // Bytes between the header (incl. extension) and the padding.
  Bytes payload() const { return payload_; }
  std::uint8_t padding_size() const { return padding_size_; }
  // Fixed header + CSRCs + extension: the offset of the payload.
  std::size_t header_size() const { return header_size_; }
  Bytes bytes() const { return packet_; }

private:
  Bytes packet_;
  RtpHeader header_;
  Bytes extension_data_;
  Bytes payload_;
  std::size_t header_size_ = 0;
  std::uint8_t padding_size_ = 0;
};

// RFC 5761 §4 on an rtcp-mux socket: RTP/RTCP version bits (first byte 128–191) and a second byte
// of 192–223 (RTCP packet types 192–223, where RTP's M+PT would be 64–95 with the marker set).
bool is_rtcp(Bytes packet);
// First byte 128–191 (RFC 7983) and at least an RTCP header (4 bytes) long; RTP or RTCP.
bool looks_like_rtp_or_rtcp(Bytes packet);

} // namespace wab::rtp
