// ICE agent failure paths: check timeout, consent loss, integrity and username enforcement,
// forged responses, robustness after close.
#include <gtest/gtest.h>

#include <functional>

#include "virtual_network.hpp"

namespace wab::ice::test {
namespace {

constexpr char kFailurePwdA[] = "aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kFailurePwdB[] = "bbbbbbbbbbbbbbbbbbbbbbbb";

struct LiteSetup {
  Network net;
  AgentNode a{net, {addr("10.0.0.1", 5000)}, config(Role::controlling, 7, "ufA1", kFailurePwdA)};
  LiteResponder lite{net, {addr("192.0.2.50", 3478)}, "liteUfrag", kFailurePwdB};
  LiteSetup() {
    a.agent.set_remote_credentials(lite.ufrag, lite.pwd);
    a.agent.set_remote_ice_lite(true);
    for (const auto& c : lite.candidates())
      a.agent.add_remote_candidate(c);
  }
  void connect() {
    a.agent.start(net.now);
    net.run(seconds(5), [&] { return a.agent.state() == Agent::State::connected; });
    ASSERT_EQ(a.agent.state(), Agent::State::connected);
  }
};

// A request to `to` as the peer would send it, signed with `pwd`.
std::vector<std::uint8_t> make_request(std::string_view username, std::string_view pwd,
                                       bool use_candidate = false) {
  std::array<std::uint8_t, stun::kMaxMessageSize> buf{};
  stun::TransactionId id{};
  id[0] = 0x42;
  stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::request, id);
  b.add_string(stun::attr::username, username);
  b.add_u32(stun::attr::priority, candidate_priority(CandidateType::prflx, 65535));
  b.add_u64(stun::attr::ice_controlling, 1);
  if (use_candidate) b.add_flag(stun::attr::use_candidate);
  b.add_message_integrity(stun::IntegrityKey::short_term(pwd));
  b.add_fingerprint();
  return {b.bytes().begin(), b.bytes().end()};
}

TEST(IceAgentFailure, FailsWhenNoPairSucceedsInTime) {
  LiteSetup s;
  s.lite.silent = true;
  s.a.agent.start(s.net.now);
  const TimePoint t0 = s.net.now;
  s.net.run(seconds(60), [&] { return s.a.agent.state() == Agent::State::failed; });
  ASSERT_EQ(s.a.agent.state(), Agent::State::failed);
  EXPECT_EQ(s.a.agent.failure_reason(), Agent::FailureReason::check_timeout);
  EXPECT_EQ(*s.a.failed_at - t0, seconds(15));
  EXPECT_FALSE(s.a.agent.selected_remote());
  EXPECT_FALSE(s.a.agent.next_timeout());
  // Seven transmissions of the one check: 0, 0.5, 1.5, 3.5, 6.5, 9.5, 12.5 s.
  EXPECT_EQ(s.lite.requests, 7);
}

TEST(IceAgentFailure, ConsentLostWithinThirtySecondsOfSilence) {
  LiteSetup s;
  s.connect();
  s.net.run(seconds(20));
  ASSERT_EQ(s.a.agent.state(), Agent::State::connected);
  s.lite.silent = true;
  const TimePoint silence = s.net.now;
  s.net.run(seconds(60), [&] { return s.a.agent.state() == Agent::State::failed; });
  ASSERT_EQ(s.a.agent.state(), Agent::State::failed);
  EXPECT_EQ(s.a.agent.failure_reason(), Agent::FailureReason::consent_lost);
  const Duration after = *s.a.failed_at - silence;
  EXPECT_LE(after, seconds(30));
  EXPECT_GE(after, seconds(30) - seconds(6) - milliseconds(100)); // last answer ≤ one interval ago
  EXPECT_FALSE(s.a.agent.is_selected(addr("192.0.2.50", 3478)));
  EXPECT_EQ(s.a.states.back(), Agent::State::failed);
}

TEST(IceAgentFailure, ConsentLostWhenControlledPeerGoesSilent) {
  Network net;
  AgentNode a(net, {addr("10.0.0.1", 5000)}, config(Role::controlling, 10, "ufA1", kFailurePwdA));
  AgentNode b(net, {addr("10.0.0.2", 6000)}, config(Role::controlled, 5, "ufB1", kFailurePwdB));
  a.learn(b);
  b.learn(a);
  a.agent.start(net.now);
  b.agent.start(net.now);
  net.run(seconds(5), [&] {
    return a.agent.state() == Agent::State::connected && b.agent.state() == Agent::State::connected;
  });
  ASSERT_EQ(b.agent.state(), Agent::State::connected);
  net.drop = [](const Datagram&) { return true; }; // the path dies both ways
  net.run(seconds(40));
  EXPECT_EQ(a.agent.failure_reason(), Agent::FailureReason::consent_lost);
  EXPECT_EQ(b.agent.failure_reason(), Agent::FailureReason::consent_lost);
}

TEST(IceAgentFailure, RejectsRequestsWithBadIntegrityOrForeignUsername) {
  Network net;
  AgentNode b(net, {addr("10.0.0.2", 6000)}, config(Role::controlled, 5, "ufB1", kFailurePwdB));
  b.agent.start(net.now);
  int sent = 0;
  net.tap = [&](const Datagram&) { ++sent; };
  const auto from = addr("10.0.0.1", 5000);

  auto wrong_pwd = make_request("ufB1:peer", "not-the-right-password!!");
  EXPECT_FALSE(b.agent.handle_stun(wrong_pwd, from, net.now));
  EXPECT_EQ(b.agent.counters().bad_integrity, 1u);

  auto wrong_user = make_request("other:peer", kFailurePwdB);
  EXPECT_FALSE(b.agent.handle_stun(wrong_user, from, net.now));
  auto prefix_user =
      make_request("ufB10:peer", kFailurePwdB); // "ufB1" is only a prefix of the ufrag
  EXPECT_FALSE(b.agent.handle_stun(prefix_user, from, net.now));
  EXPECT_EQ(b.agent.counters().unknown_username, 2u);

  auto tampered = make_request("ufB1:peer", kFailurePwdB, true);
  tampered[tampered.size() - 20] ^= 1; // inside the HMAC; then refresh FINGERPRINT
  const std::size_t fp = tampered.size() - 8;
  store_be32(tampered.data() + fp + 4,
             stun::crc32(Bytes(tampered).first(fp)) ^ stun::kFingerprintXor);
  EXPECT_FALSE(b.agent.handle_stun(tampered, from, net.now));
  EXPECT_EQ(b.agent.counters().bad_integrity, 2u);

  auto bad_fp = make_request("ufB1:peer", kFailurePwdB);
  bad_fp.back() ^= 1;
  EXPECT_FALSE(b.agent.handle_stun(bad_fp, from, net.now));
  EXPECT_EQ(b.agent.counters().bad_fingerprint, 1u);

  const std::uint8_t junk[] = {0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1,  2, 3,
                               4, 5, 6, 7, 8,    9,    10,   11,   12, 0};
  EXPECT_FALSE(b.agent.handle_stun(junk, from, net.now));
  EXPECT_EQ(b.agent.counters().malformed, 1u);

  EXPECT_EQ(sent, 0); // nothing answered, no pair learned
  EXPECT_TRUE(b.agent.pairs().empty());

  auto good = make_request("ufB1:peer", kFailurePwdB);
  EXPECT_TRUE(b.agent.handle_stun(good, from, net.now));
  EXPECT_EQ(sent, 1);
  EXPECT_EQ(b.agent.counters().requests_answered, 1u);
  EXPECT_EQ(b.agent.pairs().size(), 1u);
}

TEST(IceAgentFailure, ResponsesMustCarryValidIntegrityAndComeFromTheCheckedAddress) {
  LiteSetup s;
  std::vector<Datagram> from_a;
  s.net.tap = [&](const Datagram& d) {
    if (d.from == addr("10.0.0.1", 5000)) from_a.push_back(d);
  };
  s.lite.silent = true;
  s.a.agent.start(s.net.now);
  s.net.run(milliseconds(100));
  ASSERT_FALSE(from_a.empty());
  auto req = stun::Message::parse(from_a.front().data);
  ASSERT_TRUE(req);
  auto forge = [&](std::string_view pwd) {
    std::array<std::uint8_t, stun::kMaxMessageSize> buf{};
    stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::success_response,
                           req->transaction_id_copy());
    b.add_xor_mapped_address(addr("10.0.0.1", 5000));
    b.add_message_integrity(stun::IntegrityKey::short_term(pwd));
    b.add_fingerprint();
    return std::vector<std::uint8_t>(b.bytes().begin(), b.bytes().end());
  };
  // An attacker who saw the transaction id but lacks the password cannot complete the check.
  EXPECT_FALSE(s.a.agent.handle_stun(forge("attacker-password-xxxxxx"), addr("192.0.2.50", 3478),
                                     s.net.now));
  EXPECT_EQ(s.a.agent.counters().bad_integrity, 1u);
  // A correctly signed answer from the wrong address is not symmetric: ignored.
  EXPECT_FALSE(s.a.agent.handle_stun(forge(kFailurePwdB), addr("192.0.2.51", 3478), s.net.now));
  EXPECT_EQ(s.a.agent.counters().asymmetric_response, 1u);
  EXPECT_FALSE(s.a.agent.pairs()[0].valid);
  // The genuine one works, once; a replay is an unknown transaction.
  EXPECT_TRUE(s.a.agent.handle_stun(forge(kFailurePwdB), addr("192.0.2.50", 3478), s.net.now));
  EXPECT_TRUE(s.a.agent.pairs()[0].valid);
  EXPECT_FALSE(s.a.agent.handle_stun(forge(kFailurePwdB), addr("192.0.2.50", 3478), s.net.now));
  EXPECT_EQ(s.a.agent.counters().unknown_transaction, 1u);
}

TEST(IceAgentFailure, CloseStopsEverything) {
  LiteSetup s;
  s.connect();
  s.a.agent.close();
  EXPECT_EQ(s.a.agent.state(), Agent::State::closed);
  EXPECT_EQ(s.a.states.back(), Agent::State::closed);
  EXPECT_FALSE(s.a.agent.next_timeout());
  EXPECT_FALSE(s.a.agent.selected_remote());
  const auto sent = s.net.sent;
  auto req = make_request("ufA1:x", kFailurePwdA);
  EXPECT_FALSE(s.a.agent.handle_stun(req, addr("192.0.2.50", 3478), s.net.now));
  s.a.agent.handle_timeout(s.net.now + seconds(10));
  EXPECT_EQ(s.net.sent, sent);
  s.a.agent.close();                // idempotent
  EXPECT_EQ(s.a.states.size(), 3u); // checking, connected, closed
}

TEST(IceAgentFailure, SetupRejectsWeakCredentials) {
  Network net;
  struct Quiet : Agent::Listener {
    void on_ice_send(PathId, const net::SocketAddress&, Bytes) override {}
    void on_ice_state(Agent::State) override {}
  } quiet;
  EXPECT_THROW(Agent(quiet, config(Role::controlling, 1, "ab", kFailurePwdA)),
               std::invalid_argument);
  EXPECT_THROW(Agent(quiet, config(Role::controlling, 1, "ab:cd", kFailurePwdA)),
               std::invalid_argument);
  EXPECT_THROW(Agent(quiet, config(Role::controlling, 1, "abcd", "short")), std::invalid_argument);
  Agent defaults(quiet, Agent::Config{});
  EXPECT_EQ(defaults.local_ufrag().size(), 8u);
  EXPECT_EQ(defaults.local_pwd().size(), 24u);
  EXPECT_NE(defaults.tie_breaker(), 0u);
}

} // namespace
} // namespace wab::ice::test

namespace wab::ice::test {
namespace {

// Sends `request` to a fresh controlled agent and returns the parsed error code it answered with.
std::optional<std::uint16_t> error_answer(Bytes request) {
  Network net;
  AgentNode b(net, {addr("10.0.0.2", 6000)}, config(Role::controlled, 5, "ufB1", kFailurePwdB));
  std::vector<std::uint8_t> answer;
  net.tap = [&](const Datagram& d) { answer = d.data; };
  EXPECT_TRUE(b.agent.handle_stun(request, addr("10.0.0.1", 5000), net.now));
  auto m = stun::Message::parse(answer);
  if (!m || !m->is_binding(stun::MessageClass::error_response)) return std::nullopt;
  EXPECT_TRUE(m->check_integrity(stun::IntegrityKey::short_term(kFailurePwdB)));
  EXPECT_TRUE(m->check_fingerprint());
  EXPECT_TRUE(b.agent.pairs().empty());
  return m->error_code()->code;
}

std::vector<std::uint8_t> request_with(const std::function<void(stun::MessageBuilder&)>& extra,
                                       bool priority = true, std::uint64_t tie_breaker = 1) {
  std::array<std::uint8_t, stun::kMaxMessageSize> buf{};
  stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::request,
                         stun::TransactionId{7});
  b.add_string(stun::attr::username, "ufB1:peer");
  if (priority) b.add_u32(stun::attr::priority, 1);
  b.add_u64(stun::attr::ice_controlling, tie_breaker);
  extra(b);
  b.add_message_integrity(stun::IntegrityKey::short_term(kFailurePwdB));
  b.add_fingerprint();
  return {b.bytes().begin(), b.bytes().end()};
}

TEST(IceAgentFailure, UnknownRequiredAttributeGets420) {
  auto req = request_with([](stun::MessageBuilder& b) { b.add_u32(0x7001, 0); });
  EXPECT_EQ(error_answer(req), stun::error::unknown_attribute);
}

TEST(IceAgentFailure, RequestWithoutPriorityGets400) {
  auto req = request_with([](stun::MessageBuilder&) {}, /*priority=*/false);
  EXPECT_EQ(error_answer(req), stun::error::bad_request);
}

TEST(IceAgentFailure, ControllingWithLargerTieBreakerAnswers487) {
  Network net;
  AgentNode a(net, {addr("10.0.0.2", 6000)},
              config(Role::controlling, ~0ull, "ufB1", kFailurePwdB));
  std::vector<std::uint8_t> answer;
  net.tap = [&](const Datagram& d) { answer = d.data; };
  auto req = request_with([](stun::MessageBuilder&) {});
  EXPECT_TRUE(a.agent.handle_stun(req, addr("10.0.0.1", 5000), net.now));
  auto m = stun::Message::parse(answer);
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->error_code());
  EXPECT_EQ(m->error_code()->code, stun::error::role_conflict);
  EXPECT_EQ(a.agent.role(), Role::controlling);
  EXPECT_EQ(a.agent.counters().role_conflicts, 1u);
}

TEST(IceAgentFailure, LitePeerNeverTurnsUsControlled) {
  Network net;
  AgentNode a(net, {addr("10.0.0.2", 6000)}, config(Role::controlling, 1, "ufB1", kFailurePwdB));
  a.agent.set_remote_ice_lite(true);
  // Claims controlling with a larger tie-breaker, which would otherwise make us controlled.
  auto req = request_with([](stun::MessageBuilder&) {}, true, ~0ull);
  a.agent.handle_stun(req, addr("10.0.0.1", 5000), net.now);
  EXPECT_EQ(a.agent.role(), Role::controlling);
  AgentNode full(net, {addr("10.0.0.3", 6000)}, config(Role::controlling, 1, "ufB1", kFailurePwdB));
  full.agent.handle_stun(req, addr("10.0.0.1", 5000), net.now);
  EXPECT_EQ(full.agent.role(), Role::controlled); // the same request flips a non-lite agent
}

} // namespace
} // namespace wab::ice::test
