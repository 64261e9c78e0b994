// DTLS-SRTP end to end: keys exported by two in-memory DtlsTransports key SrtpSessions that
// understand each other, for both profiles and whichever side is the DTLS client.
#include "dtls/dtls_pair.hpp"
#include "srtp/srtp_session.hpp"
#include "srtp_test_util.hpp"

#include <gtest/gtest.h>

#include <tuple>

namespace wab::srtp {
namespace {

using dtls::SrtpProfileOffer;

class DtlsSrtp : public ::testing::TestWithParam<std::tuple<SrtpProfileOffer, bool>> {};

TEST_P(DtlsSrtp, ExportedKeysProtectMediaBothWays) {
  const auto [offer, first_is_client] = GetParam();
  static const dtls::Certificate cert_a;
  static const dtls::Certificate cert_b;
  dtls::DtlsConfig config;
  config.srtp_profiles = offer;
  // "first" is always the same certificate; only its DTLS role changes.
  dtls::testing::DtlsPair pair(first_is_client ? cert_a : cert_b, first_is_client ? cert_b : cert_a,
                               config, config);
  const TimePoint t0{seconds(5)};
  pair.client.start(t0);
  pair.server.start(t0);
  pair.pump(t0);
  ASSERT_TRUE(pair.connected());
  const SrtpProfile expected = offer == SrtpProfileOffer::kCmOnly ? SrtpProfile::kAes128CmSha1_80
                                                                  : SrtpProfile::kAeadAes128Gcm;
  ASSERT_EQ(pair.client_events.keys->profile, expected);

  SrtpSession client(*pair.client_events.keys);
  SrtpSession server(*pair.server_events.keys);

  auto rtp = testing::make_rtp(42);
  const auto plain = rtp.bytes();
  ASSERT_TRUE(client.protect_rtp(rtp.data(), rtp.len, rtp.buf.size()));
  ASSERT_TRUE(server.unprotect_rtp(rtp.data(), rtp.len));
  EXPECT_EQ(rtp.bytes(), plain);

  auto back = testing::make_rtp(43, 0xabcdef01);
  const auto back_plain = back.bytes();
  ASSERT_TRUE(server.protect_rtp(back.data(), back.len, back.buf.size()));
  ASSERT_TRUE(client.unprotect_rtp(back.data(), back.len));
  EXPECT_EQ(back.bytes(), back_plain);

  auto rtcp = testing::make_rtcp();
  const auto rtcp_plain = rtcp.bytes();
  ASSERT_TRUE(server.protect_rtcp(rtcp.data(), rtcp.len, rtcp.buf.size()));
  ASSERT_TRUE(client.unprotect_rtcp(rtcp.data(), rtcp.len));
  EXPECT_EQ(rtcp.bytes(), rtcp_plain);

  // A session does not accept what it sent itself: the directions have different keys.
  auto own = testing::make_rtp(44);
  ASSERT_TRUE(client.protect_rtp(own.data(), own.len, own.buf.size()));
  EXPECT_FALSE(client.unprotect_rtp(own.data(), own.len));
}

INSTANTIATE_TEST_SUITE_P(ProfilesAndRoles, DtlsSrtp,
                         ::testing::Combine(::testing::Values(SrtpProfileOffer::kGcmAndCm,
                                                              SrtpProfileOffer::kCmOnly),
                                            ::testing::Bool()));

} // namespace
} // namespace wab::srtp
