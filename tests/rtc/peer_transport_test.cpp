#include "rtc/peer_transport.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>
#include <random>

#include "leg_pair.hpp"
#include "srtp/srtp_session.hpp"

namespace wab::rtc {
namespace {

using testing::LegPair;

// A 20-byte-payload RTP packet with a recognisable payload, protected in place by the transport.
bool send_test_rtp(PeerTransport& t, std::uint16_t seq, std::uint8_t fill) {
  std::uint8_t buf[12 + 20 + srtp::kMaxTrailer] = {};
  buf[0] = 0x80;
  buf[1] = 111;
  buf[2] = static_cast<std::uint8_t>(seq >> 8);
  buf[3] = static_cast<std::uint8_t>(seq);
  buf[11] = 0x42;
  std::memset(buf + 12, fill, 20);
  return t.send_rtp(buf, 32, sizeof buf);
}

TEST(PeerTransport, ConnectsAndCarriesRtpAndDataBothWays) {
  net::EventLoop loop;
  LegPair legs(loop, /*data_channel=*/true);
  legs.negotiate();
  ASSERT_TRUE(legs.run_until(
      [&] { return legs.offerer_events.connected && legs.answerer_events.connected; },
      seconds(10)));
  EXPECT_EQ(legs.offerer->ice_role(), IceRole::controlling);
  EXPECT_EQ(legs.answerer->ice_role(), IceRole::controlled);
  ASSERT_TRUE(legs.offerer->srtp_profile().has_value());
  EXPECT_EQ(*legs.offerer->srtp_profile(), dtls::SrtpProfile::kAeadAes128Gcm);

  for (std::uint16_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(send_test_rtp(*legs.offerer, i, 0xA0));
    EXPECT_TRUE(send_test_rtp(*legs.answerer, i, 0xB0));
  }
  auto id = legs.offerer->open_channel("oai-events");
  ASSERT_TRUE(id.has_value());
  const std::string hello = R"({"type":"session.update"})";
  legs.offerer->send_message(
      *id, Bytes(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size()), false);
  ASSERT_TRUE(legs.run_until(
      [&] {
        return legs.offerer_events.rtp.size() == 10 && legs.answerer_events.rtp.size() == 10 &&
               legs.answerer_events.messages.size() == 1;
      },
      seconds(10)));
  EXPECT_EQ(legs.answerer_events.rtp[3][12], 0xA0);
  EXPECT_EQ(legs.offerer_events.rtp[3][12], 0xB0);
  EXPECT_EQ(legs.answerer_events.messages[0], hello);
  EXPECT_EQ(legs.answerer->counters().srtp_errors, 0u);
}

TEST(PeerTransport, WrongFingerprintFailsTheLegWithAClearReason) {
  net::EventLoop loop;
  LegPair legs(loop, /*data_channel=*/false);
  legs.negotiate([](RemoteParameters& view) {
    std::vector<std::uint8_t> digest(view.fingerprint.digest().begin(),
                                     view.fingerprint.digest().end());
    digest[5] ^= 0x55;
    view.fingerprint = dtls::Fingerprint(view.fingerprint.algorithm(), digest);
  });
  ASSERT_TRUE(legs.run_until([&] { return !legs.answerer_events.failed.empty(); }, seconds(10)));
  EXPECT_NE(legs.answerer_events.failed.find("fingerprint mismatch"), std::string::npos)
      << legs.answerer_events.failed;
  EXPECT_FALSE(legs.answerer_events.connected);
}

TEST(PeerTransport, PeerThatVanishesLosesConsentWithinThirtySeconds) {
  net::EventLoop loop;
  LegPair legs(loop, /*data_channel=*/false);
  legs.negotiate();
  ASSERT_TRUE(legs.run_until(
      [&] { return legs.offerer_events.connected && legs.answerer_events.connected; },
      seconds(10)));
  const TimePoint vanished = Clock::now();
  legs.answerer.reset(); // its socket closes: consent checks go unanswered
  ASSERT_TRUE(legs.run_until([&] { return !legs.offerer_events.failed.empty(); }, seconds(40)));
  EXPECT_LE(Clock::now() - vanished, seconds(31));
  EXPECT_NE(legs.offerer_events.failed.find("consent"), std::string::npos)
      << legs.offerer_events.failed;
}

TEST(PeerTransport, SprayedGarbageIsCountedAndDoesNotDisturbOtherLegs) {
  net::EventLoop loop;
  LegPair victim(loop, /*data_channel=*/false);
  LegPair bystander(loop, /*data_channel=*/false);
  victim.negotiate();
  bystander.negotiate();
  ASSERT_TRUE(victim.run_until(
      [&] {
        return victim.offerer_events.connected && victim.answerer_events.connected &&
               bystander.offerer_events.connected && bystander.answerer_events.connected;
      },
      seconds(10)));

  // Random datagrams of every first-byte class at the victim's port, from a stranger's socket.
  const int stranger = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(stranger, 0);
  sockaddr_storage to{};
  const auto target = *net::SocketAddress::parse("127.0.0.1", victim.offerer->local_port());
  const socklen_t to_len = target.to_sockaddr(to);
  std::mt19937 rng(7);
  std::uint8_t junk[1400];
  for (int i = 0; i < 3000; ++i) {
    const std::size_t len = 1 + rng() % sizeof junk;
    for (std::size_t k = 0; k < len; ++k)
      junk[k] = static_cast<std::uint8_t>(rng());
    junk[0] = static_cast<std::uint8_t>(i % 256);
    ::sendto(stranger, junk, len, 0, reinterpret_cast<sockaddr*>(&to), to_len);
    if (i % 100 == 0) {
      send_test_rtp(*bystander.offerer, static_cast<std::uint16_t>(i / 100), 0xC0);
      loop.run_once(milliseconds(0));
    }
  }
  ::close(stranger);
  ASSERT_TRUE(
      victim.run_until([&] { return bystander.answerer_events.rtp.size() == 30; }, seconds(10)));
  const auto& counters = victim.offerer->counters();
  EXPECT_GT(counters.dropped_unknown + counters.dropped_unselected, 0u);
  // Every class is refused and counted (the kernel may drop some of the burst), and the flood
  // costs one warning line, not thousands.
  EXPECT_GT(victim.offerer->datagrams_dropped(), 1000u);
  EXPECT_EQ(victim.offerer->drop_warnings(), 1u);
  EXPECT_EQ(bystander.answerer->datagrams_dropped(), 0u);
  EXPECT_TRUE(victim.offerer_events.failed.empty()) << victim.offerer_events.failed;
  // The victim leg itself still carries media.
  EXPECT_TRUE(send_test_rtp(*victim.answerer, 1, 0xD0));
  ASSERT_TRUE(victim.run_until([&] { return !victim.offerer_events.rtp.empty(); }, seconds(5)));
}

} // namespace
} // namespace wab::rtc
