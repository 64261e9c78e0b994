// Published test vectors for the pieces under SrtpSession: RFC 3711 Appendix B.2 (AES-CM
// keystream) and B.3 (key derivation), RFC 7714 §16.1.1 / §17.1 (AEAD_AES_128_GCM SRTP and SRTCP
// with the session key and salt given directly).
#include "srtp/srtp_kdf.hpp"
#include "srtp/srtp_transform.hpp"

#include "srtp_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace wab::srtp {
namespace {

using testing::from_hex;

std::vector<std::uint8_t> kdf(const std::vector<std::uint8_t>& key,
                              const std::vector<std::uint8_t>& salt, KdfLabel label,
                              std::size_t n) {
  std::vector<std::uint8_t> out(n);
  srtp_kdf(key.data(), salt.data(), salt.size(), label, out.data(), n);
  return out;
}

TEST(SrtpKdf, Rfc3711AppendixB3) {
  const auto key = from_hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto salt = from_hex("0EC675AD498AFEEBB6960B3AABE6");
  EXPECT_EQ(kdf(key, salt, KdfLabel::kRtpEncryption, 16),
            from_hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(kdf(key, salt, KdfLabel::kRtpSalt, 14), from_hex("30CBBC08863D8C85D49DB34A9AE1"));
  EXPECT_EQ(kdf(key, salt, KdfLabel::kRtpAuth, 20),
            from_hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));

  const SessionKeys all = derive_session_keys(key.data(), salt.data(), salt.size());
  EXPECT_TRUE(std::equal(all.rtp_key.begin(), all.rtp_key.end(),
                         from_hex("C61E7A93744F39EE10734AFE3FF7A087").begin()));
  // RTCP labels give different keys.
  EXPECT_NE(all.rtcp_key, all.rtp_key);
}

SessionKeys direct_keys(const std::vector<std::uint8_t>& key,
                        const std::vector<std::uint8_t>& salt) {
  SessionKeys k;
  std::copy(key.begin(), key.end(), k.rtp_key.begin());
  std::copy(key.begin(), key.end(), k.rtcp_key.begin());
  std::copy(salt.begin(), salt.end(), k.rtp_salt.begin());
  std::copy(salt.begin(), salt.end(), k.rtcp_salt.begin());
  return k;
}

TEST(SrtpTransformVectors, Rfc3711AppendixB2Keystream) {
  const SessionKeys keys = direct_keys(from_hex("2B7E151628AED2A6ABF7158809CF4F3C"),
                                       from_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"));
  SrtpTransform t(SrtpProfile::kAes128CmSha1_80, keys, true);
  // SSRC 0, index 0: the payload of zeros becomes the keystream itself.
  std::vector<std::uint8_t> buf(12 + 48 + 10, 0);
  buf[0] = 0x80;
  ASSERT_EQ(t.protect_rtp(buf.data(), 60, 12, 0, 0), 70u);
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin() + 12, buf.begin() + 60),
            from_hex("E03EAD0935C95E80E166B16DD92B4EB4"
                     "D23513162B02D0F72A43A2FE4A5F97AB"
                     "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

const char* const kGcmKey = "000102030405060708090a0b0c0d0e0f";
const char* const kGcmSalt = "517569642070726f2071756f";

TEST(SrtpTransformVectors, Rfc7714Section16Rtp) {
  const SessionKeys keys = direct_keys(from_hex(kGcmKey), from_hex(kGcmSalt));
  const auto plain = from_hex("8040f17b8041f8d35501a0b2"
                              "47616c6c696120657374206f6d6e69732064697669736120"
                              "696e207061727465732074726573");
  const auto expected = from_hex("8040f17b8041f8d35501a0b2"
                                 "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f"
                                 "42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf"
                                 "765ee4390cce");
  SrtpTransform out(SrtpProfile::kAeadAes128Gcm, keys, true);
  SrtpTransform in(SrtpProfile::kAeadAes128Gcm, keys, false);
  std::vector<std::uint8_t> buf(128);
  std::copy(plain.begin(), plain.end(), buf.begin());
  const std::size_t n = out.protect_rtp(buf.data(), plain.size(), 12, 0x5501a0b2, 0xf17b);
  ASSERT_EQ(n, expected.size());
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + n), expected);
  ASSERT_EQ(in.unprotect_rtp(buf.data(), n, 12, 0x5501a0b2, 0xf17b), plain.size());
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + plain.size()), plain);
  // Another ROC gives another IV: authentication fails.
  std::copy(expected.begin(), expected.end(), buf.begin());
  EXPECT_EQ(in.unprotect_rtp(buf.data(), n, 12, 0x5501a0b2, 0x1f17b), 0u);
}

TEST(SrtpTransformVectors, Rfc7714Section17Rtcp) {
  const SessionKeys keys = direct_keys(from_hex(kGcmKey), from_hex(kGcmSalt));
  const auto plain = from_hex("81c8000d4d617273"
                              "4e5450314e545032525450200000042a0000e9304c756e61"
                              "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
  const auto expected = from_hex("81c8000d4d617273"
                                 "63e94885dcdab67ca727d7662f6b7e997ff5c0f7"
                                 "6c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275b"
                                 "c84aa45896cf4d2fc5abf87245d9eade"
                                 "800005d4");
  SrtpTransform out(SrtpProfile::kAeadAes128Gcm, keys, true);
  SrtpTransform in(SrtpProfile::kAeadAes128Gcm, keys, false);
  std::vector<std::uint8_t> buf(128);
  std::copy(plain.begin(), plain.end(), buf.begin());
  const std::size_t n = out.protect_rtcp(buf.data(), plain.size(), 0x4d617273, 0x5d4);
  ASSERT_EQ(n, expected.size());
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + n), expected);
  ASSERT_EQ(in.unprotect_rtcp(buf.data(), n, 0x4d617273, 0x5d4, true), plain.size());
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + plain.size()), plain);
}

} // namespace
} // namespace wab::srtp
