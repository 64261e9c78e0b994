#pragma once
// Helpers for reading untrusted JSON (webhooks, Graph and OpenAI responses, data-channel events):
// size and nesting limits checked before a tree is built, and field accessors that return
// "absent" instead of throwing on a wrong type. Stateless, any thread.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wab {

struct JsonLimits {
  std::size_t max_bytes = 1024 * 1024;
  int max_depth = 32;
};

// Returns the parsed value, or nullopt with a short reason in `error` (too large, too deep, not
// JSON). Never throws.
std::optional<nlohmann::json> parse_untrusted_json(std::string_view text, const JsonLimits& limits,
                                                   std::string& error);

// Field accessors: `obj` may be any JSON value; a missing key or a wrong type yields nullptr /
// empty / nullopt.
const nlohmann::json* object_field(const nlohmann::json& obj, std::string_view key);
const nlohmann::json* array_field(const nlohmann::json& obj, std::string_view key);
std::string string_field(const nlohmann::json& obj, std::string_view key);
// An integer given as a JSON number or as a decimal string (Meta sends timestamps as strings).
std::optional<std::int64_t> integer_field(const nlohmann::json& obj, std::string_view key);
// Any JSON number.
std::optional<double> number_field(const nlohmann::json& obj, std::string_view key);

} // namespace wab
