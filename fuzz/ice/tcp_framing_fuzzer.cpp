// Feeds the RFC 4571 frame reader an arbitrary byte stream twice: once whole and once cut into
// chunks whose sizes come from the input itself. Both must yield the same frames (reassembly may
// not depend on how TCP happened to segment the stream), every frame must fit the maximum, and
// nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ice/tcp_framing.hpp"

using namespace wab;

namespace {

std::vector<std::string> read_all(std::vector<std::uint8_t> stream, const std::uint8_t* cuts,
                                  std::size_t cut_count) {
  ice::FrameReader reader;
  std::vector<std::string> frames;
  auto collect = [&](MutableBytes f) {
    if (f.empty() || f.size() > ice::kMaxFrameSize) std::abort();
    frames.emplace_back(reinterpret_cast<const char*>(f.data()), f.size());
  };
  std::size_t at = 0;
  for (std::size_t i = 0; at < stream.size(); ++i) {
    const std::size_t step = cut_count == 0 ? stream.size() : 1 + cuts[i % cut_count];
    const std::size_t n = std::min(step, stream.size() - at);
    reader.feed(MutableBytes(stream.data() + at, n), collect);
    at += n;
  }
  return frames;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // First byte: how many of the following bytes describe chunk sizes; the rest is the stream.
  const std::size_t cut_count = std::min<std::size_t>(data[0] % 16, size - 1);
  const std::uint8_t* cuts = data + 1;
  const std::vector<std::uint8_t> stream(data + 1 + cut_count, data + size);
  const auto whole = read_all(stream, nullptr, 0);
  const auto pieces = read_all(stream, cuts, cut_count);
  if (whole != pieces) std::abort();
  return 0;
}
