#pragma once
// Sliding replay window over packet indices (RFC 3711 §3.3.2): a bitmap of the last `window`
// indices below the highest one accepted. The bitmap lives in storage the owner allocated up
// front (SsrcTable), so checking and accepting never allocate.
#include <cstddef>
#include <cstdint>

namespace wab::srtp {

class ReplayWindow {
public:
  enum class Verdict : std::uint8_t { kFresh, kReplay, kTooOld };

  ReplayWindow() = default;
  // `words` must hold at least ceil(window / 64) words and outlive this object.
  ReplayWindow(std::uint64_t* words, std::size_t word_count, std::uint64_t window);

  // Whether `index` may be accepted; changes nothing.
  Verdict check(std::uint64_t index) const;
  // Records `index` (which check() called fresh) and slides the window if it is the newest.
  void accept(std::uint64_t index);

  bool empty() const { return empty_; }
  std::uint64_t top() const { return top_; }

private:
  bool test_bit(std::uint64_t index) const;
  void set_bit(std::uint64_t index, bool value);

  std::uint64_t* words_ = nullptr;
  std::uint64_t bits_ = 0; // word_count * 64 >= window, so the live indices never share a bit
  std::uint64_t window_ = 0;
  std::uint64_t top_ = 0;
  bool empty_ = true;
};

} // namespace wab::srtp
