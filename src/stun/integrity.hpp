#pragma once
// MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and FINGERPRINT (CRC-32, §14.7) primitives.
//
// IntegrityKey owns one OpenSSL HMAC context keyed once, so each message costs one re-init and
// no algorithm fetch. It is owned by one thread (compute() reuses the context).
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/bytes.hpp"
#include "stun/constants.hpp"

namespace wab::stun {

using IntegrityDigest = std::array<std::uint8_t, kIntegritySize>;

class IntegrityKey {
public:
  // Short-term credentials (ICE): the key is the password itself. ICE passwords are ice-chars
  // (ASCII), for which SASLprep is the identity, so no normalisation is done here.
  static IntegrityKey short_term(std::string_view password);
  // Long-term credentials (RFC 8489 §9.2.2, TURN): the key is MD5(username ":" realm ":"
  // password). The strings are used as given (no SASLprep: ASCII credentials are expected).
  static IntegrityKey long_term(std::string_view username, std::string_view realm,
                                std::string_view password);
  // A raw key.
  explicit IntegrityKey(Bytes key);

  IntegrityKey(IntegrityKey&&) noexcept;
  IntegrityKey& operator=(IntegrityKey&&) noexcept;
  IntegrityKey(const IntegrityKey&) = delete;
  IntegrityKey& operator=(const IntegrityKey&) = delete;
  ~IntegrityKey();

  // HMAC-SHA1 over the concatenation of `parts`. Never throws (returns zeros on an OpenSSL failure,
  // which then fails every comparison).
  IntegrityDigest compute(std::span<const Bytes> parts) const;

private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

// Plain CRC-32 (ISO-HDLC, as in zlib) over `data`, continuing from `crc` (start with 0).
std::uint32_t crc32(Bytes data, std::uint32_t crc = 0);

// Constant-time comparison for digests.
bool digests_equal(Bytes a, Bytes b);

} // namespace wab::stun
