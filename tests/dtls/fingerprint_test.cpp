#include "dtls/fingerprint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::dtls {
namespace {

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// FIPS 180-2 appendix B.1 / A.1: the digests of "abc".
TEST(Fingerprint, ComputesPublishedDigests) {
  EXPECT_EQ(compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha256).hex(),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:"
            "F2:00:15:AD");
  EXPECT_EQ(compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha1).hex(),
            "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D");
  EXPECT_EQ(compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha384).digest().size(), 48u);
  EXPECT_EQ(compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha512).digest().size(), 64u);
}

TEST(Fingerprint, ParsesLowerCaseTokenAsWhatsAppWritesIt) {
  const std::string hex =
      "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:"
      "15:AD";
  auto fp = Fingerprint::parse("sha-256 " + hex);
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->algorithm(), HashAlgorithm::kSha256);
  EXPECT_EQ(fp->hex(), hex);
  EXPECT_EQ(fp->to_sdp(), "sha-256 " + hex);
  EXPECT_EQ(*fp, compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha256));
}

TEST(Fingerprint, ParsesUpperCaseTokenAndLowerCaseHexAsAiortcMightWriteIt) {
  auto fp = Fingerprint::parse(
      "  SHA-256 ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:10:ff:"
      "61:f2:00:15:ad\r\n");
  ASSERT_TRUE(fp);
  EXPECT_EQ(*fp, compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha256));
}

TEST(Fingerprint, ParsesOtherAlgorithms) {
  auto fp = Fingerprint::parse("sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D");
  ASSERT_TRUE(fp);
  EXPECT_EQ(fp->algorithm(), HashAlgorithm::kSha1);
  EXPECT_EQ(*fp, compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha1));
}

TEST(Fingerprint, RejectsMalformedValues) {
  const std::string sha1 = "A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D";
  EXPECT_FALSE(Fingerprint::parse(""));
  EXPECT_FALSE(Fingerprint::parse("sha-1"));
  EXPECT_FALSE(Fingerprint::parse("md5 " + sha1));
  EXPECT_FALSE(Fingerprint::parse("sha-256 " + sha1));             // wrong length for algorithm
  EXPECT_FALSE(Fingerprint::parse("sha-1 " + sha1 + ":00"));       // one byte too many
  EXPECT_FALSE(Fingerprint::parse("sha-1 " + sha1.substr(0, 56))); // one too few
  std::string bad_separator = sha1;
  bad_separator[2] = '-';
  EXPECT_FALSE(Fingerprint::parse("sha-1 " + bad_separator));
  std::string bad_digit = sha1;
  bad_digit[0] = 'G';
  EXPECT_FALSE(Fingerprint::parse("sha-1 " + bad_digit));
}

TEST(Fingerprint, EqualityNeedsSameAlgorithmAndDigest) {
  const auto a = compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha256);
  const auto b = compute_fingerprint(as_bytes("abd"), HashAlgorithm::kSha256);
  const auto c = compute_fingerprint(as_bytes("abc"), HashAlgorithm::kSha512);
  EXPECT_EQ(a, a);
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a == c);
}

TEST(Fingerprint, ConstructorChecksDigestLength) {
  std::uint8_t digest[20] = {};
  EXPECT_THROW(Fingerprint(HashAlgorithm::kSha256, digest), std::invalid_argument);
  EXPECT_NO_THROW(Fingerprint(HashAlgorithm::kSha1, digest));
}

TEST(HashAlgorithm, TokenIsCaseInsensitive) {
  EXPECT_EQ(parse_hash_algorithm("sha-256"), HashAlgorithm::kSha256);
  EXPECT_EQ(parse_hash_algorithm("SHA-256"), HashAlgorithm::kSha256);
  EXPECT_EQ(parse_hash_algorithm("Sha-384"), HashAlgorithm::kSha384);
  EXPECT_EQ(parse_hash_algorithm("sha-512"), HashAlgorithm::kSha512);
  EXPECT_FALSE(parse_hash_algorithm("sha256"));
}

} // namespace
} // namespace wab::dtls
