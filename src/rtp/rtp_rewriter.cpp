#include "rtp/rtp_rewriter.hpp"

#include <cstring>

#include "rtp/rtp_packet.hpp"

namespace wab::rtp {
namespace {

// The longest Opus packet is 120 ms (5760 units at 48 kHz); a bigger timestamp jump between
// consecutive sequence numbers is a DTX pause or a new timeline, not a packet duration.
constexpr std::uint32_t kMaxPlausibleStep = 5760;

} // namespace

RtpRewriter::RtpRewriter(std::uint32_t ssrc, std::uint32_t default_timestamp_step)
    : ssrc_(ssrc), step_(default_timestamp_step) {
  for (std::size_t i = 0; i < pt_map_.size(); ++i)
    pt_map_[i] = static_cast<std::uint8_t>(i);
}

void RtpRewriter::map_payload_type(std::uint8_t from, std::uint8_t to) {
  pt_map_[from & 0x7f] = to & 0x7f;
}

void RtpRewriter::insert_gap(std::uint32_t timestamp_units) {
  pending_gap_ += timestamp_units;
  rebase_pending_ = true;
}

void RtpRewriter::note_output(std::uint16_t seq, std::uint32_t ts, bool learn_step) {
  if (!started_) {
    started_ = true;
    last_seq_ = seq;
    last_ts_ = ts;
    return;
  }
  const auto seq_delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - last_seq_));
  if (seq_delta <= 0) return; // reordered or duplicate: not the new highest
  const std::uint32_t ts_delta = ts - last_ts_;
  if (learn_step && seq_delta == 1 && ts_delta != 0 && ts_delta <= kMaxPlausibleStep)
    step_ = ts_delta;
  last_seq_ = seq;
  last_ts_ = ts;
}

bool RtpRewriter::rewrite(MutableBytes packet, std::size_t& len) {
  if (len > packet.size()) return false;
  const auto view = RtpView::parse(Bytes(packet.data(), len));
  if (!view) return false;
  const RtpHeader& h = view->header();

  if (!started_) {
    // Keep the first source's numbering: nothing to be continuous with yet.
    seq_offset_ = 0;
    ts_offset_ = 0;
    rebase_pending_ = false;
    pending_gap_ = 0;
  }
  bool rebased = false;
  if (started_ && rebase_pending_) {
    rebased = true;
    seq_offset_ = static_cast<std::uint16_t>(last_seq_ + 1 - h.sequence);
    ts_offset_ = last_ts_ + step_ + pending_gap_ - h.timestamp;
    rebase_pending_ = false;
    pending_gap_ = 0;
  }
  const auto out_seq = static_cast<std::uint16_t>(h.sequence + seq_offset_);
  const std::uint32_t out_ts = h.timestamp + ts_offset_;

  std::uint8_t* p = packet.data();
  p[1] = static_cast<std::uint8_t>((p[1] & 0x80) | pt_map_[h.payload_type]);
  store_be16(p + 2, out_seq);
  store_be32(p + 4, out_ts);
  store_be32(p + 8, ssrc_);

  if (h.extension && strip_extensions_) {
    // Extension block = 4-byte header + body, right after the CSRCs; slide the rest over it.
    const std::size_t ext_start = kRtpFixedHeaderSize + 4u * h.csrc_count;
    const std::size_t ext_size = view->header_size() - ext_start;
    std::memmove(p + ext_start, p + view->header_size(), len - view->header_size());
    p[0] &= static_cast<std::uint8_t>(~0x10u);
    len -= ext_size;
    ++extensions_stripped_;
  }
  note_output(out_seq, out_ts, /*learn_step=*/!rebased);
  ++packets_rewritten_;
  return true;
}

RtpRewriter::Stamp RtpRewriter::next_inserted(std::uint32_t timestamp_step) {
  Stamp stamp{};
  if (!started_) {
    stamp = {0, 0};
  } else {
    stamp.sequence = static_cast<std::uint16_t>(last_seq_ + 1);
    stamp.timestamp = last_ts_ + step_ + pending_gap_;
  }
  pending_gap_ = 0;
  started_ = true;
  last_seq_ = stamp.sequence;
  last_ts_ = stamp.timestamp;
  if (timestamp_step != 0) step_ = timestamp_step;
  rebase_pending_ = true; // the source's own numbering no longer follows on
  return stamp;
}

std::size_t RtpRewriter::build_inserted(MutableBytes out, std::uint8_t payload_type, bool marker,
                                        Bytes payload, std::uint32_t timestamp_step) {
  const std::size_t size = kRtpFixedHeaderSize + payload.size();
  if (out.size() < size) return 0;
  const Stamp stamp = next_inserted(timestamp_step);
  std::uint8_t* p = out.data();
  p[0] = 0x80; // version 2, no padding, no extension, no CSRC
  p[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | (payload_type & 0x7f));
  store_be16(p + 2, stamp.sequence);
  store_be32(p + 4, stamp.timestamp);
  store_be32(p + 8, ssrc_);
  if (!payload.empty()) std::memcpy(p + kRtpFixedHeaderSize, payload.data(), payload.size());
  ++packets_rewritten_;
  return size;
}

std::optional<std::uint16_t> RtpRewriter::last_sequence() const {
  if (!started_) return std::nullopt;
  return last_seq_;
}

std::optional<std::uint32_t> RtpRewriter::last_timestamp() const {
  if (!started_) return std::nullopt;
  return last_ts_;
}

} // namespace wab::rtp
