#include "srtp/srtp_transform.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <stdexcept>

namespace wab::srtp {
namespace {

constexpr std::size_t kGcmTag = 16;
constexpr std::size_t kHmacTag = 10;

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

void xor32(std::uint8_t* p, std::uint32_t v) {
  p[0] ^= static_cast<std::uint8_t>(v >> 24);
  p[1] ^= static_cast<std::uint8_t>(v >> 16);
  p[2] ^= static_cast<std::uint8_t>(v >> 8);
  p[3] ^= static_cast<std::uint8_t>(v);
}

// GCM IV for SRTP: (0x0000 || SSRC || ROC || SEQ) XOR salt (RFC 7714 §8.1); `index` is ROC || SEQ.
void rtp_gcm_iv(std::uint8_t (&iv)[12], const std::uint8_t* salt, std::uint32_t ssrc,
                std::uint64_t index) {
  std::memcpy(iv, salt, sizeof iv);
  xor32(iv + 2, ssrc);
  xor32(iv + 6, static_cast<std::uint32_t>(index >> 16));
  iv[10] ^= static_cast<std::uint8_t>(index >> 8);
  iv[11] ^= static_cast<std::uint8_t>(index);
}

// GCM IV for SRTCP: (0x0000 || SSRC || 0x0000 || 0 || index) XOR salt (RFC 7714 §9.1).
void rtcp_gcm_iv(std::uint8_t (&iv)[12], const std::uint8_t* salt, std::uint32_t ssrc,
                 std::uint32_t index) {
  std::memcpy(iv, salt, sizeof iv);
  xor32(iv + 2, ssrc);
  xor32(iv + 8, index);
}

CipherCtxPtr keyed_cipher(const EVP_CIPHER* cipher, const std::uint8_t* key, bool encrypt) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key, nullptr, encrypt ? 1 : 0) != 1) {
    throw std::runtime_error("SRTP: cipher setup failed");
  }
  return ctx;
}

} // namespace

SrtpTransform::SrtpTransform(dtls::SrtpProfile profile, const SessionKeys& keys, bool encrypt)
    : gcm_(profile == dtls::SrtpProfile::kAeadAes128Gcm), encrypt_(encrypt) {
  std::memcpy(rtp_salt_, keys.rtp_salt.data(), sizeof rtp_salt_);
  std::memcpy(rtcp_salt_, keys.rtcp_salt.data(), sizeof rtcp_salt_);
  if (gcm_) {
    rtp_cipher_ = keyed_cipher(EVP_aes_128_gcm(), keys.rtp_key.data(), encrypt);
    rtcp_cipher_ = keyed_cipher(EVP_aes_128_gcm(), keys.rtcp_key.data(), encrypt);
  } else {
    // Counter mode is its own inverse: both directions encrypt.
    rtp_cipher_ = keyed_cipher(EVP_aes_128_ctr(), keys.rtp_key.data(), true);
    rtcp_cipher_ = keyed_cipher(EVP_aes_128_ctr(), keys.rtcp_key.data(), true);
    rtp_mac_ = HmacSha1(keys.rtp_auth.data(), keys.rtp_auth.size());
    rtcp_mac_ = HmacSha1(keys.rtcp_auth.data(), keys.rtcp_auth.size());
  }
}

bool SrtpTransform::ctr(EVP_CIPHER_CTX* ctx, const std::uint8_t* salt, std::uint32_t ssrc,
                        std::uint64_t index, std::uint8_t* data, std::size_t n) noexcept {
  // IV = salt * 2^16 XOR SSRC * 2^64 XOR index * 2^16 (RFC 3711 §4.1.1).
  std::uint8_t iv[16];
  std::memcpy(iv, salt, 14);
  iv[14] = iv[15] = 0;
  xor32(iv + 4, ssrc);
  for (int i = 0; i < 6; ++i)
    iv[8 + i] ^= static_cast<std::uint8_t>(index >> (40 - 8 * i));
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv) != 1) return false;
  if (n == 0) return true;
  int out = 0;
  return EVP_EncryptUpdate(ctx, data, &out, data, static_cast<int>(n)) == 1 &&
         out == static_cast<int>(n);
}

void SrtpTransform::hmac(const HmacSha1& mac, const std::uint8_t* data, std::size_t n,
                         const std::uint8_t* extra, std::size_t extra_n,
                         std::uint8_t* tag) noexcept {
  std::uint8_t full[HmacSha1::kDigestLength];
  mac.compute(data, n, extra, extra_n, full);
  std::memcpy(tag, full, kHmacTag);
}

bool SrtpTransform::gcm(EVP_CIPHER_CTX* ctx, const std::uint8_t* iv, const std::uint8_t* aad,
                        std::size_t aad_n, const std::uint8_t* aad2, std::size_t aad2_n,
                        std::uint8_t* data, std::size_t n, std::uint8_t* tag) noexcept {
  const int enc = encrypt_ ? 1 : 0;
  int out = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, iv, enc) != 1) return false;
  if (!encrypt_ &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTag), tag) != 1) {
    return false;
  }
  if (aad_n > 0 && EVP_CipherUpdate(ctx, nullptr, &out, aad, static_cast<int>(aad_n)) != 1) {
    return false;
  }
  if (aad2_n > 0 && EVP_CipherUpdate(ctx, nullptr, &out, aad2, static_cast<int>(aad2_n)) != 1) {
    return false;
  }
  if (n > 0 && (EVP_CipherUpdate(ctx, data, &out, data, static_cast<int>(n)) != 1 ||
                out != static_cast<int>(n))) {
    return false;
  }
  std::uint8_t none[16];
  if (EVP_CipherFinal_ex(ctx, none, &out) != 1) return false; // decrypt: the tag check
  return !encrypt_ ||
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTag), tag) == 1;
}

std::size_t SrtpTransform::protect_rtp(std::uint8_t* buf, std::size_t len, std::size_t header_len,
                                       std::uint32_t ssrc, std::uint64_t index) noexcept {
  if (gcm_) {
    std::uint8_t iv[12];
    rtp_gcm_iv(iv, rtp_salt_, ssrc, index);
    if (!gcm(rtp_cipher_.get(), iv, buf, header_len, nullptr, 0, buf + header_len, len - header_len,
             buf + len)) {
      return 0;
    }
    return len + kGcmTag;
  }
  if (!ctr(rtp_cipher_.get(), rtp_salt_, ssrc, index, buf + header_len, len - header_len)) {
    return 0;
  }
  std::uint8_t roc_bytes[4];
  put32(roc_bytes, static_cast<std::uint32_t>(index >> 16)); // ROC
  hmac(rtp_mac_, buf, len, roc_bytes, sizeof roc_bytes, buf + len);
  return len + kHmacTag;
}

std::size_t SrtpTransform::unprotect_rtp(std::uint8_t* buf, std::size_t len, std::size_t header_len,
                                         std::uint32_t ssrc, std::uint64_t index) noexcept {
  if (gcm_) {
    const std::size_t n = len - kGcmTag;
    std::uint8_t iv[12];
    rtp_gcm_iv(iv, rtp_salt_, ssrc, index);
    if (!gcm(rtp_cipher_.get(), iv, buf, header_len, nullptr, 0, buf + header_len, n - header_len,
             buf + n)) {
      return 0;
    }
    return n;
  }
  const std::size_t n = len - kHmacTag;
  std::uint8_t roc_bytes[4];
  put32(roc_bytes, static_cast<std::uint32_t>(index >> 16)); // ROC
  std::uint8_t tag[kHmacTag];
  hmac(rtp_mac_, buf, n, roc_bytes, sizeof roc_bytes, tag);
  if (CRYPTO_memcmp(tag, buf + n, kHmacTag) != 0) return 0;
  if (!ctr(rtp_cipher_.get(), rtp_salt_, ssrc, index, buf + header_len, n - header_len)) return 0;
  return n;
}

std::size_t SrtpTransform::protect_rtcp(std::uint8_t* buf, std::size_t len, std::uint32_t ssrc,
                                        std::uint32_t index) noexcept {
  std::uint8_t word[4];
  put32(word, 0x80000000u | index); // E = 1: we always encrypt
  if (gcm_) {
    // AAD = header + E/index.
    std::uint8_t iv[12];
    rtcp_gcm_iv(iv, rtcp_salt_, ssrc, index);
    if (!gcm(rtcp_cipher_.get(), iv, buf, 8, word, 4, buf + 8, len - 8, buf + len)) return 0;
    std::memcpy(buf + len + kGcmTag, word, 4);
    return len + kGcmTag + 4;
  }
  if (!ctr(rtcp_cipher_.get(), rtcp_salt_, ssrc, index, buf + 8, len - 8)) return 0;
  std::memcpy(buf + len, word, 4);
  hmac(rtcp_mac_, buf, len + 4, nullptr, 0, buf + len + 4);
  return len + 4 + kHmacTag;
}

std::size_t SrtpTransform::unprotect_rtcp(std::uint8_t* buf, std::size_t len, std::uint32_t ssrc,
                                          std::uint32_t index, bool encrypted) noexcept {
  if (gcm_) {
    const std::size_t n = len - kGcmTag - 4;
    std::uint8_t word[4];
    std::memcpy(word, buf + len - 4, 4);
    std::uint8_t iv[12];
    rtcp_gcm_iv(iv, rtcp_salt_, ssrc, index);
    // Unencrypted SRTCP (E = 0) authenticates the whole packet as AAD (RFC 7714 §9.3).
    const bool ok = encrypted
                        ? gcm(rtcp_cipher_.get(), iv, buf, 8, word, 4, buf + 8, n - 8, buf + n)
                        : gcm(rtcp_cipher_.get(), iv, buf, n, word, 4, nullptr, 0, buf + n);
    return ok ? n : 0;
  }
  const std::size_t n = len - kHmacTag - 4;
  std::uint8_t tag[kHmacTag];
  hmac(rtcp_mac_, buf, len - kHmacTag, nullptr, 0, tag);
  if (CRYPTO_memcmp(tag, buf + len - kHmacTag, kHmacTag) != 0) return 0;
  if (encrypted && !ctr(rtcp_cipher_.get(), rtcp_salt_, ssrc, index, buf + 8, n - 8)) return 0;
  return n;
}

} // namespace wab::srtp
