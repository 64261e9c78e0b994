#include "srtp/srtp_session.hpp"

#include "srtp/srtp_kdf.hpp"

#include <stdexcept>

namespace wab::srtp {
namespace {

constexpr std::size_t kRtpHeader = 12;
constexpr std::size_t kRtcpHeader = 8;

static_assert(kMaxTrailer >= 20, "room for the largest trailer: GCM tag + SRTCP index");

// OpenSSL takes int lengths; no datagram comes near this.
constexpr std::size_t kMaxPacket = 1 << 20;

std::uint32_t read32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

// Length of the RTP header including CSRCs and the extension, or 0 if it does not fit in `len`.
std::size_t rtp_header_length(const std::uint8_t* p, std::size_t len) {
  std::size_t n = kRtpHeader + 4 * std::size_t{p[0] & 0x0fu};
  if (p[0] & 0x10) {
    if (n + 4 > len) return 0;
    n += 4 + 4 * (std::size_t{p[n + 2]} << 8 | p[n + 3]);
  }
  return n <= len ? n : 0;
}

// RFC 3711 Appendix A: the index of `seq` given the highest index seen so far (ROC << 16 | s_l).
// False if the guess falls before index 0 or beyond the 48-bit index space.
bool estimate_index(std::uint64_t top, std::uint16_t seq, std::uint64_t& index) {
  const std::int64_t roc = static_cast<std::int64_t>(top >> 16);
  const int s_l = static_cast<int>(top & 0xffff);
  std::int64_t v = roc;
  if (s_l < 32768) {
    if (seq - s_l > 32768) v = roc - 1;
  } else if (s_l - 32768 > seq) {
    v = roc + 1;
  }
  if (v < 0 || v > 0xffffffff) return false;
  index = static_cast<std::uint64_t>(v) << 16 | seq;
  return true;
}

SessionKeys session_keys(const std::uint8_t* key, const std::uint8_t* salt, std::size_t salt_len) {
  return derive_session_keys(key, salt, salt_len);
}

std::size_t checked_window(const SrtpConfig& config) {
  if (config.replay_window < 64 || config.replay_window >= 0x8000) {
    throw std::runtime_error("SRTP replay window must be in [64, 32768)");
  }
  return config.replay_window;
}

} // namespace

SrtpSession::SrtpSession(const SrtpKeyingMaterial& keys, SrtpConfig config)
    : profile_(keys.profile),
      outbound_(keys.profile,
                session_keys(keys.local_key.data(), keys.local_salt.data(), keys.salt_length()),
                true),
      inbound_(keys.profile,
               session_keys(keys.remote_key.data(), keys.remote_salt.data(), keys.salt_length()),
               false),
      sent_(0), received_(checked_window(config)) {}

SrtpSession::~SrtpSession() = default;

bool SrtpSession::protect_rtp(std::uint8_t* buf, std::size_t& len, std::size_t capacity) {
  const std::size_t header_len =
      len >= kRtpHeader && len <= kMaxPacket ? rtp_header_length(buf, len) : 0;
  if (header_len == 0 || capacity < len + kMaxTrailer) {
    ++counters_.protect_failures;
    return false;
  }
  const std::uint32_t ssrc = read32(buf + 8);
  const auto seq = static_cast<std::uint16_t>(buf[2] << 8 | buf[3]);
  SsrcState* s = sent_.find(ssrc);
  if (s == nullptr) s = sent_.insert(ssrc);
  if (s == nullptr) {
    ++counters_.protect_failures;
    return false;
  }
  // The sender keeps its own ROC the same way a receiver estimates one; a repeated or late
  // sequence number is protected with the index it had (forwarding may repeat a packet).
  std::uint64_t index = seq;
  if (s->rtp_seen && !estimate_index(s->rtp_top, seq, index)) index = seq;
  if (!s->rtp_seen || index > s->rtp_top) {
    s->rtp_top = index;
    s->rtp_seen = true;
  }
  const std::size_t out = outbound_.protect_rtp(buf, len, header_len, ssrc, index);
  if (out == 0) {
    ++counters_.protect_failures;
    return false;
  }
  len = out;
  return true;
}

bool SrtpSession::protect_rtcp(std::uint8_t* buf, std::size_t& len, std::size_t capacity) {
  if (len < kRtcpHeader || len > kMaxPacket || capacity < len + kMaxTrailer) {
    ++counters_.protect_failures;
    return false;
  }
  const std::uint32_t ssrc = read32(buf + 4);
  SsrcState* s = sent_.find(ssrc);
  if (s == nullptr) s = sent_.insert(ssrc);
  if (s == nullptr || s->rtcp_sent >= 0x7fffffffu) { // the 31-bit index would wrap: rekey
    ++counters_.protect_failures;
    return false;
  }
  const std::uint32_t index = ++s->rtcp_sent; // the first SRTCP index is 1, as libsrtp's
  const std::size_t out = outbound_.protect_rtcp(buf, len, ssrc, index);
  if (out == 0) {
    ++counters_.protect_failures;
    return false;
  }
  len = out;
  return true;
}

bool SrtpSession::unprotect_rtp(std::uint8_t* buf, std::size_t& len) {
  const std::size_t tag = inbound_.tag_length();
  if (len < kRtpHeader + tag || len > kMaxPacket) {
    ++counters_.too_short; // or absurdly long
    return false;
  }
  const std::size_t header_len = rtp_header_length(buf, len - tag);
  if (header_len == 0) {
    ++counters_.too_short; // CSRCs or extension longer than the packet
    return false;
  }
  const std::uint32_t ssrc = read32(buf + 8);
  const auto seq = static_cast<std::uint16_t>(buf[2] << 8 | buf[3]);
  SsrcState* s = received_.find(ssrc);
  std::uint64_t index = seq; // a new SSRC starts with ROC 0
  if (s != nullptr && !s->rtp_window.empty()) {
    if (!estimate_index(s->rtp_window.top(), seq, index) ||
        s->rtp_window.check(index) != ReplayWindow::Verdict::kFresh) {
      ++counters_.replays;
      return false;
    }
  } else if (s == nullptr && received_.full()) {
    ++counters_.other_failures;
    return false;
  }
  const std::size_t out = inbound_.unprotect_rtp(buf, len, header_len, ssrc, index);
  if (out == 0) {
    ++counters_.auth_failures;
    return false;
  }
  if (s == nullptr) s = received_.insert(ssrc); // only now: forgeries take no slot
  s->rtp_window.accept(index);
  len = out;
  return true;
}

bool SrtpSession::unprotect_rtcp(std::uint8_t* buf, std::size_t& len) {
  const std::size_t tag = inbound_.tag_length();
  if (len < kRtcpHeader + tag + 4 || len > kMaxPacket) {
    ++counters_.too_short; // or absurdly long
    return false;
  }
  // E-bit and index: before the tag for AES-CM, after it for GCM.
  const std::uint32_t word =
      read32(profile_ == SrtpProfile::kAeadAes128Gcm ? buf + len - 4 : buf + len - tag - 4);
  const bool encrypted = word & 0x80000000u;
  const std::uint32_t index = word & 0x7fffffffu;
  const std::uint32_t ssrc = read32(buf + 4);
  SsrcState* s = received_.find(ssrc);
  if (s != nullptr) {
    if (s->rtcp_window.check(index) != ReplayWindow::Verdict::kFresh) {
      ++counters_.replays;
      return false;
    }
  } else if (received_.full()) {
    ++counters_.other_failures;
    return false;
  }
  const std::size_t out = inbound_.unprotect_rtcp(buf, len, ssrc, index, encrypted);
  if (out == 0) {
    ++counters_.auth_failures;
    return false;
  }
  if (s == nullptr) s = received_.insert(ssrc);
  s->rtcp_window.accept(index);
  len = out;
  return true;
}

} // namespace wab::srtp
