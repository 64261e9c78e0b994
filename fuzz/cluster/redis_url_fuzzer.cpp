// REDIS_URL and the call records read back from Redis: any text yields a value or a clear
// error, and a URL's password never shows in an error or in describe().
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cluster/keys.hpp"
#include "cluster/redis_url.hpp"

using namespace wab::cluster;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)keys::parse_call_record(text);
  (void)keys::valid_node_id(text);
  constexpr const char* kSecret = "Zq9SecretPw";
  const std::string url = "redis://:" + std::string(kSecret) + "@" + text;
  // Text that holds the secret itself or another '@' may rightly echo it (as host or port).
  const bool must_hide =
      text.find('@') == std::string::npos && text.find("Zq9") == std::string::npos;
  try {
    const RedisUrl parsed = parse_redis_url(url);
    if (must_hide && parsed.describe().find(kSecret) != std::string::npos) __builtin_trap();
    if (must_hide && parsed.password != kSecret) __builtin_trap();
    if (parsed.host.empty()) __builtin_trap();
  } catch (const std::invalid_argument& e) {
    if (must_hide && std::string(e.what()).find(kSecret) != std::string::npos) __builtin_trap();
  }
  try {
    (void)parse_redis_url(text);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
