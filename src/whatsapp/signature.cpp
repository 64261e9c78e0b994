#include "whatsapp/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <optional>

namespace wab::whatsapp {
namespace {

constexpr std::size_t kDigestSize = 32;
using Digest = std::array<std::uint8_t, kDigestSize>;

std::optional<Digest> hmac_sha256(std::string_view key, std::string_view data) {
  // OpenSSL treats a null data pointer specially on some paths; always hand it a real address.
  static const unsigned char kEmpty = 0;
  const auto* data_ptr =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  Digest out{};
  unsigned int out_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data_ptr, data.size(),
           out.data(), &out_len) == nullptr ||
      out_len != kDigestSize) {
    return std::nullopt;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

} // namespace

bool verify_signature(std::string_view app_secret, std::string_view raw_body,
                      std::string_view header_value) {
  if (app_secret.empty()) return false;
  std::string_view value = trim(header_value);
  constexpr std::string_view kPrefix = "sha256=";
  if (!starts_with_ignoring_case(value, kPrefix)) return false;
  value.remove_prefix(kPrefix.size());
  if (value.size() != kDigestSize * 2) return false;

  Digest claimed{};
  for (std::size_t i = 0; i < kDigestSize; ++i) {
    const int hi = hex_value(value[2 * i]);
    const int lo = hex_value(value[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    claimed[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  const auto expected = hmac_sha256(app_secret, raw_body);
  if (!expected) return false;
  return CRYPTO_memcmp(claimed.data(), expected->data(), kDigestSize) == 0;
}

std::string sign_body(std::string_view app_secret, std::string_view raw_body) {
  if (app_secret.empty()) return {};
  const auto digest = hmac_sha256(app_secret, raw_body);
  if (!digest) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (std::uint8_t b : *digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

} // namespace wab::whatsapp
