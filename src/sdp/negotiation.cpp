#include "sdp/negotiation.hpp"

#include "sdp/text.hpp"

namespace wab::sdp {
namespace {

constexpr std::uint64_t kDefaultMaxMessageSize = 65536; // RFC 8841 §6.1
constexpr std::uint16_t kDefaultSctpPort = 5000;        // RFC 8841 §5

// Codecs of `m` in the m= line's order (its preference order), skipping unknown formats.
template <typename F> const Codec* first_in_format_order(const MediaSection& m, F&& match) {
  for (const std::string& f : m.formats) {
    const auto pt = text::parse_uint<std::uint8_t>(f);
    if (!pt || *pt > 127) continue;
    const Codec* c = m.find_codec(*pt);
    if (c && match(*c)) return c;
  }
  return nullptr;
}

} // namespace

std::optional<NegotiatedCodec> negotiated_opus(const MediaSection& m) {
  const Codec* c = first_in_format_order(
      m, [](const Codec& c) { return text::iequals(c.name, "opus") && c.clock_rate == 48000; });
  if (!c) return std::nullopt;
  return NegotiatedCodec{c->payload_type, c->clock_rate, c->channels, c->fmtp};
}

std::optional<NegotiatedCodec> negotiated_opus(const SessionDescription& sd) {
  const MediaSection* m = accepted_audio(sd);
  return m ? negotiated_opus(*m) : std::nullopt;
}

std::optional<std::uint8_t> telephone_event_pt(const MediaSection& m, std::uint32_t clock_rate) {
  const Codec* c = first_in_format_order(m, [clock_rate](const Codec& c) {
    return text::iequals(c.name, "telephone-event") && c.clock_rate == clock_rate;
  });
  if (!c) return std::nullopt;
  return c->payload_type;
}

std::optional<std::uint8_t> telephone_event_pt(const SessionDescription& sd,
                                               std::uint32_t clock_rate) {
  const MediaSection* m = accepted_audio(sd);
  return m ? telephone_event_pt(*m, clock_rate) : std::nullopt;
}

const MediaSection* accepted_audio(const SessionDescription& sd) {
  for (const MediaSection& m : sd.media) {
    if (m.kind == MediaKind::audio && !m.is_rejected()) return &m;
  }
  return nullptr;
}

const MediaSection* accepted_data_channel(const SessionDescription& sd) {
  for (const MediaSection& m : sd.media) {
    if (m.is_data_channel() && !m.is_rejected()) return &m;
  }
  return nullptr;
}

std::optional<std::uint64_t> remote_max_message_size(const SessionDescription& sd) {
  const MediaSection* m = accepted_data_channel(sd);
  if (!m) return std::nullopt;
  return m->max_message_size.value_or(kDefaultMaxMessageSize);
}

std::optional<std::uint16_t> remote_sctp_port(const SessionDescription& sd) {
  const MediaSection* m = accepted_data_channel(sd);
  if (!m) return std::nullopt;
  if (m->sctp_port) return *m->sctp_port;
  if (m->sctpmap) return m->sctpmap->port;
  // Legacy "m=application 9 DTLS/SCTP 5000" without an sctpmap line.
  if (!m->formats.empty()) {
    if (const auto port = text::parse_uint<std::uint16_t>(m->formats.front())) return *port;
  }
  return kDefaultSctpPort;
}

std::optional<DtlsRole> dtls_role_from_answer(const SessionDescription& remote_answer) {
  switch (remote_answer.effective_setup()) {
  case SetupRole::active:
  case SetupRole::unspecified: return DtlsRole::server;
  case SetupRole::passive: return DtlsRole::client;
  case SetupRole::actpass:
  case SetupRole::holdconn: break;
  }
  return std::nullopt;
}

std::optional<DtlsRole> dtls_role_from_offer(const SessionDescription& remote_offer) {
  switch (remote_offer.effective_setup()) {
  case SetupRole::actpass:
  case SetupRole::passive:
  case SetupRole::unspecified: return DtlsRole::client;
  case SetupRole::active: return DtlsRole::server;
  case SetupRole::holdconn: break;
  }
  return std::nullopt;
}

} // namespace wab::sdp
