// `wabridge check`, one class of misconfiguration per test: the finding names the setting, says
// how to fix it, and never carries a secret's value.
#include "app/check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "turn/coturn_server.hpp"

namespace wab::app {
namespace {

std::map<std::string, std::string>& fake_env() {
  static std::map<std::string, std::string> env;
  return env;
}
const char* lookup(const char* name) {
  auto it = fake_env().find(name);
  return it == fake_env().end() ? nullptr : it->second.c_str();
}

// A socket of `type` bound on 127.0.0.1 (port 0: any); closed on destruction.
struct Bound {
  int fd = -1;
  std::uint16_t port = 0;
  Bound(int type, std::uint16_t wanted) {
    fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(wanted);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    if (type == SOCK_STREAM) ::listen(fd, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  void close_now() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Bound() { close_now(); }
};

class CheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    fake_env() = {{"WHATSAPP_VERIFY_TOKEN", "verify-secret-value"},
                  {"WHATSAPP_APP_SECRET", "app-secret-value"},
                  {"WHATSAPP_ACCESS_TOKEN", "access-secret-value"},
                  {"OPENAI_API_KEY", "sk-secret-value"},
                  {"MEDIA_PUBLIC_IP", "127.0.0.1"}};
  }
  std::vector<Finding> run(std::vector<std::string> flags = {}) {
    std::vector<char*> argv;
    for (auto& f : flags)
      argv.push_back(f.data());
    config_.reset();
    auto out = check_configuration(static_cast<int>(argv.size()), argv.data(), lookup, config_);
    for (const auto& f : out) {
      for (const char* secret :
           {"verify-secret-value", "app-secret-value", "access-secret-value", "sk-secret-value"}) {
        EXPECT_EQ(f.message.find(secret), std::string::npos) << f.message;
        EXPECT_EQ(f.fix.find(secret), std::string::npos) << f.fix;
      }
    }
    return out;
  }
  static const Finding* find(const std::vector<Finding>& findings, const std::string& setting,
                             Finding::Level level) {
    for (const auto& f : findings) {
      if (f.setting == setting && f.level == level) return &f;
    }
    return nullptr;
  }
  static int count(const std::vector<Finding>& findings, Finding::Level level) {
    int n = 0;
    for (const auto& f : findings)
      n += f.level == level ? 1 : 0;
    return n;
  }
  std::optional<Config> config_;
};

using L = Finding::Level;

TEST_F(CheckTest, AGoodConfigurationHasNoErrors) {
  const auto out = run();
  EXPECT_EQ(count(out, L::error), 0);
  ASSERT_TRUE(config_);
  EXPECT_TRUE(find(out, "OPENAI_API_KEY", L::ok));
  EXPECT_TRUE(find(out, "MEDIA_PUBLIC_IP", L::ok));
}

TEST_F(CheckTest, EachMissingCredentialIsItsOwnErrorAndTheRestIsStillChecked) {
  for (const char* name : {"WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN",
                           "OPENAI_API_KEY"}) {
    SetUp();
    fake_env().erase(name);
    fake_env()["MEDIA_PORT_MIN"] = "9";
    fake_env()["MEDIA_PORT_MAX"] = "5";
    const auto out = run();
    const Finding* f = find(out, name, L::error);
    ASSERT_TRUE(f) << name;
    EXPECT_EQ(f->message, "missing");
    EXPECT_FALSE(f->fix.empty());
    // The inverted range behind it is reported too.
    EXPECT_TRUE(find(out, "MEDIA_PORT_MIN/MEDIA_PORT_MAX", L::error)) << name;
  }
}

TEST_F(CheckTest, UnsignedWebhooksAreAWarningNotAMissingSecret) {
  fake_env().erase("WHATSAPP_APP_SECRET");
  fake_env()["WHATSAPP_INSECURE_SKIP_SIGNATURE"] = "1";
  const auto out = run();
  EXPECT_TRUE(find(out, "WHATSAPP_APP_SECRET", L::warning));
  EXPECT_TRUE(find(out, "WHATSAPP_INSECURE_SKIP_SIGNATURE", L::warning));
  EXPECT_EQ(count(out, L::error), 0);
}

TEST_F(CheckTest, CredentialsFromTheTomlFileCount) {
  fake_env().erase("OPENAI_API_KEY");
  const auto path = std::filesystem::temp_directory_path() / "wab-check-creds.toml";
  std::ofstream(path) << "openai_api_key = \"sk-secret-value\"\n";
  const auto out = run({"--config", path.string()});
  EXPECT_TRUE(find(out, "OPENAI_API_KEY", L::ok));
  std::filesystem::remove(path);
}

TEST_F(CheckTest, BadTomlNamesTheFileAndLine) {
  const auto path = std::filesystem::temp_directory_path() / "wab-check-bad.toml";
  std::ofstream(path) << "port = 3000\nopenai_voice = \n";
  const auto out = run({"--config", path.string()});
  const Finding* f = find(out, "--config", L::error);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("line 2"), std::string::npos) << f->message;
  EXPECT_FALSE(config_);
  std::filesystem::remove(path);
}

TEST_F(CheckTest, BadProfilesAreErrors) {
  const auto path = std::filesystem::temp_directory_path() / "wab-check-profiles.toml";
  std::ofstream(path) << "[numbers.\"123\"]\nprovider = \"azure\"\n";
  auto out = run({"--config", path.string()});
  EXPECT_TRUE(find(out, "[numbers.\"123\"]", L::error));
  std::ofstream(path) << "[agent]\nno_such_field = 1\n";
  out = run({"--config", path.string()});
  EXPECT_GE(count(out, L::error), 1);
  std::filesystem::remove(path);
}

TEST_F(CheckTest, PublicIpNotOnThisHostIsAWarning) {
  fake_env()["MEDIA_PUBLIC_IP"] = "203.0.113.77";
  auto out = run();
  const Finding* f = find(out, "MEDIA_PUBLIC_IP", L::warning);
  ASSERT_TRUE(f);
  EXPECT_NE(f->fix.find("UDP"), std::string::npos);
  EXPECT_EQ(count(out, L::error), 0);
  fake_env()["MEDIA_PUBLIC_IP"] = "not-an-ip";
  out = run();
  EXPECT_TRUE(find(out, "MEDIA_PUBLIC_IP", L::error));
}

TEST_F(CheckTest, UnwritableCallDataDirIsAnError) {
  fake_env()["CALL_DATA_DIR"] = "/proc/wabridge-calls";
  EXPECT_TRUE(find(run(), "CALL_DATA_DIR", L::error));
}

// --- network ------------------------------------------------------------------------------------

Config local_config(std::uint16_t http_port, std::uint16_t udp_min, std::uint16_t udp_max) {
  Config c;
  c.http_host = "127.0.0.1";
  c.port = http_port;
  c.media_port_min = udp_min;
  c.media_port_max = udp_max;
  Bound closed(SOCK_STREAM, 0); // a port nothing listens on once this closes
  const std::uint16_t dead = closed.port;
  c.whatsapp_graph_url = "http://127.0.0.1:" + std::to_string(dead) + "/v24.0";
  c.openai_base_url = "http://127.0.0.1:" + std::to_string(dead) + "/v1";
  c.whatsapp_access_token = "access-secret-value";
  c.openai_api_key = "sk-secret-value";
  return c;
}

TEST_F(CheckTest, HttpPortInUseIsAnError) {
  Bound listener(SOCK_STREAM, 0);
  const auto out = check_network(local_config(listener.port, 1, 1), milliseconds(500));
  const Finding* f = find(out, "PORT", L::error);
  ASSERT_TRUE(f);
  EXPECT_NE(f->message.find("in use"), std::string::npos) << f->message;
}

TEST_F(CheckTest, UdpRangeTakenIsAnError) {
  Bound a(SOCK_DGRAM, 0);
  Bound free_port(SOCK_STREAM, 0);
  const std::uint16_t http = free_port.port;
  free_port.close_now();
  const auto out = check_network(local_config(http, a.port, a.port), milliseconds(500));
  EXPECT_TRUE(find(out, "MEDIA_PORT_MIN/MEDIA_PORT_MAX", L::error));
  EXPECT_FALSE(find(out, "PORT", L::error));
}

TEST_F(CheckTest, UnreachableEndpointsAreErrors) {
  Bound udp(SOCK_DGRAM, 0);
  const std::uint16_t port = udp.port;
  udp.close_now();
  const auto out = check_network(local_config(0, port, port), milliseconds(500));
  EXPECT_TRUE(find(out, "WHATSAPP_GRAPH_URL", L::error));
  EXPECT_TRUE(find(out, "OPENAI_BASE_URL", L::error));
}

TEST_F(CheckTest, TurnServersAreAskedForARealAllocation) {
  if (!wab::turn::test::turnserver_installed())
    GTEST_SKIP() << "turnserver (coturn) is not installed";
  wab::turn::test::CoturnServer server("wab", "turn-pass-1234", "wab.test");
  Config c;
  c.turn_urls = {"turn:" + server.address().to_string()};
  c.turn_username = "wab";
  c.turn_password = "turn-pass-1234";
  std::vector<Finding> out;
  check_turn(c, seconds(5), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].level, L::ok) << out[0].message;
  EXPECT_NE(out[0].message.find("allocates a relay"), std::string::npos) << out[0].message;

  c.turn_password = "wrong-pass-5678";
  out.clear();
  check_turn(c, seconds(5), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].level, L::error);
  EXPECT_NE(out[0].message.find("401 Unauthorized (credentials rejected)"), std::string::npos)
      << out[0].message;
  EXPECT_EQ(out[0].message.find("wrong-pass-5678"), std::string::npos);
}

TEST_F(CheckTest, TurnOverTcpAllocatesOverTcp) {
  if (!wab::turn::test::turnserver_installed())
    GTEST_SKIP() << "turnserver (coturn) is not installed";
  wab::turn::test::CoturnServer server("wab", "turn-pass-1234", "wab.test");
  Config c;
  ASSERT_TRUE(server.wait_until_listening());
  c.turn_urls = {"turn:" + server.address().to_string() + "?transport=tcp"};
  c.turn_username = "wab";
  c.turn_password = "turn-pass-1234";
  std::vector<Finding> out;
  check_turn(c, seconds(5), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].level, L::ok) << out[0].message;
  EXPECT_NE(out[0].message.find("?transport=tcp allocates a relay"), std::string::npos)
      << out[0].message;

  // Nothing speaks TLS there: the handshake never completes (or coturn, reading the
  // ClientHello as garbage, drops the connection first), and the finding says which.
  c.turn_urls = {"turns:" + server.address().to_string()};
  out.clear();
  check_turn(c, seconds(2), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].level, L::error) << out[0].message;
  const std::string& why = out[0].message;
  EXPECT_TRUE(why.find("turn tls handshake did not complete") != std::string::npos ||
              why.find("turn tls connection lost") != std::string::npos)
      << why;
}

TEST_F(CheckTest, UnreachableTurnServerIsAnError) {
  Bound udp(SOCK_DGRAM, 0);
  const std::uint16_t port = udp.port;
  udp.close_now();
  Config c;
  c.turn_urls = {"turn:127.0.0.1:" + std::to_string(port)};
  c.turn_username = "wab";
  c.turn_password = "turn-pass-1234";
  std::vector<Finding> out;
  check_turn(c, milliseconds(500), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].level, L::error);
  EXPECT_NE(out[0].message.find("unreachable"), std::string::npos) << out[0].message;
}

} // namespace
} // namespace wab::app
