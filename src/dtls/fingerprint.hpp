#pragma once
// Certificate fingerprints as SDP carries them (RFC 8122 a=fingerprint): "sha-256 AB:CD:...".
// Pure values; safe from any thread.
#include "common/bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wab::dtls {

enum class HashAlgorithm : std::uint8_t { kSha1, kSha256, kSha384, kSha512 };

// "sha-1", "sha-256", ... (the lower-case token RFC 8122 registers).
std::string_view hash_algorithm_name(HashAlgorithm algorithm);
// Case-insensitive: WhatsApp writes "sha-256", aiortc "SHA-256".
std::optional<HashAlgorithm> parse_hash_algorithm(std::string_view token);
std::size_t digest_length(HashAlgorithm algorithm);

class Fingerprint {
public:
  Fingerprint() = default;
  // `digest` must be digest_length(algorithm) bytes long; throws std::invalid_argument otherwise.
  Fingerprint(HashAlgorithm algorithm, Bytes digest);

  // Parses an a=fingerprint value: "<hash-func> <hex:hex:...>". Surrounding whitespace is
  // tolerated, hex may be either case; the digest length must match the algorithm.
  static std::optional<Fingerprint> parse(std::string_view sdp_value);

  HashAlgorithm algorithm() const { return algorithm_; }
  Bytes digest() const { return Bytes(digest_.data(), size_); }
  bool empty() const { return size_ == 0; }

  // "AB:CD:..." (upper-case hex, colon separated).
  std::string hex() const;
  // "sha-256 AB:CD:..." — the a=fingerprint value we put in our SDP.
  std::string to_sdp() const;

  friend bool operator==(const Fingerprint& a, const Fingerprint& b);

private:
  HashAlgorithm algorithm_ = HashAlgorithm::kSha256;
  std::array<std::uint8_t, 64> digest_{};
  std::size_t size_ = 0;
};

// Hash of a DER-encoded certificate with the named algorithm. Throws std::runtime_error if the
// digest cannot be computed (never for valid input).
Fingerprint compute_fingerprint(Bytes der_certificate, HashAlgorithm algorithm);

} // namespace wab::dtls
