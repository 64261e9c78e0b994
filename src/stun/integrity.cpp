#include "stun/integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>

namespace wab::stun {
namespace {

struct MacDeleter {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// Process-wide, immutable after first use: the fetched HMAC implementation. Fetching is the slow
// part of OpenSSL 3 MACs, so it is done once; function-local static init is thread-safe.
EVP_MAC* hmac_global() {
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) throw std::runtime_error("EVP_MAC_fetch(HMAC) failed");
  return mac.get();
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = make_crc_table();

} // namespace

struct IntegrityKey::Context {
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> mac;
};

IntegrityKey IntegrityKey::short_term(std::string_view password) {
  return IntegrityKey(
      Bytes(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()));
}

IntegrityKey IntegrityKey::long_term(std::string_view username, std::string_view realm,
                                     std::string_view password) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<std::uint8_t, 16> digest{};
  unsigned int len = 0;
  const auto update = [&](std::string_view s) {
    return EVP_DigestUpdate(md.get(), s.data(), s.size()) == 1;
  };
  if (!md || EVP_DigestInit_ex(md.get(), EVP_md5(), nullptr) != 1 || !update(username) ||
      !update(":") || !update(realm) || !update(":") || !update(password) ||
      EVP_DigestFinal_ex(md.get(), digest.data(), &len) != 1 || len != digest.size()) {
    throw std::runtime_error("MD5 for the STUN long-term key failed");
  }
  IntegrityKey key(Bytes(digest.data(), digest.size()));
  OPENSSL_cleanse(digest.data(), digest.size());
  return key;
}

IntegrityKey::IntegrityKey(Bytes key) : ctx_(std::make_unique<Context>()) {
  ctx_->mac.reset(EVP_MAC_CTX_new(hmac_global()));
  if (!ctx_->mac) throw std::runtime_error("EVP_MAC_CTX_new failed");
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* key_ptr = key.empty() ? &kEmpty : key.data();
  if (EVP_MAC_init(ctx_->mac.get(), key_ptr, key.size(), params) != 1) {
    throw std::runtime_error("EVP_MAC_init(HMAC-SHA1) failed");
  }
}

IntegrityKey::IntegrityKey(IntegrityKey&&) noexcept = default;
IntegrityKey& IntegrityKey::operator=(IntegrityKey&&) noexcept = default;
IntegrityKey::~IntegrityKey() = default;

IntegrityDigest IntegrityKey::compute(std::span<const Bytes> parts) const {
  IntegrityDigest out{};
  if (!ctx_) return out;
  EVP_MAC_CTX* c = ctx_->mac.get();
  // A null key re-initialises the HMAC state with the key set in the constructor.
  if (EVP_MAC_init(c, nullptr, 0, nullptr) != 1) return out;
  for (Bytes part : parts) {
    if (!part.empty() && EVP_MAC_update(c, part.data(), part.size()) != 1) return IntegrityDigest{};
  }
  std::size_t len = 0;
  if (EVP_MAC_final(c, out.data(), &len, out.size()) != 1 || len != out.size()) {
    return IntegrityDigest{};
  }
  return out;
}

std::uint32_t crc32(Bytes data, std::uint32_t crc) {
  crc = ~crc;
  for (std::uint8_t b : data)
    crc = kCrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

bool digests_equal(Bytes a, Bytes b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace wab::stun
