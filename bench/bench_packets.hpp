#pragma once
// Shared inputs for the micro-benchmarks: SRTP keys for both ends of a leg and an Opus-sized RTP
// packet, built the way a far end would send it.
#include <array>
#include <cstdint>
#include <cstring>

#include "common/bytes.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::bench {

// An Opus packet at 20 ms and ~32 kbit/s: 12-byte header, 80-byte payload.
constexpr std::size_t kOpusPayload = 80;
constexpr std::size_t kRtpLen = 12 + kOpusPayload;

struct LegKeys {
  dtls::SrtpKeyingMaterial far; // the far end's view (it protects with local_key)
  dtls::SrtpKeyingMaterial us;  // ours (we unprotect with remote_key)
};

inline LegKeys make_leg_keys(dtls::SrtpProfile profile, std::uint8_t seed) {
  LegKeys k;
  k.far.profile = k.us.profile = profile;
  for (std::size_t i = 0; i < k.far.local_key.size(); ++i) {
    k.far.local_key[i] = static_cast<std::uint8_t>(seed + i);
    k.far.remote_key[i] = static_cast<std::uint8_t>(seed + 0x80 + i);
  }
  for (std::size_t i = 0; i < k.far.local_salt.size(); ++i) {
    k.far.local_salt[i] = static_cast<std::uint8_t>(seed + 0x40 + i);
    k.far.remote_salt[i] = static_cast<std::uint8_t>(seed + 0xc0 + i);
  }
  k.us.local_key = k.far.remote_key;
  k.us.remote_key = k.far.local_key;
  k.us.local_salt = k.far.remote_salt;
  k.us.remote_salt = k.far.local_salt;
  return k;
}

// Room for the packet plus libsrtp's trailer contract.
using PacketBuffer = std::array<std::uint8_t, kRtpLen + srtp::kMaxTrailer>;

inline void write_rtp(std::uint8_t* p, std::uint16_t seq, std::uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = 111;
  store_be16(p + 2, seq);
  store_be32(p + 4, static_cast<std::uint32_t>(seq) * 960);
  store_be32(p + 8, ssrc);
  std::memset(p + 12, 0xab, kOpusPayload);
}

} // namespace wab::bench
