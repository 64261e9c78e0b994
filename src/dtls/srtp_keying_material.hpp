#pragma once
// The SRTP protection profiles we negotiate through use_srtp (RFC 5764, RFC 7714) and the keys a
// finished DTLS handshake exports for them. Plain values: no OpenSSL or libsrtp types here, so
// srtp/ can build its contexts from this without knowing about DTLS.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wab::dtls {

enum class SrtpProfile : std::uint8_t {
  kAes128CmSha1_80, // SRTP_AES128_CM_SHA1_80 (0x0001): the one every stack has (aiortc only this)
  kAeadAes128Gcm,   // SRTP_AEAD_AES_128_GCM (0x0007): preferred, cheaper per packet
};

// Which profiles we offer (client) or accept (server). Both is the default; tests and interop
// runs force one.
enum class SrtpProfileOffer : std::uint8_t { kGcmAndCm, kGcmOnly, kCmOnly };

constexpr std::size_t kMaxSrtpMasterKeyLength = 16;
constexpr std::size_t kMaxSrtpMasterSaltLength = 14;

constexpr std::size_t srtp_master_key_length(SrtpProfile) {
  return 16;
}
constexpr std::size_t srtp_master_salt_length(SrtpProfile p) {
  return p == SrtpProfile::kAeadAes128Gcm ? 12 : 14;
}
constexpr std::string_view srtp_profile_name(SrtpProfile p) {
  return p == SrtpProfile::kAeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
}

// Master keys and salts for one leg. "local" protects what we send, "remote" what we receive;
// which half of the exporter output is which depends on our DTLS role (RFC 5764 §4.2). Only the
// first srtp_master_*_length(profile) bytes of each array are meaningful.
struct SrtpKeyingMaterial {
  SrtpProfile profile = SrtpProfile::kAes128CmSha1_80;
  std::array<std::uint8_t, kMaxSrtpMasterKeyLength> local_key{};
  std::array<std::uint8_t, kMaxSrtpMasterSaltLength> local_salt{};
  std::array<std::uint8_t, kMaxSrtpMasterKeyLength> remote_key{};
  std::array<std::uint8_t, kMaxSrtpMasterSaltLength> remote_salt{};

  std::size_t key_length() const { return srtp_master_key_length(profile); }
  std::size_t salt_length() const { return srtp_master_salt_length(profile); }
};

} // namespace wab::dtls
