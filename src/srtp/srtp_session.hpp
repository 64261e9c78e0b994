#pragma once
// SRTP and SRTCP protection for one leg (RFC 3711, RFC 7714) on OpenSSL: an outbound transform
// keyed with our DTLS-exported key and an inbound one keyed with the peer's, accepting any SSRC.
// Both live as long as the session, so no cipher context is rebuilt per packet (only the IV
// changes), and the cost of a packet does not depend on how many sessions exist.
//
// Every packet function works in place on the caller's buffer, allocates nothing (per-SSRC state
// sits in fixed tables made with the session; an inbound SSRC takes a slot only once a packet
// from it authenticates), never throws, and returns false — counting why — for packets that are
// too short, fail authentication, are replays, or come from an SSRC beyond the table's capacity
// (kMaxSsrcsPerDirection; counted as other_failures). After a failed unprotect the buffer's
// contents are unspecified (GCM decrypts in place before the tag check); drop the packet.
//
// ROC: both ends estimate it per SSRC from the sequence numbers (RFC 3711 Appendix A), so a
// sender's jump of 2^15 or more at once is refused as a replay by receivers, as by libsrtp.
// SRTCP indexes start at 1 per SSRC; the SRTCP replay window is 128 (libsrtp's), the SRTP one
// SrtpConfig::replay_window.
//
// Owns: two SrtpTransform (OpenSSL contexts), two SsrcTable. Single thread: the worker that owns
// the leg.
#include "dtls/srtp_keying_material.hpp"
#include "srtp/srtp_transform.hpp"
#include "srtp/ssrc_table.hpp"

#include <cstddef>
#include <cstdint>

namespace wab::srtp {

using dtls::SrtpKeyingMaterial;
using dtls::SrtpProfile;

// Room a caller must leave after a packet it asks us to protect. Kept at libsrtp's contract
// (SRTP_MAX_TRAILER_LEN + 4), which callers size their buffers by, though our profiles add at
// most 20 bytes (srtp_overhead).
constexpr std::size_t kMaxTrailer = 148;

// Bytes protection actually adds for a profile: the auth tag, plus the E-bit/index word on RTCP.
constexpr std::size_t srtp_overhead(SrtpProfile profile, bool rtcp) {
  const std::size_t tag = profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10;
  return rtcp ? tag + 4 : tag;
}

struct SrtpConfig {
  // Packets this far behind the newest are refused as replays. Forwarded audio arrives mostly in
  // order; 1024 (libsrtp's default is 128) keeps reordering after a network hiccup from failing.
  std::size_t replay_window = 1024;
};

struct SrtpCounters {
  std::uint64_t protect_failures = 0;
  std::uint64_t too_short = 0;
  std::uint64_t auth_failures = 0;
  std::uint64_t replays = 0;
  std::uint64_t other_failures = 0;
};

class SrtpSession {
public:
  // Throws std::runtime_error if OpenSSL rejects the keys or the configuration is unusable.
  explicit SrtpSession(const SrtpKeyingMaterial& keys, SrtpConfig config = {});
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // `len` is the plain packet on entry and the protected one on exit; `capacity` is the buffer's
  // size and must be at least len + kMaxTrailer. Retransmitting the same sequence number is
  // allowed (forwarding may repeat a packet).
  bool protect_rtp(std::uint8_t* buf, std::size_t& len, std::size_t capacity);
  bool protect_rtcp(std::uint8_t* buf, std::size_t& len, std::size_t capacity);
  // `len` is the protected packet on entry and the plain one on exit.
  bool unprotect_rtp(std::uint8_t* buf, std::size_t& len);
  bool unprotect_rtcp(std::uint8_t* buf, std::size_t& len);

  SrtpProfile profile() const { return profile_; }
  const SrtpCounters& counters() const { return counters_; }

private:
  SrtpProfile profile_;
  SrtpTransform outbound_;
  SrtpTransform inbound_;
  SsrcTable sent_;     // ROC and SRTCP index per SSRC we send
  SsrcTable received_; // ROC estimate and replay windows per SSRC we receive
  SrtpCounters counters_;
};

} // namespace wab::srtp
