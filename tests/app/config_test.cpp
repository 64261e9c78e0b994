#include "app/config.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

namespace wab::app {
namespace {

// A fake environment for load_config.
std::map<std::string, std::string>& fake_env() {
  static std::map<std::string, std::string> env;
  return env;
}
const char* lookup(const char* name) {
  auto it = fake_env().find(name);
  return it == fake_env().end() ? nullptr : it->second.c_str();
}

class ConfigTest : public ::testing::Test {
protected:
  void SetUp() override {
    fake_env() = {{"WHATSAPP_VERIFY_TOKEN", "verify"},
                  {"WHATSAPP_APP_SECRET", "app-secret"},
                  {"WHATSAPP_ACCESS_TOKEN", "access"}};
  }
  Config load(std::vector<std::string> flags = {}) {
    std::vector<char*> argv;
    for (auto& f : flags)
      argv.push_back(f.data());
    return load_config(static_cast<int>(argv.size()), argv.data(), lookup);
  }
  // The ConfigError message, or "" when loading succeeded.
  std::string error_of(std::vector<std::string> flags = {}) {
    try {
      load(std::move(flags));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(ConfigTest, DefaultsFollowTheInterfaceContract) {
  const Config c = load();
  EXPECT_EQ(c.port, 3000);
  EXPECT_EQ(c.http_host, "0.0.0.0");
  EXPECT_EQ(c.media_port_min, 40000);
  EXPECT_EQ(c.media_port_max, 49999);
  EXPECT_EQ(c.whatsapp_graph_url, "https://graph.facebook.com/v24.0");
  EXPECT_EQ(c.openai_base_url, "https://api.openai.com/v1");
  EXPECT_EQ(c.openai_voice, "alloy");
  EXPECT_EQ(c.openai_auth, "apikey");
  EXPECT_TRUE(c.openai_api_key.empty());
}

TEST_F(ConfigTest, CallLimitsAndFallbackHaveSafeDefaultsAndAreChecked) {
  Config c = load();
  EXPECT_EQ(c.accept_window, seconds(30));
  EXPECT_EQ(c.agent_setup_timeout, seconds(20));
  EXPECT_EQ(c.max_call_duration, seconds(7200));
  EXPECT_EQ(c.drain_grace, seconds(30));
  EXPECT_EQ(c.fallback, "reject");
  fake_env()["FALLBACK"] = "announce";
  fake_env()["FALLBACK_ANNOUNCEMENT"] = "sorry.ogg";
  fake_env()["MAX_CALL_DURATION_SECONDS"] = "0"; // no limit
  fake_env()["AGENT_SETUP_TIMEOUT_SECONDS"] = "5";
  c = load();
  EXPECT_EQ(c.fallback, "announce");
  EXPECT_EQ(c.fallback_announcement, "sorry.ogg");
  EXPECT_EQ(c.max_call_duration, Duration::zero());
  EXPECT_EQ(c.agent_setup_timeout, seconds(5));
  fake_env()["FALLBACK"] = "voicemail";
  EXPECT_NE(error_of().find("FALLBACK"), std::string::npos);
  fake_env()["FALLBACK"] = "reject";
  fake_env()["AGENT_SETUP_TIMEOUT_SECONDS"] = "0";
  EXPECT_NE(error_of().find("AGENT_SETUP_TIMEOUT_SECONDS"), std::string::npos);
  fake_env()["AGENT_SETUP_TIMEOUT_SECONDS"] = "5";
  EXPECT_EQ(load().call_data_retention_days, 30u);
  fake_env()["AZURE_OPENAI_API_KEY"] = "azure-key";
  EXPECT_NE(error_of().find("AZURE_OPENAI_BASE_URL"), std::string::npos);
  EXPECT_EQ(error_of().find("azure-key"), std::string::npos);
  fake_env()["AZURE_OPENAI_BASE_URL"] = "https://res.openai.azure.com/openai/v1";
  EXPECT_EQ(error_of(), "");
  fake_env()["RECORD_CALLS"] = "1";
  EXPECT_NE(error_of().find("CALL_DATA_DIR"), std::string::npos);
  fake_env()["CALL_DATA_DIR"] = "calls";
  fake_env()["CALL_DATA_RETENTION_DAYS"] = "7";
  c = load();
  EXPECT_TRUE(c.record_calls);
  EXPECT_EQ(c.call_data_dir, "calls");
  EXPECT_EQ(c.call_data_retention_days, 7u);
}

TEST_F(ConfigTest, RolloverInSecondsOverridesMinutes) {
  EXPECT_EQ(load().agent_rollover_after, std::chrono::minutes(55));
  fake_env()["AGENT_ROLLOVER_MINUTES"] = "30";
  EXPECT_EQ(load().agent_rollover_after, std::chrono::minutes(30));
  fake_env()["AGENT_ROLLOVER_SECONDS"] = "90";
  EXPECT_EQ(load().agent_rollover_after, seconds(90));
  fake_env()["AGENT_ROLLOVER_SECONDS"] = "0"; // never
  EXPECT_EQ(load().agent_rollover_after, Duration::zero());
  for (const char* bad : {"5", "3600", "x"}) {
    fake_env()["AGENT_ROLLOVER_SECONDS"] = bad;
    EXPECT_NE(error_of().find("AGENT_ROLLOVER_SECONDS"), std::string::npos) << bad;
  }
}

TEST_F(ConfigTest, TurnSettingsAreParsedCheckedAndThePasswordIsASecret) {
  EXPECT_TRUE(load().turn_urls.empty());
  EXPECT_EQ(load().ice_transport_policy, "all");
  fake_env()["TURN_URLS"] = "turn:192.0.2.1:3478, turn:[2001:db8::1]:3479?transport=udp";
  fake_env()["TURN_USERNAME"] = "user";
  fake_env()["TURN_PASSWORD"] = "turn-pass-1234";
  fake_env()["ICE_TRANSPORT_POLICY"] = "relay";
  const Config c = load();
  ASSERT_EQ(c.turn_urls.size(), 2u);
  EXPECT_EQ(c.turn_urls[1], "turn:[2001:db8::1]:3479?transport=udp");
  EXPECT_EQ(c.ice_transport_policy, "relay");
  const auto secrets = c.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "turn-pass-1234"), secrets.end());

  fake_env()["ICE_TRANSPORT_POLICY"] = "direct";
  EXPECT_EQ(error_of(), "ICE_TRANSPORT_POLICY: expected all or relay, got 'direct'");
  fake_env()["ICE_TRANSPORT_POLICY"] = "relay";
  fake_env()["TURN_URLS"] = "stun:192.0.2.1";
  EXPECT_EQ(error_of().rfind("TURN_URLS: 'stun:192.0.2.1': ", 0), 0u) << error_of();
  // TCP and TLS servers are accepted; TLS trusts TURN_TLS_CA_FILE when set.
  fake_env()["TURN_URLS"] = "turns:192.0.2.1, turn:192.0.2.2?transport=tcp";
  fake_env()["TURN_TLS_CA_FILE"] = "/etc/wabridge/turn-ca.pem";
  const Config streams = load();
  EXPECT_EQ(streams.turn_urls,
            (std::vector<std::string>{"turns:192.0.2.1", "turn:192.0.2.2?transport=tcp"}));
  EXPECT_EQ(streams.turn_tls_ca_file, "/etc/wabridge/turn-ca.pem");
  fake_env().erase("TURN_TLS_CA_FILE");
  fake_env()["TURN_URLS"] = "turns:192.0.2.1?transport=udp";
  EXPECT_NE(error_of().find("turns: is always TLS"), std::string::npos) << error_of();
  fake_env()["TURN_URLS"] = "";
  EXPECT_EQ(error_of(), "ICE_TRANSPORT_POLICY: relay needs TURN_URLS");
  fake_env()["TURN_URLS"] = "turn:192.0.2.1";
  fake_env().erase("TURN_PASSWORD");
  EXPECT_EQ(error_of(), "TURN_URLS: needs TURN_USERNAME and TURN_PASSWORD");
}

TEST_F(ConfigTest, FlagsOverrideTheEnvironment) {
  fake_env()["PORT"] = "8080";
  EXPECT_EQ(load().port, 8080);
  EXPECT_EQ(load({"--port", "9090"}).port, 9090);
}

TEST_F(ConfigTest, BadValuesNameTheSetting) {
  fake_env()["PORT"] = "80a";
  EXPECT_NE(error_of().find("PORT"), std::string::npos);
  fake_env()["PORT"] = "70000";
  EXPECT_NE(error_of().find("PORT"), std::string::npos);
  fake_env().erase("PORT");
  fake_env()["MEDIA_PORT_MIN"] = "50000";
  fake_env()["MEDIA_PORT_MAX"] = "40000";
  EXPECT_NE(error_of().find("MEDIA_PORT_MIN"), std::string::npos);
  fake_env().erase("MEDIA_PORT_MIN");
  fake_env().erase("MEDIA_PORT_MAX");
  fake_env()["OPENAI_AUTH"] = "magic";
  EXPECT_NE(error_of().find("OPENAI_AUTH"), std::string::npos);
  fake_env()["OPENAI_AUTH"] = "ephemeral";
  EXPECT_EQ(error_of(), "");
  EXPECT_NE(error_of({"--bogus"}).find("--bogus"), std::string::npos);
}

TEST_F(ConfigTest, RequiredSecretsAreEnforcedWithoutEchoingThem) {
  fake_env().erase("WHATSAPP_APP_SECRET");
  EXPECT_NE(error_of().find("WHATSAPP_APP_SECRET"), std::string::npos);
  fake_env()["WHATSAPP_INSECURE_SKIP_SIGNATURE"] = "1";
  EXPECT_EQ(error_of(), "");
  fake_env().erase("WHATSAPP_VERIFY_TOKEN");
  const std::string message = error_of();
  EXPECT_NE(message.find("WHATSAPP_VERIFY_TOKEN"), std::string::npos);
  EXPECT_EQ(message.find("access"), std::string::npos);
}

// Writes a TOML file for one test and removes it afterwards.
struct TomlFile {
  explicit TomlFile(const std::string& text)
      : path(::testing::TempDir() + "wabridge-config-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml") {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  ~TomlFile() { std::remove(path.c_str()); }
  std::string path;
};

TEST_F(ConfigTest, TomlFileSitsBetweenDefaultsAndTheEnvironment) {
  TomlFile file("port = 4000\nopenai_voice = \"marin\"\nmedia_port_min = 41000\n"
                "whatsapp_insecure_skip_signature = true\n");
  Config c = load({"--config", file.path});
  EXPECT_EQ(c.port, 4000);
  EXPECT_EQ(c.openai_voice, "marin");
  EXPECT_EQ(c.media_port_min, 41000);
  EXPECT_TRUE(c.whatsapp_insecure_skip_signature);
  fake_env()["PORT"] = "5000";
  EXPECT_EQ(load({"--config", file.path}).port, 5000);
  EXPECT_EQ(load({"--config", file.path, "--port", "6000"}).port, 6000);
}

TEST_F(ConfigTest, TomlUnknownKeyOrBadSyntaxIsAnError) {
  TomlFile unknown("port = 4000\nvoice = \"marin\"\n");
  EXPECT_NE(error_of({"--config", unknown.path}).find("unknown key 'voice'"), std::string::npos);
  TomlFile broken("port = = 4000\n");
  EXPECT_NE(error_of({"--config", broken.path}).find("--config"), std::string::npos);
  TomlFile wrong_type("port = [1, 2]\n");
  EXPECT_NE(error_of({"--config", wrong_type.path}).find("'port'"), std::string::npos);
}

} // namespace
} // namespace wab::app

namespace wab::app {
namespace {

TEST_F(ConfigTest, ClusterSettingsDefaultToASingleNode) {
  const Config c = load();
  EXPECT_TRUE(c.redis_url.empty());
  EXPECT_FALSE(c.node_id.empty()); // host name and pid
  EXPECT_EQ(c.cluster_call_ttl, seconds(15));
  EXPECT_EQ(c.max_calls_per_number, 1000u);
}

TEST_F(ConfigTest, ClusterSettingsAreReadAndChecked) {
  fake_env()["REDIS_URL"] = "redis://:Pw0rdSecret@10.1.2.3:6380/2";
  fake_env()["NODE_ID"] = "eu-1";
  fake_env()["CLUSTER_CALL_TTL_SECONDS"] = "6";
  fake_env()["MAX_CALLS_PER_NUMBER"] = "250";
  const Config c = load();
  EXPECT_EQ(c.node_id, "eu-1");
  EXPECT_EQ(c.cluster_call_ttl, seconds(6));
  EXPECT_EQ(c.max_calls_per_number, 250u);
  const auto secrets = c.secrets();
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "Pw0rdSecret"), secrets.end());

  fake_env()["REDIS_URL"] = "redis://:Pw0rdSecret@10.1.2.3:99999";
  const std::string bad_url = error_of();
  EXPECT_NE(bad_url.find("REDIS_URL"), std::string::npos) << bad_url;
  EXPECT_EQ(bad_url.find("Pw0rdSecret"), std::string::npos) << bad_url;
  fake_env()["REDIS_URL"] = "redis://127.0.0.1";
  fake_env()["NODE_ID"] = "a|b";
  EXPECT_NE(error_of().find("NODE_ID"), std::string::npos);
  fake_env()["NODE_ID"] = "ok";
  fake_env()["CLUSTER_CALL_TTL_SECONDS"] = "1";
  EXPECT_NE(error_of().find("CLUSTER_CALL_TTL_SECONDS"), std::string::npos);
  fake_env()["CLUSTER_CALL_TTL_SECONDS"] = "15";
  fake_env()["MAX_CALLS_PER_NUMBER"] = "0";
  EXPECT_NE(error_of().find("MAX_CALLS_PER_NUMBER"), std::string::npos);
}

TEST_F(ConfigTest, WorkersDefaultToTheCoresWeMayRunOnAndAreChecked) {
  const Config defaults = load();
  EXPECT_GE(defaults.workers, 1u);
  EXPECT_EQ(defaults.workers, Config::default_workers());
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(defaults.workers, static_cast<std::uint32_t>(std::min(CPU_COUNT(&set), 64)));

  fake_env()["WORKERS"] = "3";
  EXPECT_EQ(load().workers, 3u);
  fake_env()["WORKERS"] = "AUTO";
  EXPECT_EQ(load().workers, Config::default_workers());
  for (const char* bad : {"0", "257", "two", "-1"}) {
    fake_env()["WORKERS"] = bad;
    EXPECT_NE(error_of().find("WORKERS"), std::string::npos) << bad;
  }
}

} // namespace
} // namespace wab::app
