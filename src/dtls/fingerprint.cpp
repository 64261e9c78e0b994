#include "dtls/fingerprint.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace wab::dtls {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const EVP_MD* evp_digest(HashAlgorithm algorithm) {
  switch (algorithm) {
  case HashAlgorithm::kSha1: return EVP_sha1();
  case HashAlgorithm::kSha256: return EVP_sha256();
  case HashAlgorithm::kSha384: return EVP_sha384();
  case HashAlgorithm::kSha512: return EVP_sha512();
  }
  return nullptr;
}

} // namespace

std::string_view hash_algorithm_name(HashAlgorithm algorithm) {
  switch (algorithm) {
  case HashAlgorithm::kSha1: return "sha-1";
  case HashAlgorithm::kSha256: return "sha-256";
  case HashAlgorithm::kSha384: return "sha-384";
  case HashAlgorithm::kSha512: return "sha-512";
  }
  return "unknown";
}

std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view token) {
  for (HashAlgorithm a : {HashAlgorithm::kSha1, HashAlgorithm::kSha256, HashAlgorithm::kSha384,
                          HashAlgorithm::kSha512}) {
    std::string_view name = hash_algorithm_name(a);
    if (token.size() == name.size() &&
        std::equal(token.begin(), token.end(), name.begin(), [](char x, char y) {
          return std::tolower(static_cast<unsigned char>(x)) == y;
        })) {
      return a;
    }
  }
  return std::nullopt;
}

std::size_t digest_length(HashAlgorithm algorithm) {
  switch (algorithm) {
  case HashAlgorithm::kSha1: return 20;
  case HashAlgorithm::kSha256: return 32;
  case HashAlgorithm::kSha384: return 48;
  case HashAlgorithm::kSha512: return 64;
  }
  return 0;
}

Fingerprint::Fingerprint(HashAlgorithm algorithm, Bytes digest) : algorithm_(algorithm) {
  if (digest.size() != digest_length(algorithm)) {
    throw std::invalid_argument("fingerprint digest length does not match its algorithm");
  }
  std::copy(digest.begin(), digest.end(), digest_.begin());
  size_ = digest.size();
}

std::optional<Fingerprint> Fingerprint::parse(std::string_view sdp_value) {
  sdp_value = trim(sdp_value);
  const auto space = sdp_value.find_first_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;
  const auto algorithm = parse_hash_algorithm(sdp_value.substr(0, space));
  if (!algorithm) return std::nullopt;
  const std::string_view hex = trim(sdp_value.substr(space));

  // Exactly "XX" groups separated by single colons.
  const std::size_t n = digest_length(*algorithm);
  if (hex.size() != n * 3 - 1) return std::nullopt;
  std::array<std::uint8_t, 64> digest{};
  for (std::size_t i = 0; i < n; ++i) {
    const int hi = hex_value(hex[i * 3]);
    const int lo = hex_value(hex[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i + 1 < n && hex[i * 3 + 2] != ':') return std::nullopt;
    digest[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return Fingerprint(*algorithm, Bytes(digest.data(), n));
}

std::string Fingerprint::hex() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size_ * 3);
  for (std::size_t i = 0; i < size_; ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[digest_[i] >> 4]);
    out.push_back(kHex[digest_[i] & 0x0f]);
  }
  return out;
}

std::string Fingerprint::to_sdp() const {
  std::string out(hash_algorithm_name(algorithm_));
  out.push_back(' ');
  out += hex();
  return out;
}

bool operator==(const Fingerprint& a, const Fingerprint& b) {
  return a.algorithm_ == b.algorithm_ && a.size_ == b.size_ &&
         std::equal(a.digest_.begin(), a.digest_.begin() + a.size_, b.digest_.begin());
}

Fingerprint compute_fingerprint(Bytes der_certificate, HashAlgorithm algorithm) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(der_certificate.data(), der_certificate.size(), digest.data(), &length,
                 evp_digest(algorithm), nullptr) != 1) {
    throw std::runtime_error("certificate digest failed");
  }
  return Fingerprint(algorithm, Bytes(digest.data(), length));
}

} // namespace wab::dtls
