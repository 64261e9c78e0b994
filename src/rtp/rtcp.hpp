#pragma once
// Zero-copy RTCP parsing (RFC 3550 §6, RFC 4585 feedback): walk a compound packet with
// RtcpCompoundReader, then read each packet through the typed views below. Views borrow the
// caller's bytes. Nothing allocates or throws; malformed input yields nullopt / false.
// Value types; any thread.
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.hpp"

namespace wab::rtp {

enum class RtcpType : std::uint8_t {
  sender_report = 200,
  receiver_report = 201,
  source_description = 202,
  bye = 203,
  app = 204,
  transport_feedback = 205, // RTPFB (NACK, transport-cc, ...)
  payload_feedback = 206,   // PSFB (PLI, FIR, REMB, ...)
};

inline constexpr std::size_t kRtcpHeaderSize = 4;
inline constexpr std::size_t kReportBlockSize = 24;
inline constexpr std::size_t kMaxReportBlocks = 31; // 5-bit count
inline constexpr std::uint8_t kSdesCname = 1;

struct SenderInfo {
  std::uint32_t ssrc = 0;
  std::uint64_t ntp_timestamp = 0; // 32.32 fixed point seconds since 1900
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
};

struct ReportBlock {
  std::uint32_t ssrc = 0; // the source this block reports on
  std::uint8_t fraction_lost = 0;
  std::int32_t cumulative_lost = 0; // 24-bit signed on the wire
  std::uint32_t extended_highest_sequence = 0;
  std::uint32_t jitter = 0;
  std::uint32_t last_sr = 0;             // middle 32 bits of the last SR's NTP timestamp
  std::uint32_t delay_since_last_sr = 0; // 1/65536 s
};

// One packet of a compound: header fields plus its bytes with padding removed.
class RtcpPacketView {
public:
  std::uint8_t packet_type() const { return type_; }
  // Reception report / source / SSRC count, or the feedback message type (FMT).
  std::uint8_t count() const { return count_; }
  // Whole packet including header, excluding padding.
  Bytes bytes() const { return bytes_; }
  // After the 4-byte header, excluding padding.
  Bytes body() const { return bytes_.subspan(kRtcpHeaderSize); }
  // SSRC of the sender (first word of the body); nullopt if the body is empty.
  std::optional<std::uint32_t> sender_ssrc() const;

private:
  friend class RtcpCompoundReader;
  std::uint8_t type_ = 0;
  std::uint8_t count_ = 0;
  Bytes bytes_;
};

// Iterates the packets of a compound RTCP datagram. Stops at the first malformed packet and then
// reports error(). Packet types outside 192–223 are malformed; only the last packet may carry
// padding (RFC 3550 A.2). Reduced-size RTCP (RFC 5506) is accepted: no SR/RR needed first.
class RtcpCompoundReader {
public:
  explicit RtcpCompoundReader(Bytes compound) : rest_(compound) {}
  std::optional<RtcpPacketView> next();
  bool error() const { return error_; }
  bool done() const { return rest_.empty() || error_; }

private:
  Bytes rest_;
  bool error_ = false;
};

// True when every packet of `compound` is well-formed (and there is at least one).
bool validate_rtcp_compound(Bytes compound);

class SenderReportView {
public:
  static std::optional<SenderReportView> parse(const RtcpPacketView& packet);
  const SenderInfo& sender() const { return info_; }
  std::size_t report_count() const { return count_; }
  ReportBlock report_block(std::size_t i) const; // i < report_count()

private:
  SenderInfo info_;
  std::size_t count_ = 0;
  Bytes blocks_;
};

class ReceiverReportView {
public:
  static std::optional<ReceiverReportView> parse(const RtcpPacketView& packet);
  std::uint32_t ssrc() const { return ssrc_; }
  std::size_t report_count() const { return count_; }
  ReportBlock report_block(std::size_t i) const;

private:
  std::uint32_t ssrc_ = 0;
  std::size_t count_ = 0;
  Bytes blocks_;
};

class ByeView {
public:
  static std::optional<ByeView> parse(const RtcpPacketView& packet);
  std::size_t ssrc_count() const { return count_; }
  std::uint32_t ssrc(std::size_t i) const { return load_be32(ssrcs_.data() + 4 * i); }
  std::string_view reason() const { return reason_; }

private:
  std::size_t count_ = 0;
  Bytes ssrcs_;
  std::string_view reason_;
};

// SDES chunks: each chunk is an SSRC followed by items, ended by a zero byte and padded to 32 bits.
class SdesReader {
public:
  struct Item {
    std::uint32_t ssrc;
    std::uint8_t type;
    std::string_view text;
  };
  // nullopt if the packet is not a well-formed SDES.
  static std::optional<SdesReader> parse(const RtcpPacketView& packet);
  // Next item, in order; nullopt at the end.
  std::optional<Item> next();
  // First CNAME in the packet.
  static std::optional<Item> find_cname(const RtcpPacketView& packet);

  bool error() const { return error_; }

private:
  Bytes body_;
  std::size_t offset_ = 0;
  std::size_t chunks_left_ = 0;
  std::uint32_t ssrc_ = 0;
  bool in_chunk_ = false;
  bool error_ = false;
};

// RFC 4585 feedback (RTPFB / PSFB): passed through, so only the common fields are exposed.
class FeedbackView {
public:
  static std::optional<FeedbackView> parse(const RtcpPacketView& packet);
  std::uint8_t format() const { return format_; }
  std::uint32_t sender_ssrc() const { return sender_ssrc_; }
  std::uint32_t media_ssrc() const { return media_ssrc_; }
  Bytes fci() const { return fci_; }

private:
  std::uint8_t format_ = 0;
  std::uint32_t sender_ssrc_ = 0;
  std::uint32_t media_ssrc_ = 0;
  Bytes fci_;
};

class AppView {
public:
  static std::optional<AppView> parse(const RtcpPacketView& packet);
  std::uint8_t subtype() const { return subtype_; }
  std::uint32_t ssrc() const { return ssrc_; }
  std::string_view name() const { return name_; }
  Bytes data() const { return data_; }

private:
  std::uint8_t subtype_ = 0;
  std::uint32_t ssrc_ = 0;
  std::string_view name_;
  Bytes data_;
};

} // namespace wab::rtp
