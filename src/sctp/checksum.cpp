#include "sctp/checksum.hpp"

#include <array>

namespace wab::sctp {
namespace {

constexpr std::uint32_t kCastagnoliReflected = 0x82F63B78u;
constexpr std::size_t kChecksumOffset = 8;
constexpr std::size_t kChunkHeaderSize = 4;

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ ((crc & 1u) ? kCastagnoliReflected : 0u);
    table[i] = crc;
  }
  return table;
}

constexpr auto kTable = make_table();

// Running register without the final XOR, so the checksum field can be fed as zeros in between.
std::uint32_t crc32c_update(std::uint32_t reg, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    reg = (reg >> 8) ^ kTable[(reg ^ p[i]) & 0xFFu];
  return reg;
}

std::uint32_t packet_crc(Bytes packet) {
  static constexpr std::uint8_t kZeros[4] = {0, 0, 0, 0};
  std::uint32_t reg = 0xFFFFFFFFu;
  reg = crc32c_update(reg, packet.data(), kChecksumOffset);
  reg = crc32c_update(reg, kZeros, sizeof kZeros);
  reg = crc32c_update(reg, packet.data() + kSctpCommonHeaderSize,
                      packet.size() - kSctpCommonHeaderSize);
  return ~reg;
}

// RFC 9260 Appendix A: the reflected CRC goes on the wire least significant byte first.
std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

} // namespace

std::uint32_t crc32c(Bytes data) {
  return ~crc32c_update(0xFFFFFFFFu, data.data(), data.size());
}

std::optional<SctpCommonHeader> parse_sctp_common_header(Bytes packet) {
  if (packet.size() < kSctpCommonHeaderSize + kChunkHeaderSize) return std::nullopt;
  SctpCommonHeader header;
  header.source_port = load_be16(packet.data());
  header.destination_port = load_be16(packet.data() + 2);
  header.verification_tag = load_be32(packet.data() + 4);
  header.checksum = load_le32(packet.data() + kChecksumOffset);
  return header;
}

bool sctp_checksum_valid(Bytes packet) {
  if (packet.size() < kSctpCommonHeaderSize) return false;
  return packet_crc(packet) == load_le32(packet.data() + kChecksumOffset);
}

void write_sctp_checksum(MutableBytes packet) {
  if (packet.size() < kSctpCommonHeaderSize) return;
  const std::uint32_t crc = packet_crc(packet);
  std::uint8_t* p = packet.data() + kChecksumOffset;
  p[0] = static_cast<std::uint8_t>(crc);
  p[1] = static_cast<std::uint8_t>(crc >> 8);
  p[2] = static_cast<std::uint8_t>(crc >> 16);
  p[3] = static_cast<std::uint8_t>(crc >> 24);
}

} // namespace wab::sctp
