#pragma once
// Header lists shared by the client and the server. Names are stored lower-cased wherever this
// layer produces them (parsed requests, client responses), so lookups compare exactly.
// Value types; any thread.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wab::http {

using Headers = std::vector<std::pair<std::string, std::string>>;
// Decoded query parameters in order of appearance; a key may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// First value of `lower_name` in `headers`, or nullopt.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view lower_name);

std::string to_lower_ascii(std::string_view text);
bool iequals_ascii(std::string_view a, std::string_view b);
// RFC 9110 token character (method names, header names).
bool is_token_char(char c);

// Percent-decodes `text`; `plus_is_space` for application/x-www-form-urlencoded query strings.
// Returns nullopt on a malformed escape ("%", "%4", "%zz").
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Splits "a=1&b=x%20y&c" into decoded pairs ({"c", ""} for a bare key); empty pieces are skipped.
// Returns nullopt if any escape is malformed.
std::optional<QueryParams> parse_query(std::string_view query);

} // namespace wab::http
