#include "dtls/dtls_transport.hpp"

#include "dtls_pair.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace wab::dtls {
namespace {

using testing::DtlsPair;

const Certificate& client_cert() {
  static const Certificate cert;
  return cert;
}
const Certificate& server_cert() {
  static const Certificate cert;
  return cert;
}

const TimePoint kT0{seconds(1000)};

DtlsConfig offering(SrtpProfileOffer offer) {
  DtlsConfig config;
  config.srtp_profiles = offer;
  return config;
}

void expect_mirrored(const SrtpKeyingMaterial& client, const SrtpKeyingMaterial& server) {
  EXPECT_EQ(client.profile, server.profile);
  EXPECT_EQ(client.local_key, server.remote_key);
  EXPECT_EQ(client.remote_key, server.local_key);
  EXPECT_EQ(client.local_salt, server.remote_salt);
  EXPECT_EQ(client.remote_salt, server.local_salt);
  // The two directions are keyed differently, and the keys are not left zero.
  EXPECT_NE(client.local_key, client.remote_key);
  EXPECT_NE(client.local_key, decltype(client.local_key){});
  EXPECT_NE(client.local_salt, client.remote_salt);
  // Bytes past the profile's salt length stay zero.
  for (std::size_t i = client.salt_length(); i < client.local_salt.size(); ++i) {
    EXPECT_EQ(client.local_salt[i], 0);
  }
}

struct ProfileCase {
  SrtpProfileOffer client;
  SrtpProfileOffer server;
  SrtpProfile expected;
};

class DtlsHandshake : public ::testing::TestWithParam<ProfileCase> {};

TEST_P(DtlsHandshake, ConnectsAndExportsMirroredKeys) {
  const ProfileCase c = GetParam();
  DtlsPair pair(client_cert(), server_cert(), offering(c.client), offering(c.server));
  pair.server.start(kT0);
  EXPECT_TRUE(pair.server_events.outbox.empty()); // the server waits for the ClientHello
  pair.client.start(kT0);
  EXPECT_EQ(pair.client.state(), DtlsState::kConnecting);
  ASSERT_FALSE(pair.client_events.outbox.empty());
  pair.pump(kT0);

  ASSERT_TRUE(pair.connected()) << pair.client_events.failure << pair.server_events.failure;
  EXPECT_EQ(pair.client_events.connected, 1);
  EXPECT_EQ(pair.server_events.connected, 1);
  ASSERT_TRUE(pair.client_events.keys && pair.server_events.keys);
  EXPECT_EQ(pair.client_events.keys->profile, c.expected);
  EXPECT_EQ(pair.client.srtp_profile(), c.expected);
  EXPECT_EQ(pair.server.srtp_profile(), c.expected);
  expect_mirrored(*pair.client_events.keys, *pair.server_events.keys);
  EXPECT_LE(pair.client_events.largest_datagram, 1200u);
  EXPECT_LE(pair.server_events.largest_datagram, 1200u);
  EXPECT_EQ(pair.client.counters().retransmissions, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, DtlsHandshake,
    ::testing::Values(ProfileCase{SrtpProfileOffer::kGcmAndCm, SrtpProfileOffer::kGcmAndCm,
                                  SrtpProfile::kAeadAes128Gcm},
                      ProfileCase{SrtpProfileOffer::kGcmOnly, SrtpProfileOffer::kGcmOnly,
                                  SrtpProfile::kAeadAes128Gcm},
                      ProfileCase{SrtpProfileOffer::kCmOnly, SrtpProfileOffer::kCmOnly,
                                  SrtpProfile::kAes128CmSha1_80},
                      // aiortc offers CM only: we must fall back whichever side we are.
                      ProfileCase{SrtpProfileOffer::kCmOnly, SrtpProfileOffer::kGcmAndCm,
                                  SrtpProfile::kAes128CmSha1_80},
                      ProfileCase{SrtpProfileOffer::kGcmAndCm, SrtpProfileOffer::kCmOnly,
                                  SrtpProfile::kAes128CmSha1_80},
                      ProfileCase{SrtpProfileOffer::kGcmAndCm, SrtpProfileOffer::kGcmOnly,
                                  SrtpProfile::kAeadAes128Gcm}));

TEST(DtlsTransport, BothRolesOfOneCertificatePairAgree) {
  // The same two certificates with the roles swapped: keys are still mirrored.
  DtlsPair pair(server_cert(), client_cert());
  pair.client.start(kT0);
  pair.server.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  expect_mirrored(*pair.client_events.keys, *pair.server_events.keys);
}

TEST(DtlsTransport, NoCommonSrtpProfileFails) {
  DtlsPair pair(client_cert(), server_cert(), offering(SrtpProfileOffer::kGcmOnly),
                offering(SrtpProfileOffer::kCmOnly));
  pair.client.start(kT0);
  pair.pump(kT0);
  EXPECT_EQ(pair.client.state(), DtlsState::kFailed);
  EXPECT_EQ(pair.client_events.connected, 0);
  EXPECT_NE(pair.client_events.failure.find("SRTP"), std::string::npos)
      << pair.client_events.failure;
}

TEST(DtlsTransport, ClientRejectsServerWithWrongFingerprint) {
  Certificate impostor;
  DtlsPair pair(client_cert(), impostor, {}, {}, server_cert().fingerprint());
  pair.client.start(kT0);
  pair.pump(kT0);
  EXPECT_EQ(pair.client.state(), DtlsState::kFailed);
  EXPECT_EQ(pair.client_events.connected, 0);
  EXPECT_EQ(pair.client_events.failed, 1);
  EXPECT_NE(pair.client_events.failure.find("remote certificate fingerprint mismatch"),
            std::string::npos)
      << pair.client_events.failure;
  EXPECT_NE(pair.client_events.failure.find(impostor.fingerprint_sha256()), std::string::npos);
  // Our bad_certificate alert reached the server, which fails too instead of waiting 30 s.
  EXPECT_EQ(pair.server.state(), DtlsState::kFailed);
  EXPECT_EQ(pair.server_events.connected, 0);
}

TEST(DtlsTransport, ServerRejectsClientWithWrongFingerprint) {
  Certificate impostor;
  DtlsPair pair(impostor, server_cert(), {}, {}, std::nullopt, client_cert().fingerprint());
  pair.client.start(kT0);
  pair.pump(kT0);
  EXPECT_EQ(pair.server.state(), DtlsState::kFailed);
  EXPECT_NE(pair.server_events.failure.find("remote certificate fingerprint mismatch"),
            std::string::npos)
      << pair.server_events.failure;
  EXPECT_EQ(pair.server_events.connected, 0);
  EXPECT_EQ(pair.client.state(), DtlsState::kFailed);
}

TEST(DtlsTransport, ExpectedFingerprintWithOtherAlgorithmIsCheckedWithThatAlgorithm) {
  DtlsPair pair(client_cert(), server_cert(), {}, {},
                server_cert().fingerprint(HashAlgorithm::kSha512),
                client_cert().fingerprint(HashAlgorithm::kSha1));
  pair.client.start(kT0);
  pair.pump(kT0);
  EXPECT_TRUE(pair.connected()) << pair.client_events.failure << pair.server_events.failure;
}

TEST(DtlsTransport, ApplicationDataFlowsBothWays) {
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());

  std::vector<std::uint8_t> a(1000), b(1000);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<std::uint8_t>(i);
    b[i] = static_cast<std::uint8_t>(255 - i % 256);
  }
  EXPECT_TRUE(pair.client.send_application_data(a));
  EXPECT_TRUE(pair.server.send_application_data(b));
  pair.pump(kT0);
  ASSERT_EQ(pair.server_events.received.size(), 1u);
  ASSERT_EQ(pair.client_events.received.size(), 1u);
  EXPECT_EQ(pair.server_events.received[0], a);
  EXPECT_EQ(pair.client_events.received[0], b);
  EXPECT_EQ(pair.server.counters().application_records_received, 1u);
}

// SCTP sends its INIT from the connected callback; a record sent from inside a callback must go
// out after what the transport was already sending.
struct SendOnConnect : testing::RecordingListener {
  DtlsTransport* transport = nullptr;
  void on_dtls_connected(const SrtpKeyingMaterial& k) override {
    RecordingListener::on_dtls_connected(k);
    const std::uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
    EXPECT_TRUE(transport->send_application_data(hello));
  }
};

TEST(DtlsTransport, CallbacksMaySendApplicationData) {
  SendOnConnect client_events;
  testing::RecordingListener server_events;
  DtlsTransport client(client_events, client_cert(), DtlsRole::kClient,
                       server_cert().fingerprint());
  DtlsTransport server(server_events, server_cert(), DtlsRole::kServer,
                       client_cert().fingerprint());
  client_events.transport = &client;
  client.start(kT0);
  while (!client_events.outbox.empty() || !server_events.outbox.empty()) {
    for (; !client_events.outbox.empty(); client_events.outbox.pop_front()) {
      server.handle_datagram(client_events.outbox.front(), kT0);
    }
    for (; !server_events.outbox.empty(); server_events.outbox.pop_front()) {
      client.handle_datagram(server_events.outbox.front(), kT0);
    }
  }
  ASSERT_EQ(server_events.received.size(), 1u);
  EXPECT_EQ(server_events.received[0], (std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}));
}

TEST(DtlsTransport, ApplicationDataIsRefusedBeforeConnectedAndAfterClose) {
  DtlsPair pair(client_cert(), server_cert());
  const std::uint8_t data[4] = {1, 2, 3, 4};
  EXPECT_FALSE(pair.client.send_application_data(data));
  pair.client.start(kT0);
  EXPECT_FALSE(pair.client.send_application_data(data));
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  EXPECT_FALSE(pair.client.send_application_data({}));
  pair.client.close();
  EXPECT_FALSE(pair.client.send_application_data(data));
  EXPECT_EQ(pair.client.counters().application_send_failures, 4u);
}

TEST(DtlsTransport, ApplicationRecordsAreBoundedByTheMtu) {
  // OpenSSL's write buffer is sized to the MTU (set_max_send_fragment): a larger record must be
  // refused before it reaches OpenSSL, and one of exactly the MTU must still arrive whole.
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  const std::vector<std::uint8_t> too_big(DtlsConfig{}.mtu + 1, 0x11);
  EXPECT_FALSE(pair.client.send_application_data(too_big));
  EXPECT_EQ(pair.client.counters().application_send_failures, 1u);
  const std::vector<std::uint8_t> largest(DtlsConfig{}.mtu, 0x22);
  ASSERT_TRUE(pair.client.send_application_data(largest));
  pair.pump(kT0);
  ASSERT_EQ(pair.server_events.received.size(), 1u);
  EXPECT_EQ(pair.server_events.received[0], largest);
}

TEST(DtlsTransport, CloseNotifyReachesThePeer) {
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  pair.server.close();
  EXPECT_EQ(pair.server.state(), DtlsState::kClosed);
  EXPECT_FALSE(pair.server_events.outbox.empty()); // the close_notify alert
  pair.pump(kT0);
  EXPECT_EQ(pair.client.state(), DtlsState::kClosed);
  EXPECT_EQ(pair.client_events.closed, 1);
  EXPECT_EQ(pair.client_events.failed, 0);
  EXPECT_EQ(pair.server_events.closed, 0); // no callback for our own close
  EXPECT_FALSE(pair.client.next_timeout());
  // A closed transport ignores what still arrives.
  const std::uint8_t late[13] = {23, 0xfe, 0xfd};
  EXPECT_FALSE(pair.client.handle_datagram(late, kT0));
  EXPECT_EQ(pair.client.counters().datagrams_ignored, 1u);
}

TEST(DtlsTransport, SmallMtuFragmentsTheHandshakeIntoSmallDatagrams) {
  DtlsConfig config;
  config.mtu = 300;
  DtlsPair pair(client_cert(), server_cert(), config, config);
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected()) << pair.client_events.failure << pair.server_events.failure;
  EXPECT_LE(pair.client_events.largest_datagram, 300u);
  EXPECT_LE(pair.server_events.largest_datagram, 300u);
  // The server's first flight (hello, certificate, key exchange, request, done) is over 300 B.
  EXPECT_GT(pair.server_events.datagrams_sent, 2u);
}

TEST(DtlsTransport, GarbageDuringHandshakeIsIgnored) {
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  std::vector<std::uint8_t> junk(200, 0x16); // looks like a handshake record, is not one
  EXPECT_TRUE(pair.server.handle_datagram(junk, kT0));
  EXPECT_TRUE(pair.server.handle_datagram(std::vector<std::uint8_t>{22}, kT0));
  EXPECT_EQ(pair.server.state(), DtlsState::kConnecting);
  pair.pump(kT0);
  EXPECT_TRUE(pair.connected()) << pair.server_events.failure;
}

TEST(DtlsTransport, HandshakeTimesOutOnTheCallersClock) {
  testing::RecordingListener events;
  DtlsConfig config;
  config.handshake_timeout = seconds(30);
  DtlsTransport client(events, client_cert(), DtlsRole::kClient, server_cert().fingerprint(),
                       config);
  EXPECT_FALSE(client.next_timeout());
  client.start(kT0);
  ASSERT_TRUE(client.next_timeout());
  EXPECT_LE(*client.next_timeout(), kT0 + milliseconds(400)); // the first retransmission
  client.handle_timeout(kT0 + seconds(29));
  EXPECT_EQ(client.state(), DtlsState::kConnecting);
  client.handle_timeout(kT0 + seconds(30));
  EXPECT_EQ(client.state(), DtlsState::kFailed);
  EXPECT_EQ(events.failed, 1);
  EXPECT_NE(events.failure.find("timed out"), std::string::npos) << events.failure;
  EXPECT_FALSE(client.next_timeout());
}

TEST(DtlsTransport, CallerClockAheadOfOpenSslNeverRetransmitsEarly) {
  // OpenSSL decides expiry on the wall clock: an owner whose `now` jumps ahead gets an early
  // wake-up, and the deadline is re-armed from the time OpenSSL still wants to wait.
  testing::RecordingListener events;
  DtlsTransport client(events, client_cert(), DtlsRole::kClient, server_cert().fingerprint());
  client.start(kT0);
  ASSERT_EQ(events.outbox.size(), 1u);
  const TimePoint late = kT0 + milliseconds(500);
  client.handle_timeout(late);
  EXPECT_EQ(client.counters().retransmissions, 0u);
  EXPECT_EQ(events.outbox.size(), 1u);
  ASSERT_TRUE(client.next_timeout());
  EXPECT_GT(*client.next_timeout(), late);
  EXPECT_LE(*client.next_timeout(), late + milliseconds(400));
}

TEST(DtlsTransport, CorruptedRecordAfterConnectIsDroppedAndTheAssociationSurvives) {
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  const std::vector<std::uint8_t> message(100, 0x5a);
  ASSERT_TRUE(pair.client.send_application_data(message));
  ASSERT_EQ(pair.client_events.outbox.size(), 1u);
  auto corrupted = pair.client_events.outbox.front();
  corrupted.back() ^= 0x01; // breaks the record's authentication tag
  EXPECT_TRUE(pair.server.handle_datagram(corrupted, kT0));
  EXPECT_TRUE(pair.server_events.received.empty());
  EXPECT_EQ(pair.server.state(), DtlsState::kConnected);
  pair.pump(kT0); // the genuine record
  ASSERT_EQ(pair.server_events.received.size(), 1u);
  EXPECT_EQ(pair.server_events.received[0], message);
  // A replayed record is dropped too (DTLS replay detection).
  ASSERT_TRUE(pair.client.send_application_data(message));
  auto copy = pair.client_events.outbox.front();
  pair.pump(kT0);
  pair.server.handle_datagram(copy, kT0);
  EXPECT_EQ(pair.server_events.received.size(), 2u);
}

TEST(DtlsTransport, ServerHandshakeClockStartsWithStart) {
  testing::RecordingListener events;
  DtlsTransport server(events, server_cert(), DtlsRole::kServer, client_cert().fingerprint());
  server.start(kT0);
  EXPECT_EQ(server.next_timeout(), kT0 + seconds(30));
  EXPECT_TRUE(events.outbox.empty());
  server.handle_timeout(kT0 + seconds(30));
  EXPECT_EQ(server.state(), DtlsState::kFailed);
}

TEST(DtlsTransport, EachFlightIsOneDatagramAtTheDefaultMtu) {
  // ECDSA keeps every flight under 1200 bytes; packing a flight's records together saves round
  // trips' worth of packets on lossy mobile paths.
  DtlsPair pair(client_cert(), server_cert());
  pair.client.start(kT0);
  pair.pump(kT0);
  ASSERT_TRUE(pair.connected());
  EXPECT_EQ(pair.client_events.datagrams_sent, 2u); // ClientHello; certificate..Finished
  EXPECT_EQ(pair.server_events.datagrams_sent, 2u); // ServerHello..Done; ChangeCipherSpec, Finished
  EXPECT_EQ(pair.client.counters().datagrams_sent, 2u);
  EXPECT_EQ(pair.server.counters().datagrams_received, 2u);
}

// Whether a datagram carries a ChangeCipherSpec record: the client's second flight and the
// server's final one do.
bool has_change_cipher_spec(const std::vector<std::uint8_t>& datagram) {
  for (std::size_t pos = 0; pos + 13 <= datagram.size();
       pos += 13 + load_be16(datagram.data() + pos + 11)) {
    if (datagram[pos] == 20) return true;
  }
  return false;
}

// Which flight is lost, once. Identified by content, not position: when the machine is slow,
// OpenSSL may resend a flight on its own (its timer runs on the wall clock) and shift indexes.
struct LossCase {
  bool from_client;
  bool second_flight; // false: ClientHello / server's first flight
  const char* name;
};

class DtlsLoss : public ::testing::TestWithParam<LossCase> {};

// OpenSSL keeps its retransmission timer on the wall clock, so this test waits real time (tens of
// milliseconds) for it; `now` follows the same clock. The outcome does not depend on timing.
TEST_P(DtlsLoss, LostFlightIsRetransmitted) {
  const LossCase loss = GetParam();
  DtlsConfig config;
  config.initial_retransmit_timeout = milliseconds(20);
  config.max_retransmit_timeout = milliseconds(40);
  DtlsPair pair(client_cert(), server_cert(), config, config);
  bool lost = false;
  const auto drop_once = [&](bool from_client, std::size_t index,
                             const std::vector<std::uint8_t>& datagram) {
    if (lost || from_client != loss.from_client) return false;
    lost = loss.second_flight ? has_change_cipher_spec(datagram) : index == 0;
    return lost;
  };
  TimePoint now = Clock::now();
  pair.client.start(now);
  pair.server.start(now);
  pair.pump(now, drop_once);
  ASSERT_EQ(pair.dropped, 1u);
  // Usually not connected yet; on a loaded machine OpenSSL may already have resent a flight.
  for (int round = 0; round < 200 && !pair.connected(); ++round) {
    std::optional<TimePoint> next = pair.client.next_timeout();
    if (auto s = pair.server.next_timeout(); s && (!next || *s < *next)) next = s;
    ASSERT_TRUE(next);
    std::this_thread::sleep_until(*next);
    now = Clock::now();
    pair.client.handle_timeout(now);
    pair.server.handle_timeout(now);
    pair.pump(now, drop_once);
  }
  ASSERT_TRUE(pair.connected()) << pair.client_events.failure << pair.server_events.failure;
  EXPECT_GE(pair.client.counters().retransmissions + pair.server.counters().retransmissions, 1u);
  EXPECT_EQ(pair.client_events.connected, 1);
  EXPECT_EQ(pair.server_events.connected, 1);
  expect_mirrored(*pair.client_events.keys, *pair.server_events.keys);
}

INSTANTIATE_TEST_SUITE_P(EachFlight, DtlsLoss,
                         ::testing::Values(LossCase{true, false, "ClientHello"},
                                           LossCase{false, false, "ServerFirstFlight"},
                                           LossCase{true, true, "ClientSecondFlight"},
                                           LossCase{false, true, "ServerFinished"}),
                         [](const auto& info) { return std::string(info.param.name); });

// A flight that arrives after our wall-clock timer expired makes OpenSSL resend its previous
// flight first, then answer. The two must leave in separate datagrams: an OpenSSL server drops
// what follows a stale ClientHello in the same datagram, and the handshake would stall.
TEST(DtlsTransport, LateFlightAnswerIsNotPackedWithTheResentFlight) {
  DtlsConfig config;
  config.initial_retransmit_timeout = milliseconds(20);
  DtlsPair pair(client_cert(), server_cert(), config, config);
  const TimePoint now = Clock::now();
  pair.client.start(now);
  ASSERT_EQ(pair.client_events.outbox.size(), 1u);
  pair.server.handle_datagram(pair.client_events.outbox.front(), now);
  pair.client_events.outbox.clear();
  std::this_thread::sleep_for(milliseconds(30)); // the ClientHello's timer expires
  for (; !pair.server_events.outbox.empty(); pair.server_events.outbox.pop_front()) {
    pair.client.handle_datagram(pair.server_events.outbox.front(), Clock::now());
  }
  EXPECT_GE(pair.client.counters().retransmissions, 1u);
  EXPECT_GE(pair.client_events.outbox.size(), 2u); // the resent ClientHello, then flight 2
  pair.pump(Clock::now());
  EXPECT_TRUE(pair.connected()) << pair.client_events.failure << pair.server_events.failure;
}

TEST(DtlsTransport, RejectsUnusableMtu) {
  testing::RecordingListener events;
  DtlsConfig config;
  config.mtu = 100;
  EXPECT_THROW(
      DtlsTransport(events, client_cert(), DtlsRole::kClient, server_cert().fingerprint(), config),
      std::invalid_argument);
}

} // namespace
} // namespace wab::dtls
