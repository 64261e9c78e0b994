#pragma once
// SRTP and SRTCP protection for one leg (RFC 3711, RFC 7714) on libsrtp: an outbound context
// keyed with our DTLS-exported key and an inbound one keyed with the peer's, accepting any SSRC.
// Both live as long as the session, so no cipher context is rebuilt per packet.
//
// Every packet function works in place on the caller's buffer, allocates nothing (libsrtp clones
// a stream once per new SSRC, and only after the first packet from it authenticates), never
// throws, and returns false — counting why — for packets that are too short, fail
// authentication or are replays.
//
// Owns: two srtp_t. Single thread: the worker that owns the leg.
#include "dtls/srtp_keying_material.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

struct srtp_ctx_t_;

namespace wab::srtp {

using dtls::SrtpKeyingMaterial;
using dtls::SrtpProfile;

// Room a caller must leave after a packet it asks us to protect. libsrtp's contract
// (SRTP_MAX_TRAILER_LEN + 4) rather than the bytes our profiles add, which is far less.
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
  // Throws std::runtime_error if libsrtp rejects the keys or the configuration.
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
  struct SrtpDeleter {
    void operator()(srtp_ctx_t_* p) const;
  };
  using SrtpPtr = std::unique_ptr<srtp_ctx_t_, SrtpDeleter>;

  bool count_unprotect_failure(int status);

  SrtpProfile profile_;
  SrtpPtr outbound_;
  SrtpPtr inbound_;
  SrtpCounters counters_;
};

} // namespace wab::srtp
