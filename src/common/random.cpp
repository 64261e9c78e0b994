#include "common/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace wab {

void random_bytes(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
}

std::uint32_t random_u32() {
  std::uint8_t b[4];
  random_bytes(b);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

std::uint64_t random_u64() {
  return (std::uint64_t{random_u32()} << 32) | random_u32();
}

std::string random_ice_string(std::size_t length) {
  // Alphanumerics only: every peer and every SDP tool copes with them (62^22 > 2^128).
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(length, 'A');
  std::uint8_t buf[64];
  for (std::size_t i = 0; i < length; ++i) {
    if (i % sizeof buf == 0) random_bytes(buf);
    out[i] = kAlphabet[buf[i % sizeof buf] % 62];
  }
  return out;
}

} // namespace wab
