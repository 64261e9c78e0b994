#pragma once
// SRTP key derivation (RFC 3711 §4.3, AES-CM PRF, key derivation rate 0), used for both profiles:
// RFC 7714 §11 keeps it for AES-GCM, with the 12-byte master salt zero-padded to 14 bytes.
#include "dtls/srtp_keying_material.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace wab::srtp {

// Session keys for one direction. Salts are 14 bytes for AES-CM and 12 (the first 12 here) for
// AES-GCM; the auth keys are used by HMAC-SHA1 only.
struct SessionKeys {
  std::array<std::uint8_t, 16> rtp_key{};
  std::array<std::uint8_t, 14> rtp_salt{};
  std::array<std::uint8_t, 20> rtp_auth{};
  std::array<std::uint8_t, 16> rtcp_key{};
  std::array<std::uint8_t, 14> rtcp_salt{};
  std::array<std::uint8_t, 20> rtcp_auth{};
  ~SessionKeys();
};

// RFC 3711 labels.
enum class KdfLabel : std::uint8_t {
  kRtpEncryption = 0,
  kRtpAuth = 1,
  kRtpSalt = 2,
  kRtcpEncryption = 3,
  kRtcpAuth = 4,
  kRtcpSalt = 5,
};

// Writes `out_len` bytes of the PRF for `label`: AES-128-CM keyed with the master key, IV =
// (label << 48 XOR master salt) * 2^16. `master_salt_len` is 14 or 12 (zero-padded). Throws
// std::runtime_error if OpenSSL fails.
void srtp_kdf(const std::uint8_t* master_key, const std::uint8_t* master_salt,
              std::size_t master_salt_len, KdfLabel label, std::uint8_t* out, std::size_t out_len);

SessionKeys derive_session_keys(const std::uint8_t* master_key, const std::uint8_t* master_salt,
                                std::size_t master_salt_len);

} // namespace wab::srtp
