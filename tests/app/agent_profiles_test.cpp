// Per-number agent profiles from the TOML file: inheritance from [agent] and the environment,
// tools, announcements, and errors that name the table and field.
#include "app/agent_profiles.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

namespace wab::app {
namespace {

std::map<std::string, std::string> g_env;
const char* lookup_env(const char* name) {
  auto it = g_env.find(name);
  return it == g_env.end() ? nullptr : it->second.c_str();
}

class AgentProfilesTest : public ::testing::Test {
protected:
  void SetUp() override {
    g_env = {{"WHATSAPP_VERIFY_TOKEN", "v"},
             {"WHATSAPP_APP_SECRET", "s"},
             {"WHATSAPP_ACCESS_TOKEN", "t"}};
  }
  void TearDown() override { std::remove(path_.c_str()); }

  Config load(const std::string& toml) {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    std::fputs(toml.c_str(), f);
    std::fclose(f);
    std::string flag = "--config";
    std::vector<char*> argv = {flag.data(), path_.data()};
    return load_config(2, argv.data(), lookup_env);
  }
  std::string error_of(const std::string& toml) {
    try {
      const Config c = load(toml);
      AnnouncementStore store;
      build_agent_profiles(c, store);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  std::string path_ = ::testing::TempDir() + "wabridge-profiles-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".toml";
};

constexpr const char* kTwoNumbers = R"(
openai_voice = "marin"

[agent]
instructions = "You answer for Luigi's."
greeting = "Welcome the caller to Luigi's."
dtmf_message = "Keypad: {digit}"

[[agent.tools]]
name = "check_availability"
description = "Free tables for a party size"
url = "http://127.0.0.1:9/availability"
timeout_seconds = 3
headers = { "X-Api-Key" = "backend-secret" }
parameters = { type = "object", properties = { party = { type = "integer" } }, required = ["party"] }

[numbers."106540352242922"]
voice = "shimmer"
greeting = "Welcome to Luigi's second shop."
fallback = "announce"

[numbers."106540352242923"]
instructions = "You answer for the bakery."
end_call_tool = false
tools = []
)";

TEST_F(AgentProfilesTest, NumbersInheritTheDefaultAndOverrideWhatTheySet) {
  const Config c = load(kTwoNumbers);
  AnnouncementStore store;
  const auto profiles = build_agent_profiles(c, store);

  const auto& base = profiles.default_profile;
  EXPECT_EQ(base.session.voice, "marin");
  EXPECT_EQ(base.session.instructions, "You answer for Luigi's.");
  EXPECT_EQ(base.greeting, "Welcome the caller to Luigi's.");
  EXPECT_EQ(base.dtmf_message, "Keypad: {digit}");
  EXPECT_EQ(base.fallback, bridge::Fallback::reject);
  ASSERT_EQ(base.http_tools.size(), 1u);
  EXPECT_EQ(base.http_tools[0].timeout, seconds(3));
  EXPECT_EQ(base.http_tools[0].headers[0].second, "backend-secret");
  ASSERT_EQ(base.session.tools.size(), 2u); // end_call + the HTTP tool
  EXPECT_EQ(base.session.tools[0].name, "end_call");
  EXPECT_EQ(base.session.tools[1].parameters["required"][0], "party");

  const auto& second = profiles.for_number("106540352242922");
  EXPECT_EQ(second.session.voice, "shimmer");
  EXPECT_EQ(second.session.instructions, "You answer for Luigi's."); // inherited
  EXPECT_EQ(second.greeting, "Welcome to Luigi's second shop.");
  EXPECT_EQ(second.fallback, bridge::Fallback::announce);
  ASSERT_NE(second.announcement, nullptr); // the built-in recording
  EXPECT_GT(second.announcement->packets.size(), 100u);
  EXPECT_EQ(second.session.tools.size(), 2u);

  const auto& bakery = profiles.for_number("106540352242923");
  EXPECT_EQ(bakery.session.instructions, "You answer for the bakery.");
  EXPECT_TRUE(bakery.session.tools.empty()); // no end_call, tools replaced by none
  EXPECT_EQ(&profiles.for_number("999"), &profiles.default_profile);
}

TEST_F(AgentProfilesTest, TheEnvironmentOverridesTheFilesDefaultProfile) {
  g_env["OPENAI_INSTRUCTIONS"] = "From the environment.";
  const Config c = load(kTwoNumbers);
  AnnouncementStore store;
  const auto profiles = build_agent_profiles(c, store);
  EXPECT_EQ(profiles.default_profile.session.instructions, "From the environment.");
  // A number's own table is more specific than any default.
  EXPECT_EQ(profiles.for_number("106540352242923").session.instructions,
            "You answer for the bakery.");
}

TEST_F(AgentProfilesTest, TheDocumentedExampleLoads) {
  std::string flag = "--config";
  std::string path = WAB_SOURCE_DIR "/config/example.toml";
  std::vector<char*> argv = {flag.data(), path.data()};
  const Config c = load_config(2, argv.data(), lookup_env);
  AnnouncementStore store;
  const auto profiles = build_agent_profiles(c, store);
  EXPECT_EQ(profiles.by_number.size(), 2u);
  EXPECT_TRUE(profiles.for_number("106540352242923").session.tools.size() == 1u); // end_call
  EXPECT_EQ(profiles.for_number("106540352242922").http_tools[0].function.name, "place_order");
  EXPECT_EQ(profiles.default_profile.http_tools[0].function.name, "check_availability");
}

TEST_F(AgentProfilesTest, MistakesNameTheTableAndTheField) {
  EXPECT_NE(error_of("[agent]\nvoise = \"x\"\n").find("[agent] unknown key 'voise'"),
            std::string::npos);
  EXPECT_NE(error_of("[numbers.\"12\"]\nfallback = \"voicemail\"\n").find("[numbers.\"12\"]"),
            std::string::npos);
  EXPECT_NE(error_of("[agent]\nprovider = \"gcp\"\n").find("'provider'"), std::string::npos);
  EXPECT_EQ(error_of("[numbers.\"12\"]\nprovider = \"azure\"\n"), "");
  EXPECT_EQ(error_of("[numbers.\"12\"]\nprovider = \"gpt-live\"\n"), "");
  EXPECT_NE(error_of("[numbers.abc]\nvoice = \"x\"\n").find("phone_number_id"), std::string::npos);
  EXPECT_NE(error_of("[[agent.tools]]\nname = \"a b\"\nurl = \"http://x\"\n").find("'name'"),
            std::string::npos);
  EXPECT_NE(error_of("[[agent.tools]]\nname = \"t\"\nurl = \"ftp://x\"\n").find("'url'"),
            std::string::npos);
  EXPECT_NE(
      error_of("[[agent.tools]]\nname = \"end_call\"\nurl = \"http://x\"\n").find("declared twice"),
      std::string::npos);
  EXPECT_NE(error_of("openai_voice = \"a\"\n[agent]\nvoice = \"b\"\n").find("twice"),
            std::string::npos);
  EXPECT_NE(error_of("[numbers.\"12\"]\nfallback = \"announce\"\nannouncement = \"/nope.ogg\"\n")
                .find("[numbers.\"12\"]: cannot open"),
            std::string::npos);
}

} // namespace
} // namespace wab::app
