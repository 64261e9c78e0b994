#pragma once
// HMAC-SHA1 (RFC 2104) with the keyed inner and outer SHA-1 states computed once, so a tag costs
// two state copies and the hashing, with no allocation. OpenSSL 3.0's EVP_MAC / EVP_MD
// re-initialisation duplicates the provider's digest context with a malloc on every call, which
// the SRTP packet path must not do; its low-level SHA1_* functions (deprecated, still shipped,
// SHA-NI accelerated) operate on a plain struct.
#include <openssl/sha.h>

#include <cstddef>
#include <cstdint>

namespace wab::srtp {

class HmacSha1 {
public:
  static constexpr std::size_t kDigestLength = 20;

  HmacSha1() = default;
  HmacSha1(const std::uint8_t* key, std::size_t key_len); // key_len <= 64
  ~HmacSha1();
  HmacSha1(const HmacSha1&) = delete;
  HmacSha1& operator=(const HmacSha1&) = delete;
  HmacSha1& operator=(HmacSha1&& other) noexcept;

  // HMAC over data || extra (extra may be null with extra_n 0), full 20-byte digest.
  void compute(const std::uint8_t* data, std::size_t n, const std::uint8_t* extra,
               std::size_t extra_n, std::uint8_t* digest) const noexcept;

private:
  SHA_CTX inner_{};
  SHA_CTX outer_{};
};

} // namespace wab::srtp
