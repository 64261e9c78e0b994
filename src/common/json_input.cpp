#include "common/json_input.hpp"

#include <charconv>

namespace wab {

namespace {

// Nesting depth of the text, stopping early once it exceeds `limit`. Brackets inside strings do
// not count. Malformed text is left for the real parser to reject.
bool depth_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
    case '"': in_string = true; break;
    case '{':
    case '[':
      if (++depth > limit) return false;
      break;
    case '}':
    case ']':
      if (depth > 0) --depth;
      break;
    default: break;
    }
  }
  return true;
}

} // namespace

std::optional<nlohmann::json> parse_untrusted_json(std::string_view text, const JsonLimits& limits,
                                                   std::string& error) {
  if (text.size() > limits.max_bytes) {
    error = "body larger than " + std::to_string(limits.max_bytes) + " bytes";
    return std::nullopt;
  }
  if (!depth_within(text, limits.max_depth)) {
    error = "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels";
    return std::nullopt;
  }
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                               /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    error = "not valid JSON";
    return std::nullopt;
  }
  return value;
}

const nlohmann::json* object_field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) return nullptr;
  return &*it;
}

const nlohmann::json* array_field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_array()) return nullptr;
  return &*it;
}

std::string string_field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<std::int64_t> integer_field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(v);
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

std::optional<double> number_field(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

} // namespace wab
