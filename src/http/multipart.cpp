#include <string>

#include "common/random.hpp"
#include "http/client.hpp"

namespace wab::http {
namespace {

// RFC 7578 §4.2 leaves escaping of names to the sender; percent-encode what would break the
// quoted-string, as browsers do.
std::string quote_name(const std::string& name) {
  std::string out;
  for (const char c : name) {
    if (c == '"') {
      out += "%22";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string random_boundary() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint8_t bytes[16];
  random_bytes(bytes);
  std::string boundary = "wab-";
  for (const std::uint8_t b : bytes) {
    boundary.push_back(kHex[b >> 4]);
    boundary.push_back(kHex[b & 0x0f]);
  }
  return boundary;
}

bool clean_header_value(const std::string& value) {
  return value.find_first_of("\r\n") == std::string::npos;
}

} // namespace

std::pair<std::string, std::string> build_multipart(const std::vector<MultipartPart>& parts) {
  std::string boundary;
  // 128 random bits never collide in practice; checking costs little and makes it certain.
  bool collides = true;
  while (collides) {
    boundary = random_boundary();
    collides = false;
    for (const auto& part : parts) {
      if (part.body.find(boundary) != std::string::npos) collides = true;
    }
  }
  std::string body;
  for (const auto& part : parts) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + quote_name(part.name) + "\"\r\n";
    if (!part.content_type.empty() && clean_header_value(part.content_type)) {
      body += "Content-Type: " + part.content_type + "\r\n";
    }
    body += "\r\n";
    body += part.body;
    body += "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {"multipart/form-data; boundary=" + boundary, std::move(body)};
}

} // namespace wab::http
