#pragma once
// The SDP model: plain value types for a session description and its media sections (RFC 8866,
// with the WebRTC attributes of RFC 8839/8842/8843/8841/5576). Attributes we do not model are kept
// verbatim and in order so a parse → write round trip loses nothing that matters. Value types with
// no shared state: any thread may use its own copies.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wab::sdp {

// Thrown by the parser for structurally broken input and by the offer/answer builders when a
// remote description lacks something they need. `line()` is 1-based, 0 when not about one line.
class SdpError : public std::runtime_error {
public:
  explicit SdpError(const std::string& what, std::size_t line = 0)
      : std::runtime_error(what), line_(line) {}
  std::size_t line() const { return line_; }

private:
  std::size_t line_;
};

enum class MediaKind { audio, application, other };
enum class Direction { unspecified, sendrecv, sendonly, recvonly, inactive };
// DTLS role announcement of RFC 4145/5763 `a=setup`.
enum class SetupRole { unspecified, actpass, active, passive, holdconn };

std::string_view to_string(Direction d); // "" for unspecified
std::string_view to_string(SetupRole r); // "" for unspecified
std::optional<Direction> parse_direction(std::string_view s);
std::optional<SetupRole> parse_setup_role(std::string_view s); // case-insensitive

// An attribute we keep verbatim: `a=<name>` or `a=<name>:<value>`.
struct Attribute {
  std::string name;
  std::optional<std::string> value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// A non-attribute line we do not model (b=, i=, k=, u=, e=, p=, r=, z=), kept verbatim.
struct OtherLine {
  char type = 0;
  std::string value;
  friend bool operator==(const OtherLine&, const OtherLine&) = default;
};

struct Origin {
  std::string username = "-";
  std::string session_id = "0"; // text: some stacks exceed 64 bits
  std::string session_version = "0";
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address = "127.0.0.1";
  friend bool operator==(const Origin&, const Origin&) = default;
};

// `a=fingerprint:<algorithm> <value>`; algorithm lower-cased, value upper-cased by the parser.
struct Fingerprint {
  std::string algorithm;
  std::string value;
  friend bool operator==(const Fingerprint&, const Fingerprint&) = default;
};
// Parses "sha-256 AB:CD:…" (any case); nullopt unless it is an algorithm and colon-hex bytes.
std::optional<Fingerprint> parse_fingerprint(std::string_view text);

struct IceCredentials {
  std::string ufrag;
  std::string pwd;
  bool empty() const { return ufrag.empty() || pwd.empty(); }
  friend bool operator==(const IceCredentials&, const IceCredentials&) = default;
};

// One payload type: its rtpmap (name empty when the section has no rtpmap for it, e.g. static PT
// 0), fmtp parameters text and rtcp-fb values in order.
struct Codec {
  std::uint8_t payload_type = 0;
  std::string name;
  std::uint32_t clock_rate = 0;
  std::uint32_t channels = 0; // 0: not written
  std::string fmtp;
  std::vector<std::string> rtcp_fb;
  friend bool operator==(const Codec&, const Codec&) = default;
};

// `a=extmap:<id>[/<direction>] <uri> [<attributes>]`.
struct Extmap {
  std::uint16_t id = 0;
  std::string direction;
  std::string uri;
  std::string attributes;
  friend bool operator==(const Extmap&, const Extmap&) = default;
};

// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576).
struct SsrcAttribute {
  std::uint32_t ssrc = 0;
  std::string attribute;
  std::string value;
  friend bool operator==(const SsrcAttribute&, const SsrcAttribute&) = default;
};

// Legacy data channel form: `a=sctpmap:<port> <protocol> <streams>`.
struct SctpMap {
  std::uint16_t port = 0;
  std::string protocol;
  std::uint32_t streams = 0;
  friend bool operator==(const SctpMap&, const SctpMap&) = default;
};

struct MediaSection {
  MediaKind kind = MediaKind::other;
  std::string media; // the m= token: "audio", "application", "video", …
  std::uint16_t port = 9;
  std::string proto;
  std::vector<std::string> formats;
  std::optional<std::string> connection; // c= value, e.g. "IN IP4 0.0.0.0"
  std::optional<std::string> rtcp;       // a=rtcp value, e.g. "9 IN IP4 0.0.0.0"
  std::string mid;
  Direction direction = Direction::unspecified;
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  SetupRole setup = SetupRole::unspecified;
  // Values of `a=candidate:` (the text after the colon), parsed by the ice layer.
  std::vector<std::string> candidates;
  bool end_of_candidates = false;
  std::vector<Codec> codecs;
  std::optional<std::uint32_t> ptime;
  std::optional<std::uint32_t> maxptime;
  std::vector<Extmap> extmaps;
  std::vector<SsrcAttribute> ssrcs;
  std::optional<std::string> msid; // "<stream id> <track id>"
  std::optional<std::uint16_t> sctp_port;
  std::optional<SctpMap> sctpmap;
  std::optional<std::uint64_t> max_message_size;
  std::vector<Attribute> other_attributes;
  std::vector<OtherLine> other_lines;

  const Codec* find_codec(std::uint8_t payload_type) const;
  Codec* find_codec(std::uint8_t payload_type);
  bool is_rejected() const { return port == 0; }
  bool is_data_channel() const; // application + an SCTP proto
  bool is_legacy_data_channel() const { return is_data_channel() && sctpmap.has_value(); }
  friend bool operator==(const MediaSection&, const MediaSection&) = default;
};

struct SessionDescription {
  Origin origin;
  std::string session_name = "-";
  std::string timing = "0 0";
  std::optional<std::string> connection; // session-level c=
  bool ice_lite = false;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  SetupRole setup = SetupRole::unspecified;
  std::vector<std::string> bundle_mids;     // a=group:BUNDLE …; empty: no BUNDLE group
  std::optional<std::string> msid_semantic; // e.g. "WMS *", "WMS"
  bool extmap_allow_mixed = false;
  std::vector<MediaSection> media;
  std::vector<Attribute> other_attributes; // includes non-BUNDLE a=group lines
  std::vector<OtherLine> other_lines;

  const MediaSection* find_mid(std::string_view mid) const;
  const MediaSection* first_of_kind(MediaKind kind) const;
  const MediaSection* first_data_channel() const;
  // The section whose transport a BUNDLE group uses: the one named first in the group (RFC 8843
  // "offerer BUNDLE-tag"), else the first m-section; nullptr when there is none.
  const MediaSection* transport_section() const;

  // Media-level values override session-level ones (RFC 8839 §5.4). Without an argument these
  // resolve for the transport section: with BUNDLE its values govern the whole 5-tuple even when
  // (as aiortc does) every m-section carries its own ufrag/pwd.
  IceCredentials effective_ice_credentials(const MediaSection& m) const;
  IceCredentials effective_ice_credentials() const;
  std::vector<std::string> effective_ice_options(const MediaSection& m) const;
  // Prefers sha-256 when several are present; nullopt when none.
  std::optional<Fingerprint> effective_fingerprint(const MediaSection& m) const;
  std::optional<Fingerprint> effective_fingerprint() const;
  SetupRole effective_setup(const MediaSection& m) const;
  SetupRole effective_setup() const;

  friend bool operator==(const SessionDescription&, const SessionDescription&) = default;
};

} // namespace wab::sdp
