#include "whatsapp/signature.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::whatsapp {
namespace {

// RFC 4231 §4.3, test case 2 (HMAC-SHA-256).
constexpr const char* kRfc4231Case2 =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
// RFC 4231 §4.2, test case 1: key = 20 bytes of 0x0b, data = "Hi There".
constexpr const char* kRfc4231Case1 =
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

TEST(Signature, Rfc4231Vectors) {
  EXPECT_EQ(sign_body("Jefe", "what do ya want for nothing?"),
            std::string("sha256=") + kRfc4231Case2);
  const std::string key(20, '\x0b');
  EXPECT_EQ(sign_body(key, "Hi There"), std::string("sha256=") + kRfc4231Case1);
  EXPECT_TRUE(verify_signature(key, "Hi There", std::string("sha256=") + kRfc4231Case1));
}

TEST(Signature, AcceptsLowerAndUpperHexAndSpaces) {
  const std::string body = "what do ya want for nothing?";
  EXPECT_TRUE(verify_signature("Jefe", body, std::string("sha256=") + kRfc4231Case2));
  EXPECT_TRUE(verify_signature("Jefe", body, std::string("sha256=") + upper(kRfc4231Case2)));
  EXPECT_TRUE(verify_signature("Jefe", body, std::string(" sha256=") + kRfc4231Case2 + " "));
  EXPECT_TRUE(verify_signature("Jefe", body, std::string("SHA256=") + kRfc4231Case2));
}

TEST(Signature, RejectsWrongBodyKeyOrDigest) {
  const std::string body = "what do ya want for nothing?";
  const std::string good = std::string("sha256=") + kRfc4231Case2;
  EXPECT_FALSE(verify_signature("Jefe", body + " ", good));
  EXPECT_FALSE(verify_signature("jefe", body, good));
  std::string flipped = good;
  flipped.back() = flipped.back() == '3' ? '4' : '3';
  EXPECT_FALSE(verify_signature("Jefe", body, flipped));
}

TEST(Signature, RejectsMissingOrMalformedHeaders) {
  const std::string body = "what do ya want for nothing?";
  const std::string hex = kRfc4231Case2;
  EXPECT_FALSE(verify_signature("Jefe", body, ""));
  EXPECT_FALSE(verify_signature("Jefe", body, hex));                       // no prefix
  EXPECT_FALSE(verify_signature("Jefe", body, "sha1=" + hex));             // other algorithm
  EXPECT_FALSE(verify_signature("Jefe", body, "sha256=" + hex.substr(2))); // short
  EXPECT_FALSE(verify_signature("Jefe", body, "sha256=" + hex + "00"));    // long
  std::string not_hex = hex;
  not_hex[10] = 'g';
  EXPECT_FALSE(verify_signature("Jefe", body, "sha256=" + not_hex));
  EXPECT_FALSE(verify_signature("Jefe", body, "sha256= " + hex));
}

TEST(Signature, EmptySecretNeverVerifies) {
  EXPECT_EQ(sign_body("", "body"), "");
  // HMAC with an empty key is computable by anyone, so it must not pass as a configuration.
  EXPECT_FALSE(verify_signature("", "body", "sha256=" + std::string(64, '0')));
}

TEST(Signature, EmptyBodyRoundTrips) {
  const std::string header = sign_body("secret", "");
  ASSERT_EQ(header.size(), 7u + 64u);
  EXPECT_TRUE(verify_signature("secret", "", header));
  EXPECT_FALSE(verify_signature("secret", "x", header));
}

} // namespace
} // namespace wab::whatsapp
