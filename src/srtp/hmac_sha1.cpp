// The low-level SHA-1 API is deprecated in OpenSSL 3 but is the only allocation-free way to
// reuse a keyed state there (see hmac_sha1.hpp).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "srtp/hmac_sha1.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <stdexcept>

namespace wab::srtp {

HmacSha1::HmacSha1(const std::uint8_t* key, std::size_t key_len) {
  if (key_len > SHA_CBLOCK) throw std::runtime_error("HMAC-SHA1 key longer than a block");
  std::uint8_t ipad[SHA_CBLOCK];
  std::uint8_t opad[SHA_CBLOCK];
  std::memset(ipad, 0x36, sizeof ipad);
  std::memset(opad, 0x5c, sizeof opad);
  for (std::size_t i = 0; i < key_len; ++i) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  if (SHA1_Init(&inner_) != 1 || SHA1_Update(&inner_, ipad, sizeof ipad) != 1 ||
      SHA1_Init(&outer_) != 1 || SHA1_Update(&outer_, opad, sizeof opad) != 1) {
    throw std::runtime_error("SHA-1 unavailable");
  }
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
}

HmacSha1::~HmacSha1() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

HmacSha1& HmacSha1::operator=(HmacSha1&& other) noexcept {
  inner_ = other.inner_;
  outer_ = other.outer_;
  return *this;
}

void HmacSha1::compute(const std::uint8_t* data, std::size_t n, const std::uint8_t* extra,
                       std::size_t extra_n, std::uint8_t* digest) const noexcept {
  SHA_CTX c = inner_;
  SHA1_Update(&c, data, n);
  if (extra_n > 0) SHA1_Update(&c, extra, extra_n);
  std::uint8_t inner_digest[kDigestLength];
  SHA1_Final(inner_digest, &c);
  c = outer_;
  SHA1_Update(&c, inner_digest, sizeof inner_digest);
  SHA1_Final(digest, &c);
}

} // namespace wab::srtp
