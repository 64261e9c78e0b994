#include "sdp/parser.hpp"

#include "sdp/text.hpp"

#include <fmt/format.h>

namespace wab::sdp {
namespace {

// One line break per real CR, LF or CRLF, and per literal "\n" or "\r\n" escape (a literal "\r"
// on its own is dropped). Blank lines this creates are skipped by the parser.
std::string normalise_line_breaks(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] == '\n') continue; // CRLF: the LF makes the break
      out.push_back('\n');
    } else if (c == '\\' && i + 1 < in.size() && (in[i + 1] == 'n' || in[i + 1] == 'r')) {
      if (in[i + 1] == 'n') out.push_back('\n');
      ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string excerpt(std::string_view line) {
  constexpr std::size_t kMax = 60;
  std::string out;
  for (char c : line.substr(0, kMax)) {
    out.push_back((c >= 0x20 && c < 0x7f) ? c : '?');
  }
  if (line.size() > kMax) out += "...";
  return out;
}

class Parser {
public:
  explicit Parser(const ParseLimits& limits) : limits_(limits) {}

  SessionDescription run(std::string_view input) {
    if (input.size() > limits_.max_bytes) {
      throw SdpError(
          fmt::format("SDP too large: {} bytes (limit {})", input.size(), limits_.max_bytes));
    }
    // A JSON string copied with its quotes: "v=0\r\n…".
    std::string_view body = text::trim(input);
    if (body.size() >= 2 && body.front() == '"' && body.back() == '"') {
      body = body.substr(1, body.size() - 2);
    }
    const std::string text = normalise_line_breaks(body);
    std::size_t pos = 0;
    std::size_t line_count = 0;
    std::size_t content_lines = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      ++line_count;
      const std::string_view line = text::trim(std::string_view(text).substr(pos, end - pos));
      pos = end + 1;
      if (line.empty()) continue;
      if (++content_lines > limits_.max_lines) {
        throw SdpError(
            fmt::format("line {}: SDP has more than {} lines", line_count, limits_.max_lines),
            line_count);
      }
      line_no_ = line_count;
      handle_line(line);
    }
    if (!seen_version_) throw SdpError("not an SDP: no v= line");
    return std::move(sd_);
  }

private:
  [[noreturn]] void fail(const std::string& what) const {
    throw SdpError(fmt::format("line {}: {}", line_no_, what), line_no_);
  }

  void handle_line(std::string_view line) {
    if (line.size() < 2 || line[1] != '=') {
      fail(fmt::format("expected '<type>=<value>', got '{}'", excerpt(line)));
    }
    const char type = line[0];
    const std::string_view value = text::trim(line.substr(2));
    if (!seen_version_) {
      if (type != 'v') fail(fmt::format("SDP must start with v=0, got '{}'", excerpt(line)));
      if (value != "0") fail(fmt::format("unsupported SDP version '{}'", excerpt(value)));
      seen_version_ = true;
      return;
    }
    switch (type) {
    case 'v': fail("second v= line"); break;
    case 'o': parse_origin(value); break;
    case 's': sd_.session_name = std::string(value); break;
    case 't': sd_.timing = std::string(value); break;
    case 'c': (media_ ? media_->connection : sd_.connection) = std::string(value); break;
    case 'm': parse_media(value); break;
    case 'a': parse_attribute(value); break;
    default:
      if (type < 'a' || type > 'z') fail(fmt::format("bad line type '{}'", excerpt(line)));
      (media_ ? media_->other_lines : sd_.other_lines).push_back({type, std::string(value)});
      break;
    }
  }

  void parse_origin(std::string_view value) {
    const auto t = text::split_ws(value);
    if (t.size() != 6) fail(fmt::format("bad o= line '{}'", excerpt(value)));
    sd_.origin = Origin{std::string(t[0]), std::string(t[1]), std::string(t[2]),
                        std::string(t[3]), std::string(t[4]), std::string(t[5])};
  }

  void parse_media(std::string_view value) {
    const auto t = text::split_ws(value);
    if (t.size() < 3) fail(fmt::format("bad m= line '{}'", excerpt(value)));
    if (sd_.media.size() >= limits_.max_media_sections) {
      fail(fmt::format("more than {} m= sections", limits_.max_media_sections));
    }
    MediaSection m;
    m.media = std::string(t[0]);
    m.kind = m.media == "audio"         ? MediaKind::audio
             : m.media == "application" ? MediaKind::application
                                        : MediaKind::other;
    std::string_view port_text = t[1];
    if (const auto slash = port_text.find('/'); slash != std::string_view::npos) {
      port_text = port_text.substr(0, slash); // "<port>/<count>": the count is not used
    }
    const auto port = text::parse_uint<std::uint16_t>(port_text);
    if (!port) fail(fmt::format("bad port in m= line '{}'", excerpt(value)));
    m.port = *port;
    m.proto = std::string(t[2]);
    for (std::size_t i = 3; i < t.size(); ++i)
      m.formats.emplace_back(t[i]);
    sd_.media.push_back(std::move(m));
    media_ = &sd_.media.back();
  }

  void parse_attribute(std::string_view attr) {
    std::string_view name = attr;
    std::optional<std::string_view> value;
    if (const auto colon = attr.find(':'); colon != std::string_view::npos) {
      name = text::trim(attr.substr(0, colon));
      value = text::trim(attr.substr(colon + 1));
    }
    const std::string_view v = value.value_or(std::string_view{});
    if (!(media_ ? media_attribute(name, v) : session_attribute(name, v))) {
      Attribute a{std::string(name), value ? std::optional<std::string>(*value) : std::nullopt};
      (media_ ? media_->other_attributes : sd_.other_attributes).push_back(std::move(a));
    }
  }

  Fingerprint fingerprint(std::string_view v) const {
    auto f = parse_fingerprint(v);
    if (!f) fail(fmt::format("bad a=fingerprint '{}'", excerpt(v)));
    return *f;
  }

  SetupRole setup(std::string_view v) const {
    auto r = parse_setup_role(v);
    if (!r) fail(fmt::format("bad a=setup '{}'", excerpt(v)));
    return *r;
  }

  // Attributes that may appear at session level (RFC 8839/8843/8122); false: keep verbatim.
  bool session_attribute(std::string_view name, std::string_view v) {
    if (name == "ice-lite") {
      sd_.ice_lite = true;
    } else if (name == "ice-ufrag") {
      sd_.ice_ufrag = std::string(v);
    } else if (name == "ice-pwd") {
      sd_.ice_pwd = std::string(v);
    } else if (name == "ice-options") {
      for (auto o : text::split_ws(v))
        sd_.ice_options.emplace_back(o);
    } else if (name == "fingerprint") {
      sd_.fingerprints.push_back(fingerprint(v));
    } else if (name == "setup") {
      sd_.setup = setup(v);
    } else if (name == "group") {
      const auto t = text::split_ws(v);
      if (t.empty() || t[0] != "BUNDLE" || !sd_.bundle_mids.empty()) return false;
      for (std::size_t i = 1; i < t.size(); ++i)
        sd_.bundle_mids.emplace_back(t[i]);
      return !sd_.bundle_mids.empty();
    } else if (name == "msid-semantic") {
      sd_.msid_semantic = std::string(v);
    } else if (name == "extmap-allow-mixed") {
      sd_.extmap_allow_mixed = true;
    } else {
      return false;
    }
    return true;
  }

  std::uint8_t payload_type(std::string_view t, std::string_view attr) const {
    const auto pt = text::parse_uint<std::uint8_t>(t);
    if (!pt || *pt > 127) fail(fmt::format("bad payload type in a={}", attr));
    return *pt;
  }

  Codec& codec(std::uint8_t pt) {
    if (Codec* c = media_->find_codec(pt)) return *c;
    media_->codecs.push_back(Codec{});
    media_->codecs.back().payload_type = pt;
    return media_->codecs.back();
  }

  void parse_rtpmap(std::string_view v) {
    const auto [pt_text, rest] = text::split_first(v);
    const std::uint8_t pt = payload_type(pt_text, "rtpmap");
    // "<name>/<clock>[/<channels>]"
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0)
      fail(fmt::format("bad a=rtpmap '{}'", excerpt(v)));
    std::string_view clock_text = rest.substr(slash + 1);
    std::string_view channels_text;
    if (const auto s2 = clock_text.find('/'); s2 != std::string_view::npos) {
      channels_text = clock_text.substr(s2 + 1);
      clock_text = clock_text.substr(0, s2);
    }
    const auto clock = text::parse_uint<std::uint32_t>(clock_text);
    const auto channels = channels_text.empty() ? std::optional<std::uint32_t>(0)
                                                : text::parse_uint<std::uint32_t>(channels_text);
    if (!clock || !channels) fail(fmt::format("bad a=rtpmap '{}'", excerpt(v)));
    Codec& c = codec(pt);
    c.name = std::string(rest.substr(0, slash));
    c.clock_rate = *clock;
    c.channels = *channels;
  }

  // fmtp/rtcp-fb whose format is not an RTP payload type ("*", "webrtc-datachannel") stay verbatim.
  bool parse_fmtp(std::string_view v) {
    const auto [pt_text, rest] = text::split_first(v);
    const auto pt = text::parse_uint<std::uint8_t>(pt_text);
    if (!pt || *pt > 127) return false;
    codec(*pt).fmtp = std::string(rest);
    return true;
  }

  bool parse_rtcp_fb(std::string_view v) {
    const auto [pt_text, rest] = text::split_first(v);
    const auto pt = text::parse_uint<std::uint8_t>(pt_text);
    if (!pt || *pt > 127 || rest.empty()) return false;
    codec(*pt).rtcp_fb.emplace_back(rest);
    return true;
  }

  void parse_extmap(std::string_view v) {
    const auto t = text::split_ws(v);
    if (t.size() < 2) fail(fmt::format("bad a=extmap '{}'", excerpt(v)));
    Extmap e;
    std::string_view id_text = t[0];
    if (const auto slash = id_text.find('/'); slash != std::string_view::npos) {
      e.direction = std::string(id_text.substr(slash + 1));
      id_text = id_text.substr(0, slash);
    }
    const auto id = text::parse_uint<std::uint16_t>(id_text);
    if (!id) fail(fmt::format("bad a=extmap id '{}'", excerpt(v)));
    e.id = *id;
    e.uri = std::string(t[1]);
    // Extension attributes: everything after the URI, as written.
    const auto after_uri = static_cast<std::size_t>(t[1].data() - v.data()) + t[1].size();
    e.attributes = std::string(text::trim(v.substr(after_uri)));
    media_->extmaps.push_back(std::move(e));
  }

  void parse_ssrc(std::string_view v) {
    const auto [ssrc_text, rest] = text::split_first(v);
    const auto ssrc = text::parse_uint<std::uint32_t>(ssrc_text);
    if (!ssrc || rest.empty()) fail(fmt::format("bad a=ssrc '{}'", excerpt(v)));
    SsrcAttribute s;
    s.ssrc = *ssrc;
    if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
      s.attribute = std::string(rest.substr(0, colon));
      s.value = std::string(rest.substr(colon + 1));
    } else {
      s.attribute = std::string(rest);
    }
    media_->ssrcs.push_back(std::move(s));
  }

  void parse_sctpmap(std::string_view v) {
    const auto t = text::split_ws(v);
    const auto port = t.size() >= 2 ? text::parse_uint<std::uint16_t>(t[0]) : std::nullopt;
    const auto streams =
        t.size() >= 3 ? text::parse_uint<std::uint32_t>(t[2]) : std::optional<std::uint32_t>(0);
    if (!port || !streams) fail(fmt::format("bad a=sctpmap '{}'", excerpt(v)));
    media_->sctpmap = SctpMap{*port, std::string(t[1]), *streams};
  }

  // ptime may be written with a fraction ("20.5"); we keep whole milliseconds.
  static std::optional<std::uint32_t> milliseconds(std::string_view v) {
    if (const auto dot = v.find('.'); dot != std::string_view::npos) v = v.substr(0, dot);
    return text::parse_uint<std::uint32_t>(v);
  }

  bool media_attribute(std::string_view name, std::string_view v) {
    MediaSection& m = *media_;
    if (name == "candidate") {
      m.candidates.emplace_back(v);
    } else if (name == "end-of-candidates") {
      m.end_of_candidates = true;
    } else if (name == "ice-ufrag") {
      m.ice_ufrag = std::string(v);
    } else if (name == "ice-pwd") {
      m.ice_pwd = std::string(v);
    } else if (name == "ice-options") {
      for (auto o : text::split_ws(v))
        m.ice_options.emplace_back(o);
    } else if (name == "fingerprint") {
      m.fingerprints.push_back(fingerprint(v));
    } else if (name == "setup") {
      m.setup = setup(v);
    } else if (name == "mid") {
      m.mid = std::string(v);
    } else if (auto d = parse_direction(name)) {
      m.direction = *d;
    } else if (name == "rtcp-mux") {
      m.rtcp_mux = true;
    } else if (name == "rtcp-rsize") {
      m.rtcp_rsize = true;
    } else if (name == "rtcp") {
      m.rtcp = std::string(v);
    } else if (name == "rtpmap") {
      parse_rtpmap(v);
    } else if (name == "fmtp") {
      return parse_fmtp(v);
    } else if (name == "rtcp-fb") {
      return parse_rtcp_fb(v);
    } else if (name == "ptime" || name == "maxptime") {
      const auto ms = milliseconds(v);
      if (!ms) return false;
      (name == "ptime" ? m.ptime : m.maxptime) = *ms;
    } else if (name == "extmap") {
      parse_extmap(v);
    } else if (name == "ssrc") {
      parse_ssrc(v);
    } else if (name == "msid") {
      m.msid = std::string(v);
    } else if (name == "sctp-port") {
      const auto port = text::parse_uint<std::uint16_t>(v);
      if (!port) fail(fmt::format("bad a=sctp-port '{}'", excerpt(v)));
      m.sctp_port = *port;
    } else if (name == "sctpmap") {
      parse_sctpmap(v);
    } else if (name == "max-message-size") {
      const auto size = text::parse_uint<std::uint64_t>(v);
      if (!size) fail(fmt::format("bad a=max-message-size '{}'", excerpt(v)));
      m.max_message_size = *size;
    } else {
      return false;
    }
    return true;
  }

  const ParseLimits& limits_;
  SessionDescription sd_;
  MediaSection* media_ = nullptr; // the m= section being filled; nullptr at session level
  bool seen_version_ = false;
  std::size_t line_no_ = 0;
};

} // namespace

SessionDescription parse(std::string_view text, const ParseLimits& limits) {
  return Parser(limits).run(text);
}

std::optional<SessionDescription> try_parse(std::string_view text, std::string* error,
                                            const ParseLimits& limits) {
  try {
    return parse(text, limits);
  } catch (const SdpError& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

} // namespace wab::sdp
