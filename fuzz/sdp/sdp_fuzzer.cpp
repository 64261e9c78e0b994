// Arbitrary text → parser; whatever parses goes through the writer (whose output must parse back
// to text that writes identically), the negotiation helpers and every answer builder.
#include "sdp/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

const wab::sdp::LocalParameters& local() {
  static const wab::sdp::LocalParameters params = [] {
    wab::sdp::LocalParameters p;
    p.ice_ufrag = "fuzz";
    p.ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
    p.fingerprint = "sha-256 01:23:45:67:89:AB:CD:EF";
    p.candidates = {"1 1 udp 2130706431 192.0.2.1 40000 typ host"};
    p.audio_ssrc = 1;
    p.cname = "fuzz";
    p.msid_stream = "s";
    p.msid_track = "t";
    return p;
  }();
  return params;
}

// The writer may grow a description a little (CRLF for LF, o/s/t lines it adds), so our own
// output is re-read with room to spare.
constexpr wab::sdp::ParseLimits kRoomy{256 * 1024, 8192, 64};

void check_answer(const wab::sdp::SessionDescription& answer) {
  // Our own output must always be acceptable to our own parser.
  if (!wab::sdp::try_parse(wab::sdp::write(answer), nullptr, kRoomy)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto sd = wab::sdp::try_parse(text);
  if (!sd) return 0;

  const std::string written = wab::sdp::write(*sd);
  const auto reparsed = wab::sdp::try_parse(written, nullptr, kRoomy);
  if (!reparsed || wab::sdp::write(*reparsed) != written) __builtin_trap();

  (void)wab::sdp::negotiated_opus(*sd);
  (void)wab::sdp::telephone_event_pt(*sd);
  (void)wab::sdp::remote_max_message_size(*sd);
  (void)wab::sdp::remote_sctp_port(*sd);
  (void)wab::sdp::dtls_role_from_answer(*sd);
  (void)wab::sdp::dtls_role_from_offer(*sd);
  (void)sd->effective_ice_credentials();
  (void)sd->effective_fingerprint();

  if (const auto opus = wab::sdp::negotiated_opus(*sd)) {
    check_answer(wab::sdp::offer_for_openai(local(), {opus->payload_type, true, 262144}));
  }
  try {
    check_answer(wab::sdp::answer_whatsapp_offer(*sd, local()));
  } catch (const wab::sdp::SdpError&) {
  }
  try {
    check_answer(wab::sdp::answer_generic_offer(*sd, local()));
  } catch (const wab::sdp::SdpError&) {
  }
  return 0;
}
