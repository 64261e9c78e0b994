#pragma once
// The per-packet cryptography of one SRTP direction on OpenSSL, given session keys and the
// packet index the caller worked out (ROC, replay state and header parsing live in SrtpSession):
//   AES_CM_128_HMAC_SHA1_80 (RFC 3711): AES-128 counter mode on the payload, HMAC-SHA1 over the
//     packet (RTP: plus the ROC), 80-bit tag; SRTCP adds E-bit + index before the tag.
//   AEAD_AES_128_GCM (RFC 7714): 12-byte IV from salt, SSRC and index, AAD = the clear header
//     (SRTCP: header + E-bit/index), 16-byte tag; SRTCP puts E-bit/index after the tag.
// Cipher and MAC contexts are keyed once here and reused: per packet only the IV changes.
// Nothing on the packet path throws or allocates (GCM and CTR re-initialised with only an IV do
// not allocate in OpenSSL 3.0; HMAC-SHA1 keeps precomputed SHA-1 states, see hmac_sha1.hpp).
#include "dtls/srtp_keying_material.hpp"
#include "srtp/hmac_sha1.hpp"
#include "srtp/openssl_handles.hpp"
#include "srtp/srtp_kdf.hpp"

#include <cstddef>
#include <cstdint>

namespace wab::srtp {

class SrtpTransform {
public:
  // `encrypt`: an outbound transform (protect_*) rather than an inbound one (unprotect_*).
  // Throws std::runtime_error if OpenSSL refuses the keys.
  SrtpTransform(dtls::SrtpProfile profile, const SessionKeys& keys, bool encrypt);

  std::size_t tag_length() const { return gcm_ ? 16 : 10; }

  // buf[0, len) is header_len bytes of header then the payload; the tag goes at buf[len].
  // Returns the protected length, 0 on an OpenSSL failure.
  std::size_t protect_rtp(std::uint8_t* buf, std::size_t len, std::size_t header_len,
                          std::uint32_t ssrc, std::uint64_t index) noexcept;
  // buf[0, len) is the protected packet. On success, decrypts in place and returns the plain
  // length; 0 if authentication fails.
  std::size_t unprotect_rtp(std::uint8_t* buf, std::size_t len, std::size_t header_len,
                            std::uint32_t ssrc, std::uint64_t index) noexcept;

  // buf[0, len) is a plain RTCP compound packet (len >= 8); appends E=1 and `index`, and the tag.
  std::size_t protect_rtcp(std::uint8_t* buf, std::size_t len, std::uint32_t ssrc,
                           std::uint32_t index) noexcept;
  // buf[0, len) is the protected packet with `index` and `encrypted` read from its trailer.
  std::size_t unprotect_rtcp(std::uint8_t* buf, std::size_t len, std::uint32_t ssrc,
                             std::uint32_t index, bool encrypted) noexcept;

private:
  bool ctr(EVP_CIPHER_CTX* ctx, const std::uint8_t* salt, std::uint32_t ssrc, std::uint64_t index,
           std::uint8_t* data, std::size_t n) noexcept;
  // Writes the 80-bit tag.
  static void hmac(const HmacSha1& mac, const std::uint8_t* data, std::size_t n,
                   const std::uint8_t* extra, std::size_t extra_n, std::uint8_t* tag) noexcept;
  bool gcm(EVP_CIPHER_CTX* ctx, const std::uint8_t* iv, const std::uint8_t* aad, std::size_t aad_n,
           const std::uint8_t* aad2, std::size_t aad2_n, std::uint8_t* data, std::size_t n,
           std::uint8_t* tag) noexcept;

  bool gcm_;
  bool encrypt_;
  std::uint8_t rtp_salt_[14];
  std::uint8_t rtcp_salt_[14];
  CipherCtxPtr rtp_cipher_;
  CipherCtxPtr rtcp_cipher_;
  HmacSha1 rtp_mac_; // AES-CM only
  HmacSha1 rtcp_mac_;
};

} // namespace wab::srtp
