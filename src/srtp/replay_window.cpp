#include "srtp/replay_window.hpp"

#include <cstring>

namespace wab::srtp {

ReplayWindow::ReplayWindow(std::uint64_t* words, std::size_t word_count, std::uint64_t window)
    : words_(words), bits_(static_cast<std::uint64_t>(word_count) * 64), window_(window) {
  std::memset(words_, 0, word_count * sizeof *words_);
}

bool ReplayWindow::test_bit(std::uint64_t index) const {
  const std::uint64_t bit = index % bits_;
  return (words_[bit / 64] >> (bit % 64)) & 1;
}

void ReplayWindow::set_bit(std::uint64_t index, bool value) {
  const std::uint64_t bit = index % bits_;
  const std::uint64_t mask = std::uint64_t{1} << (bit % 64);
  if (value) {
    words_[bit / 64] |= mask;
  } else {
    words_[bit / 64] &= ~mask;
  }
}

ReplayWindow::Verdict ReplayWindow::check(std::uint64_t index) const {
  if (empty_ || index > top_) return Verdict::kFresh;
  if (top_ - index >= window_) return Verdict::kTooOld;
  return test_bit(index) ? Verdict::kReplay : Verdict::kFresh;
}

void ReplayWindow::accept(std::uint64_t index) {
  if (empty_) {
    std::memset(words_, 0, static_cast<std::size_t>(bits_ / 8));
    empty_ = false;
    top_ = index;
  } else if (index > top_) {
    // Indices between the old top and the new one were never seen: clear their stale bits.
    if (index - top_ >= bits_) {
      std::memset(words_, 0, static_cast<std::size_t>(bits_ / 8));
    } else {
      for (std::uint64_t i = top_ + 1; i < index; ++i)
        set_bit(i, false);
    }
    top_ = index;
  }
  set_bit(index, true);
}

} // namespace wab::srtp
