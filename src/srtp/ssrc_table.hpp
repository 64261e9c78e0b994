#pragma once
// Per-SSRC SRTP state for one direction of a session: RTP rollover counter and highest index,
// SRTCP index, and (inbound) the replay windows. A fixed number of slots, allocated with the
// session: a leg carries a handful of SSRCs, and a packet must never allocate. A new SSRC beyond
// the capacity is refused by the caller.
#include "srtp/replay_window.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wab::srtp {

// Slots per direction. A WhatsApp or OpenAI leg uses one audio SSRC each way plus perhaps a
// receiver-only RTCP SSRC; 8 leaves room for a peer that restarts its stream a few times.
constexpr std::size_t kMaxSsrcsPerDirection = 8;
// SRTCP replay window (libsrtp's fixed size): RTCP is a few packets a second.
constexpr std::size_t kRtcpReplayWindow = 128;

struct SsrcState {
  std::uint32_t ssrc = 0;
  bool rtp_seen = false;       // outbound: rtp_top is valid
  std::uint64_t rtp_top = 0;   // outbound: highest RTP index sent (ROC << 16 | SEQ)
  std::uint32_t rtcp_sent = 0; // outbound: last SRTCP index used
  ReplayWindow rtp_window;     // inbound: its top() is the highest RTP index received
  ReplayWindow rtcp_window;    // inbound
};

class SsrcTable {
public:
  // `rtp_window` 0: no replay windows (an outbound table).
  explicit SsrcTable(std::size_t rtp_window);

  SsrcState* find(std::uint32_t ssrc);
  // A fresh slot for `ssrc`, or nullptr when all are taken.
  SsrcState* insert(std::uint32_t ssrc);
  bool full() const { return used_ == kMaxSsrcsPerDirection; }

private:
  SsrcState slots_[kMaxSsrcsPerDirection];
  std::size_t used_ = 0;
  std::size_t last_ = 0; // the slot found last: most packets hit the same SSRC again
  std::unique_ptr<std::uint64_t[]> bitmaps_;
  std::size_t rtp_words_ = 0;
  std::size_t rtp_window_ = 0;
};

} // namespace wab::srtp
