#pragma once
// Cryptographically strong random values (OpenSSL RAND_bytes) for ICE credentials, tie-breakers,
// SSRCs and transaction ids. Safe from any thread.
#include <cstdint>
#include <span>
#include <string>

namespace wab {

void random_bytes(std::span<std::uint8_t> out);
std::uint32_t random_u32();
std::uint64_t random_u64();
// `length` alphanumeric characters (a subset of RFC 8839 ice-char).
std::string random_ice_string(std::size_t length);

} // namespace wab
