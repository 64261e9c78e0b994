#include "rtp/rtcp.hpp"

namespace wab::rtp {
namespace {

constexpr std::size_t kSenderInfoSize = 20;

ReportBlock read_report_block(const std::uint8_t* p) {
  ReportBlock b;
  b.ssrc = load_be32(p);
  b.fraction_lost = p[4];
  const std::uint32_t raw = load_be32(p + 4) & 0xffffffu;
  // Sign-extend the 24-bit two's-complement value.
  b.cumulative_lost = (raw & 0x800000u) ? static_cast<std::int32_t>(raw) - 0x1000000
                                        : static_cast<std::int32_t>(raw);
  b.extended_highest_sequence = load_be32(p + 8);
  b.jitter = load_be32(p + 12);
  b.last_sr = load_be32(p + 16);
  b.delay_since_last_sr = load_be32(p + 20);
  return b;
}

std::string_view as_text(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

} // namespace

std::optional<std::uint32_t> RtcpPacketView::sender_ssrc() const {
  if (bytes_.size() < kRtcpHeaderSize + 4) return std::nullopt;
  return load_be32(bytes_.data() + kRtcpHeaderSize);
}

std::optional<RtcpPacketView> RtcpCompoundReader::next() {
  if (rest_.empty() || error_) return std::nullopt;
  const auto fail = [this]() -> std::optional<RtcpPacketView> {
    error_ = true;
    return std::nullopt;
  };
  if (rest_.size() < kRtcpHeaderSize) return fail();
  const std::uint8_t first = rest_[0];
  if ((first >> 6) != 2) return fail();
  const std::uint8_t type = rest_[1];
  if (type < 192 || type > 223) return fail();
  const std::size_t size = (std::size_t{load_be16(rest_.data() + 2)} + 1) * 4;
  if (size > rest_.size()) return fail();

  RtcpPacketView v;
  v.type_ = type;
  v.count_ = first & 0x1f;
  v.bytes_ = rest_.first(size);
  if (first & 0x20) {
    if (size != rest_.size()) return fail(); // padding only on the last packet
    const std::uint8_t pad = v.bytes_[size - 1];
    if (pad == 0 || pad > size - kRtcpHeaderSize) return fail();
    v.bytes_ = v.bytes_.first(size - pad);
  }
  rest_ = rest_.subspan(size);
  return v;
}

bool validate_rtcp_compound(Bytes compound) {
  RtcpCompoundReader reader(compound);
  std::size_t packets = 0;
  while (reader.next())
    ++packets;
  return packets > 0 && !reader.error();
}

// ---- SR / RR ---------------------------------------------------------------------------------

std::optional<SenderReportView> SenderReportView::parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != static_cast<std::uint8_t>(RtcpType::sender_report))
    return std::nullopt;
  const Bytes body = packet.body();
  const std::size_t blocks = packet.count();
  if (body.size() < 4 + kSenderInfoSize + blocks * kReportBlockSize) return std::nullopt;
  SenderReportView v;
  const std::uint8_t* p = body.data();
  v.info_.ssrc = load_be32(p);
  v.info_.ntp_timestamp = load_be64(p + 4);
  v.info_.rtp_timestamp = load_be32(p + 12);
  v.info_.packet_count = load_be32(p + 16);
  v.info_.octet_count = load_be32(p + 20);
  v.count_ = blocks;
  v.blocks_ = body.subspan(4 + kSenderInfoSize, blocks * kReportBlockSize);
  return v;
}

ReportBlock SenderReportView::report_block(std::size_t i) const {
  return read_report_block(blocks_.data() + i * kReportBlockSize);
}

std::optional<ReceiverReportView> ReceiverReportView::parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != static_cast<std::uint8_t>(RtcpType::receiver_report)) {
    return std::nullopt;
  }
  const Bytes body = packet.body();
  const std::size_t blocks = packet.count();
  if (body.size() < 4 + blocks * kReportBlockSize) return std::nullopt;
  ReceiverReportView v;
  v.ssrc_ = load_be32(body.data());
  v.count_ = blocks;
  v.blocks_ = body.subspan(4, blocks * kReportBlockSize);
  return v;
}

ReportBlock ReceiverReportView::report_block(std::size_t i) const {
  return read_report_block(blocks_.data() + i * kReportBlockSize);
}

// ---- BYE -------------------------------------------------------------------------------------

std::optional<ByeView> ByeView::parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != static_cast<std::uint8_t>(RtcpType::bye)) return std::nullopt;
  const Bytes body = packet.body();
  const std::size_t count = packet.count();
  if (body.size() < 4 * count) return std::nullopt;
  ByeView v;
  v.count_ = count;
  v.ssrcs_ = body.first(4 * count);
  const Bytes rest = body.subspan(4 * count);
  if (!rest.empty()) {
    const std::size_t len = rest[0];
    if (1 + len > rest.size()) return std::nullopt;
    v.reason_ = as_text(rest.subspan(1, len));
  }
  return v;
}

// ---- SDES ------------------------------------------------------------------------------------

std::optional<SdesReader> SdesReader::parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != static_cast<std::uint8_t>(RtcpType::source_description)) {
    return std::nullopt;
  }
  SdesReader reader;
  reader.body_ = packet.body();
  reader.chunks_left_ = packet.count();
  // Walk a copy once so that a reader we hand out is known to be well-formed.
  SdesReader probe = reader;
  while (probe.next()) {
  }
  if (probe.error_ || probe.chunks_left_ != 0 || probe.in_chunk_) return std::nullopt;
  return reader;
}

std::optional<SdesReader::Item> SdesReader::next() {
  const std::size_t size = body_.size();
  while (!error_) {
    if (!in_chunk_) {
      if (chunks_left_ == 0) return std::nullopt;
      if (offset_ + 4 > size) break;
      ssrc_ = load_be32(body_.data() + offset_);
      offset_ += 4;
      in_chunk_ = true;
      --chunks_left_;
    }
    if (offset_ >= size) break;
    const std::uint8_t type = body_[offset_];
    if (type == 0) {
      // End of item list: the next chunk starts on a 32-bit boundary.
      const std::size_t aligned = (offset_ + 1 + 3) & ~std::size_t{3};
      if (aligned > size) break;
      offset_ = aligned;
      in_chunk_ = false;
      continue;
    }
    if (offset_ + 2 > size) break;
    const std::size_t len = body_[offset_ + 1];
    if (offset_ + 2 + len > size) break;
    Item item{ssrc_, type, as_text(body_.subspan(offset_ + 2, len))};
    offset_ += 2 + len;
    return item;
  }
  error_ = true;
  return std::nullopt;
}

std::optional<SdesReader::Item> SdesReader::find_cname(const RtcpPacketView& packet) {
  auto reader = parse(packet);
  if (!reader) return std::nullopt;
  while (auto item = reader->next()) {
    if (item->type == kSdesCname) return item;
  }
  return std::nullopt;
}

// ---- feedback / APP --------------------------------------------------------------------------

std::optional<FeedbackView> FeedbackView::parse(const RtcpPacketView& packet) {
  const auto type = packet.packet_type();
  if (type != static_cast<std::uint8_t>(RtcpType::transport_feedback) &&
      type != static_cast<std::uint8_t>(RtcpType::payload_feedback)) {
    return std::nullopt;
  }
  const Bytes body = packet.body();
  if (body.size() < 8) return std::nullopt;
  FeedbackView v;
  v.format_ = packet.count();
  v.sender_ssrc_ = load_be32(body.data());
  v.media_ssrc_ = load_be32(body.data() + 4);
  v.fci_ = body.subspan(8);
  return v;
}

std::optional<AppView> AppView::parse(const RtcpPacketView& packet) {
  if (packet.packet_type() != static_cast<std::uint8_t>(RtcpType::app)) return std::nullopt;
  const Bytes body = packet.body();
  if (body.size() < 8) return std::nullopt;
  AppView v;
  v.subtype_ = packet.count();
  v.ssrc_ = load_be32(body.data());
  v.name_ = as_text(body.subspan(4, 4));
  v.data_ = body.subspan(8);
  return v;
}

} // namespace wab::rtp
