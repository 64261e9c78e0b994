// Ogg Opus reader: any input either throws OggError or yields packets that lie inside the clip's
// buffer and have a valid duration. Each input is parsed twice: as is, and with every page's CRC
// recomputed, so mutations get past the checksum and reach the page and packet logic.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ogg/ogg_crc.hpp"
#include "ogg/ogg_opus_reader.hpp"

namespace {

void parse(wab::Bytes input) {
  using namespace wab;
  try {
    const auto clip = ogg::read_ogg_opus(input);
    for (const auto& p : clip.packets) {
      if (std::size_t{p.offset} + p.size > clip.data.size()) std::abort();
      if (p.samples == 0 || p.samples > 5760) std::abort();
    }
  } catch (const ogg::OggError&) {
  }
}

// Rewrites the CRC field of every complete page it can walk.
void repair_crcs(std::vector<std::uint8_t>& file) {
  std::size_t at = 0;
  while (at + 27 <= file.size() && std::memcmp(file.data() + at, "OggS", 4) == 0) {
    const std::size_t segments = file[at + 26];
    if (at + 27 + segments > file.size()) return;
    std::size_t size = 27 + segments;
    for (std::size_t i = 0; i < segments; ++i)
      size += file[at + 27 + i];
    if (at + size > file.size()) return;
    const std::uint32_t crc = wab::ogg::ogg_crc(wab::Bytes(file.data() + at, size));
    for (int i = 0; i < 4; ++i)
      file[at + 22 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    at += size;
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parse(wab::Bytes(data, size));
  std::vector<std::uint8_t> repaired(data, data + size);
  repair_crcs(repaired);
  parse(repaired);
  return 0;
}
