#include "sdp/session_description.hpp"

#include "sdp/text.hpp"

#include <algorithm>

namespace wab::sdp {

std::string_view to_string(Direction d) {
  switch (d) {
  case Direction::sendrecv: return "sendrecv";
  case Direction::sendonly: return "sendonly";
  case Direction::recvonly: return "recvonly";
  case Direction::inactive: return "inactive";
  case Direction::unspecified: break;
  }
  return "";
}

std::string_view to_string(SetupRole r) {
  switch (r) {
  case SetupRole::actpass: return "actpass";
  case SetupRole::active: return "active";
  case SetupRole::passive: return "passive";
  case SetupRole::holdconn: return "holdconn";
  case SetupRole::unspecified: break;
  }
  return "";
}

std::optional<Direction> parse_direction(std::string_view s) {
  if (s == "sendrecv") return Direction::sendrecv;
  if (s == "sendonly") return Direction::sendonly;
  if (s == "recvonly") return Direction::recvonly;
  if (s == "inactive") return Direction::inactive;
  return std::nullopt;
}

std::optional<SetupRole> parse_setup_role(std::string_view s) {
  s = text::trim(s);
  if (text::iequals(s, "actpass")) return SetupRole::actpass;
  if (text::iequals(s, "active")) return SetupRole::active;
  if (text::iequals(s, "passive")) return SetupRole::passive;
  if (text::iequals(s, "holdconn")) return SetupRole::holdconn;
  return std::nullopt;
}

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// "AB:CD:…": one or more two-digit hex bytes separated by colons.
bool is_colon_hex(std::string_view v) {
  if (v.size() < 2 || (v.size() + 1) % 3 != 0) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i % 3 == 2) {
      if (v[i] != ':') return false;
    } else if (!is_hex(v[i])) {
      return false;
    }
  }
  return true;
}

} // namespace

std::optional<Fingerprint> parse_fingerprint(std::string_view text) {
  const auto tokens = text::split_ws(text::trim(text));
  if (tokens.size() != 2 || !is_colon_hex(tokens[1])) return std::nullopt;
  for (char c : tokens[0]) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return std::nullopt;
  }
  return Fingerprint{text::lower(tokens[0]), text::upper(tokens[1])};
}

const Codec* MediaSection::find_codec(std::uint8_t payload_type) const {
  for (const Codec& c : codecs) {
    if (c.payload_type == payload_type) return &c;
  }
  return nullptr;
}

Codec* MediaSection::find_codec(std::uint8_t payload_type) {
  for (Codec& c : codecs) {
    if (c.payload_type == payload_type) return &c;
  }
  return nullptr;
}

bool MediaSection::is_data_channel() const {
  return kind == MediaKind::application && proto.find("SCTP") != std::string::npos;
}

const MediaSection* SessionDescription::find_mid(std::string_view mid) const {
  for (const MediaSection& m : media) {
    if (!m.mid.empty() && m.mid == mid) return &m;
  }
  return nullptr;
}

const MediaSection* SessionDescription::first_of_kind(MediaKind kind) const {
  for (const MediaSection& m : media) {
    if (m.kind == kind) return &m;
  }
  return nullptr;
}

const MediaSection* SessionDescription::first_data_channel() const {
  for (const MediaSection& m : media) {
    if (m.is_data_channel()) return &m;
  }
  return nullptr;
}

const MediaSection* SessionDescription::transport_section() const {
  if (!bundle_mids.empty()) {
    if (const MediaSection* tagged = find_mid(bundle_mids.front())) return tagged;
  }
  return media.empty() ? nullptr : &media.front();
}

IceCredentials SessionDescription::effective_ice_credentials(const MediaSection& m) const {
  if (!m.ice_ufrag.empty() && !m.ice_pwd.empty()) return {m.ice_ufrag, m.ice_pwd};
  return {m.ice_ufrag.empty() ? ice_ufrag : m.ice_ufrag, m.ice_pwd.empty() ? ice_pwd : m.ice_pwd};
}

IceCredentials SessionDescription::effective_ice_credentials() const {
  if (const MediaSection* m = transport_section()) return effective_ice_credentials(*m);
  return {ice_ufrag, ice_pwd};
}

std::vector<std::string> SessionDescription::effective_ice_options(const MediaSection& m) const {
  return m.ice_options.empty() ? ice_options : m.ice_options;
}

namespace {

std::optional<Fingerprint> prefer_sha256(const std::vector<Fingerprint>& list) {
  if (list.empty()) return std::nullopt;
  const auto it = std::find_if(list.begin(), list.end(),
                               [](const Fingerprint& f) { return f.algorithm == "sha-256"; });
  return it != list.end() ? *it : list.front();
}

} // namespace

std::optional<Fingerprint> SessionDescription::effective_fingerprint(const MediaSection& m) const {
  return prefer_sha256(m.fingerprints.empty() ? fingerprints : m.fingerprints);
}

std::optional<Fingerprint> SessionDescription::effective_fingerprint() const {
  if (const MediaSection* m = transport_section()) return effective_fingerprint(*m);
  return prefer_sha256(fingerprints);
}

SetupRole SessionDescription::effective_setup(const MediaSection& m) const {
  return m.setup != SetupRole::unspecified ? m.setup : setup;
}

SetupRole SessionDescription::effective_setup() const {
  if (const MediaSection* m = transport_section()) return effective_setup(*m);
  return setup;
}

} // namespace wab::sdp
