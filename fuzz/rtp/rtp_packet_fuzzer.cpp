// RTP parser, then rewrite (with extension stripping) on a copy and re-parse the result.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "rtp/rtp_packet.hpp"
#include "rtp/rtp_rewriter.hpp"
#include "rtp/telephone_event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wab;
  using namespace wab::rtp;
  const Bytes input(data, size);
  (void)is_rtcp(input);
  const auto view = RtpView::parse(input);
  if (!view) return 0;
  // Every span must lie inside the input.
  const auto inside = [&](Bytes b) {
    if (b.empty()) return;
    if (b.data() < data || b.data() + b.size() > data + size) std::abort();
  };
  inside(view->payload());
  inside(view->extension_data());
  if (view->header_size() + view->payload().size() + view->padding_size() != size) std::abort();
  (void)parse_telephone_event(view->payload());

  std::array<std::uint8_t, 2048> copy{};
  if (size > copy.size()) return 0;
  std::memcpy(copy.data(), data, size);
  std::size_t len = size;
  RtpRewriter rewriter(0x01020304);
  rewriter.map_payload_type(view->header().payload_type, 96);
  if (!rewriter.rewrite(copy, len)) std::abort(); // parse succeeded, so rewrite must too
  const auto out = RtpView::parse(wab::Bytes(copy.data(), len));
  if (!out || out->header().extension || out->header().ssrc != 0x01020304u ||
      out->header().payload_type != 96 || out->header().marker != view->header().marker) {
    std::abort();
  }
  const auto in_payload = view->payload();
  const auto out_payload = out->payload();
  if (in_payload.size() != out_payload.size() ||
      (!in_payload.empty() &&
       std::memcmp(in_payload.data(), out_payload.data(), in_payload.size()) != 0)) {
    std::abort();
  }
  rewriter.on_source_switch();
  std::memcpy(copy.data(), data, size);
  len = size;
  (void)rewriter.rewrite(copy, len);
  return 0;
}
