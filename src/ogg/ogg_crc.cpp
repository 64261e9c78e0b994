#include "ogg/ogg_crc.hpp"

#include <array>

namespace wab::ogg {
namespace {

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t r = i << 24;
    for (int bit = 0; bit < 8; ++bit)
      r = (r & 0x80000000u) != 0 ? (r << 1) ^ 0x04C11DB7u : r << 1;
    table[i] = r;
  }
  return table;
}

constexpr auto kTable = make_table();

} // namespace

std::uint32_t ogg_crc(Bytes page) {
  std::uint32_t crc = 0;
  for (std::size_t i = 0; i < page.size(); ++i) {
    // Bytes 22..25 hold the checksum itself and count as zero.
    const std::uint8_t byte = (i >= 22 && i < 26) ? 0 : page[i];
    crc = (crc << 8) ^ kTable[((crc >> 24) ^ byte) & 0xff];
  }
  return crc;
}

} // namespace wab::ogg
