#pragma once
// Helpers shared by the SRTP tests: hex decoding, key material, packet builders.
#include "srtp/srtp_session.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace wab::srtp::testing {

inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == ' ') {
      --i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

// Keys for two ends of a leg: `a`'s local key is `b`'s remote key and the reverse.
struct KeyPair {
  SrtpKeyingMaterial a;
  SrtpKeyingMaterial b;
};

inline KeyPair make_key_pair(SrtpProfile profile) {
  KeyPair p;
  p.a.profile = p.b.profile = profile;
  for (std::size_t i = 0; i < p.a.local_key.size(); ++i) {
    p.a.local_key[i] = static_cast<std::uint8_t>(0x10 + i);
    p.a.remote_key[i] = static_cast<std::uint8_t>(0x80 + i);
  }
  for (std::size_t i = 0; i < p.a.salt_length(); ++i) {
    p.a.local_salt[i] = static_cast<std::uint8_t>(0x40 + i);
    p.a.remote_salt[i] = static_cast<std::uint8_t>(0xc0 + i);
  }
  p.b.local_key = p.a.remote_key;
  p.b.remote_key = p.a.local_key;
  p.b.local_salt = p.a.remote_salt;
  p.b.remote_salt = p.a.local_salt;
  return p;
}

// An RTP packet (Opus-like: PT 111) in a buffer with room for the trailer.
struct Packet {
  std::vector<std::uint8_t> buf;
  std::size_t len = 0;
  std::uint8_t* data() { return buf.data(); }
  std::vector<std::uint8_t> bytes() const { return {buf.begin(), buf.begin() + len}; }
};

inline Packet make_rtp(std::uint16_t seq, std::uint32_t ssrc = 0x11223344,
                       std::size_t payload = 160) {
  Packet p;
  p.len = 12 + payload;
  p.buf.assign(p.len + kMaxTrailer, 0);
  p.buf[0] = 0x80;
  p.buf[1] = 111;
  p.buf[2] = static_cast<std::uint8_t>(seq >> 8);
  p.buf[3] = static_cast<std::uint8_t>(seq);
  p.buf[4] = 0;
  p.buf[5] = 0;
  p.buf[6] = static_cast<std::uint8_t>(seq >> 4);
  p.buf[7] = static_cast<std::uint8_t>(seq << 4);
  for (int i = 0; i < 4; ++i)
    p.buf[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  for (std::size_t i = 0; i < payload; ++i)
    p.buf[12 + i] = static_cast<std::uint8_t>(i * 7);
  return p;
}

// An RTCP receiver report with one report block (32 bytes).
inline Packet make_rtcp(std::uint32_t ssrc = 0x11223344) {
  Packet p;
  p.len = 32;
  p.buf.assign(p.len + kMaxTrailer, 0);
  p.buf[0] = 0x81;
  p.buf[1] = 201;
  p.buf[3] = 7;
  for (int i = 0; i < 4; ++i)
    p.buf[4 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
  for (std::size_t i = 8; i < p.len; ++i)
    p.buf[i] = static_cast<std::uint8_t>(i);
  return p;
}

} // namespace wab::srtp::testing
