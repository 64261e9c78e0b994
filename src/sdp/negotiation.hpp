#pragma once
// Reading what a remote description negotiated: the Opus and telephone-event payload types (always
// taken from the description, never assumed), the data channel's SCTP parameters and the DTLS role.
// Pure functions; any thread.
#include "sdp/session_description.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace wab::sdp {

struct NegotiatedCodec {
  std::uint8_t payload_type = 0;
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 0;
  std::string fmtp;
  friend bool operator==(const NegotiatedCodec&, const NegotiatedCodec&) = default;
};

// The first Opus (48 kHz) payload type in the m= line's preference order.
std::optional<NegotiatedCodec> negotiated_opus(const MediaSection& m);
// The same for the first accepted (port ≠ 0) audio section.
std::optional<NegotiatedCodec> negotiated_opus(const SessionDescription& sd);

// The telephone-event payload type at `clock_rate` (WhatsApp supports 8000 only).
std::optional<std::uint8_t> telephone_event_pt(const MediaSection& m,
                                               std::uint32_t clock_rate = 8000);
std::optional<std::uint8_t> telephone_event_pt(const SessionDescription& sd,
                                               std::uint32_t clock_rate = 8000);

// The first accepted audio section, or nullptr.
const MediaSection* accepted_audio(const SessionDescription& sd);
// The first accepted data channel section, or nullptr.
const MediaSection* accepted_data_channel(const SessionDescription& sd);

// RFC 8841 §6: a=max-message-size, 65536 when absent; 0 means "no limit". nullopt without an
// accepted data channel section.
std::optional<std::uint64_t> remote_max_message_size(const SessionDescription& sd);
// a=sctp-port, else the legacy a=sctpmap port or m= format, else 5000; nullopt without an accepted
// data channel section.
std::optional<std::uint16_t> remote_sctp_port(const SessionDescription& sd);

enum class DtlsRole { client, server };

// Our role after sending an offer and receiving `remote_answer`: its `active` (or no a=setup,
// RFC 5763's default) makes us the server, `passive` the client; actpass/holdconn are invalid in
// an answer → nullopt.
std::optional<DtlsRole> dtls_role_from_answer(const SessionDescription& remote_answer);
// Our role when answering `remote_offer` (the builders' policy): actpass, passive or none → we are
// the client (a=setup:active), active → server (a=setup:passive), holdconn → nullopt.
std::optional<DtlsRole> dtls_role_from_offer(const SessionDescription& remote_offer);

} // namespace wab::sdp
