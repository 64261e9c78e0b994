#include "srtp/ssrc_table.hpp"

namespace wab::srtp {
namespace {
constexpr std::size_t kRtcpWords = (kRtcpReplayWindow + 63) / 64;
} // namespace

SsrcTable::SsrcTable(std::size_t rtp_window)
    : rtp_words_((rtp_window + 63) / 64), rtp_window_(rtp_window) {
  if (rtp_window_ > 0) {
    bitmaps_ = std::make_unique<std::uint64_t[]>(kMaxSsrcsPerDirection * (rtp_words_ + kRtcpWords));
  }
}

SsrcState* SsrcTable::find(std::uint32_t ssrc) {
  if (used_ > 0 && slots_[last_].ssrc == ssrc) return &slots_[last_];
  for (std::size_t i = 0; i < used_; ++i) {
    if (slots_[i].ssrc == ssrc) {
      last_ = i;
      return &slots_[i];
    }
  }
  return nullptr;
}

SsrcState* SsrcTable::insert(std::uint32_t ssrc) {
  if (full()) return nullptr;
  const std::size_t i = used_++;
  SsrcState& s = slots_[i];
  s = SsrcState{};
  s.ssrc = ssrc;
  if (bitmaps_) {
    std::uint64_t* base = bitmaps_.get() + i * (rtp_words_ + kRtcpWords);
    s.rtp_window = ReplayWindow(base, rtp_words_, rtp_window_);
    s.rtcp_window = ReplayWindow(base + rtp_words_, kRtcpWords, kRtcpReplayWindow);
  }
  last_ = i;
  return &s;
}

} // namespace wab::srtp
