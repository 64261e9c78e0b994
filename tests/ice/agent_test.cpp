// ICE agents connecting over the virtual network: both roles, lite peers, role conflicts, loss,
// peer-reflexive learning, IPv6, gathering.
#include <gtest/gtest.h>

#include <random>

#include "virtual_network.hpp"

namespace wab::ice::test {
namespace {

constexpr char kPwdA[] = "aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kPwdB[] = "bbbbbbbbbbbbbbbbbbbbbbbb";

struct Pair {
  Network net;
  AgentNode a;
  AgentNode b;
  Pair(Agent::Config ca, Agent::Config cb,
       std::vector<net::SocketAddress> aa = {addr("10.0.0.1", 5000)},
       std::vector<net::SocketAddress> ab = {addr("10.0.0.2", 6000)})
      : a(net, std::move(aa), std::move(ca)), b(net, std::move(ab), std::move(cb)) {}
  bool both_connected() const {
    return a.agent.state() == Agent::State::connected && b.agent.state() == Agent::State::connected;
  }
  void start_all() {
    a.agent.start(net.now);
    b.agent.start(net.now);
  }
};

TEST(IceAgent, FullControllingConnectsToFullControlled) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  p.a.learn(p.b);
  p.b.learn(p.a);
  p.start_all();
  EXPECT_EQ(p.a.gathering_done, 1);
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.a.agent.selected_remote(), addr("10.0.0.2", 6000));
  EXPECT_EQ(p.b.agent.selected_remote(), addr("10.0.0.1", 5000));
  EXPECT_TRUE(p.a.agent.is_selected(addr("10.0.0.2", 6000)));
  EXPECT_FALSE(p.a.agent.is_selected(addr("10.0.0.2", 6001)));
  EXPECT_EQ(p.a.agent.role(), Role::controlling);
  EXPECT_EQ(p.b.agent.role(), Role::controlled);
  EXPECT_LT(*p.a.connected_at - (TimePoint{} + seconds(1000)), milliseconds(200));
  EXPECT_EQ(p.a.states,
            (std::vector<Agent::State>{Agent::State::checking, Agent::State::connected}));
  EXPECT_EQ(p.a.agent.counters().bad_integrity + p.b.agent.counters().bad_integrity, 0u);
  EXPECT_EQ(p.a.agent.counters().role_conflicts + p.b.agent.counters().role_conflicts, 0u);
  // Stays connected: consent freshness keeps working both ways.
  p.net.run(seconds(120));
  EXPECT_TRUE(p.both_connected());
}

TEST(IceAgent, ControllingUsesRegularNominationTowardsLitePeer) {
  Network net;
  AgentNode a(net, {addr("10.0.0.1", 5000)}, config(Role::controlling, 7, "ufA1", kPwdA));
  LiteResponder lite(net, {addr("157.240.1.1", 3484), addr("2a03:2880::1", 3484)}, "metaUfrag",
                     kPwdB);
  a.agent.set_remote_credentials(lite.ufrag, lite.pwd);
  a.agent.set_remote_ice_lite(true);
  for (const auto& c : lite.candidates())
    a.agent.add_remote_candidate(c);
  // We have no IPv6 host candidate, so the IPv6 candidate forms no pair.
  EXPECT_EQ(a.agent.counters().candidates_ignored, 1u);
  a.agent.start(net.now);
  net.run(seconds(5), [&] { return a.agent.state() == Agent::State::connected; });
  ASSERT_EQ(a.agent.state(), Agent::State::connected);
  EXPECT_EQ(a.agent.selected_remote(), addr("157.240.1.1", 3484));
  // Regular nomination: a plain check succeeded first, then exactly one USE-CANDIDATE check.
  EXPECT_EQ(lite.requests_before_first_nomination, 1);
  EXPECT_EQ(lite.use_candidate_requests, 1);
  EXPECT_EQ(lite.nominated_from, addr("10.0.0.1", 5000));
  EXPECT_EQ(lite.rejected, 0);
  // Consent freshness: a request every 4–6 s for two minutes keeps us connected.
  const int before = lite.requests;
  net.run(seconds(120));
  EXPECT_EQ(a.agent.state(), Agent::State::connected);
  EXPECT_GE(lite.requests - before, 20);
  EXPECT_LE(lite.requests - before, 31);
}

TEST(IceAgent, RemoteLiteForcesControllingRole) {
  Network net;
  AgentNode a(net, {addr("10.0.0.1", 5000)}, config(Role::controlled, 7, "ufA1", kPwdA));
  LiteResponder lite(net, {addr("192.0.2.50", 3478)}, "openaiUfrag", kPwdB);
  a.agent.set_remote_ice_lite(true);
  EXPECT_EQ(a.agent.role(), Role::controlling);
  a.agent.set_remote_credentials(lite.ufrag, lite.pwd);
  for (const auto& c : lite.candidates())
    a.agent.add_remote_candidate(c);
  a.agent.start(net.now);
  net.run(seconds(5), [&] { return a.agent.state() == Agent::State::connected; });
  EXPECT_EQ(a.agent.state(), Agent::State::connected);
  EXPECT_EQ(lite.use_candidate_requests, 1);
}

TEST(IceAgent, PrefersHigherPriorityIPv6PairWhenBothFamiliesWork) {
  Network net;
  AgentNode a(net, {addr("10.0.0.1", 5000), addr("2001:db8::1", 5000)},
              config(Role::controlling, 7, "ufA1", kPwdA));
  LiteResponder lite(net, {addr("157.240.1.1", 3484), addr("2a03:2880::1", 3484)}, "meta", kPwdB);
  a.agent.set_remote_credentials(lite.ufrag, lite.pwd);
  a.agent.set_remote_ice_lite(true);
  for (const auto& c : lite.candidates())
    a.agent.add_remote_candidate(c);
  a.agent.start(net.now);
  net.run(seconds(5), [&] { return a.agent.state() == Agent::State::connected; });
  ASSERT_EQ(a.agent.state(), Agent::State::connected);
  EXPECT_EQ(a.agent.selected_remote(), addr("2a03:2880::1", 3484));
  EXPECT_EQ(lite.nominated_from, addr("2001:db8::1", 5000));
}

TEST(IceAgent, FallsBackToIPv4WhenIPv6IsBlackholed) {
  Network net;
  net.drop = [](const Datagram& d) { return d.to.is_v6(); };
  AgentNode a(net, {addr("10.0.0.1", 5000), addr("2001:db8::1", 5000)},
              config(Role::controlling, 7, "ufA1", kPwdA));
  LiteResponder lite(net, {addr("157.240.1.1", 3484), addr("2a03:2880::1", 3484)}, "meta", kPwdB);
  a.agent.set_remote_credentials(lite.ufrag, lite.pwd);
  a.agent.set_remote_ice_lite(true);
  for (const auto& c : lite.candidates())
    a.agent.add_remote_candidate(c);
  a.agent.start(net.now);
  const TimePoint t0 = net.now;
  net.run(seconds(5), [&] { return a.agent.state() == Agent::State::connected; });
  ASSERT_EQ(a.agent.state(), Agent::State::connected);
  EXPECT_EQ(a.agent.selected_remote(), addr("157.240.1.1", 3484));
  // Nomination waited for the better (IPv6) pair, but not longer than the nomination wait.
  EXPECT_GE(net.now - t0, milliseconds(500));
  EXPECT_LT(net.now - t0, milliseconds(800));
}

TEST(IceAgent, IPv6OnlyPairConnects) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB),
         {addr("2001:db8::a", 5000)}, {addr("2001:db8::b", 6000)});
  p.a.learn(p.b);
  p.b.learn(p.a);
  p.start_all();
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.a.agent.selected_remote(), addr("2001:db8::b", 6000));
  EXPECT_EQ(p.b.agent.selected_remote(), addr("2001:db8::a", 5000));
}

TEST(IceAgent, RoleConflictBothControllingResolvesByTieBreaker) {
  for (bool a_wins : {true, false}) {
    SCOPED_TRACE(a_wins ? "A has the larger tie-breaker" : "B has the larger tie-breaker");
    Pair p(config(Role::controlling, a_wins ? 900 : 100, "ufA1", kPwdA),
           config(Role::controlling, a_wins ? 100 : 900, "ufB1", kPwdB));
    p.a.learn(p.b);
    p.b.learn(p.a);
    p.start_all();
    p.net.run(seconds(5), [&] { return p.both_connected(); });
    ASSERT_TRUE(p.both_connected());
    EXPECT_EQ(p.a.agent.role(), a_wins ? Role::controlling : Role::controlled);
    EXPECT_EQ(p.b.agent.role(), a_wins ? Role::controlled : Role::controlling);
    EXPECT_GE(p.a.agent.counters().role_conflicts + p.b.agent.counters().role_conflicts, 1u);
  }
}

TEST(IceAgent, RoleConflictBothControlledResolvesByTieBreaker) {
  for (bool a_wins : {true, false}) {
    SCOPED_TRACE(a_wins ? "A has the larger tie-breaker" : "B has the larger tie-breaker");
    Pair p(config(Role::controlled, a_wins ? 900 : 100, "ufA1", kPwdA),
           config(Role::controlled, a_wins ? 100 : 900, "ufB1", kPwdB));
    p.a.learn(p.b);
    p.b.learn(p.a);
    p.start_all();
    p.net.run(seconds(5), [&] { return p.both_connected(); });
    ASSERT_TRUE(p.both_connected());
    EXPECT_EQ(p.a.agent.role(), a_wins ? Role::controlling : Role::controlled);
    EXPECT_EQ(p.b.agent.role(), a_wins ? Role::controlled : Role::controlling);
  }
}

TEST(IceAgent, RetransmitsThroughLostChecks) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  int dropped_from_a = 0;
  p.net.drop = [&](const Datagram& d) {
    if (d.from == addr("10.0.0.1", 5000) && dropped_from_a < 3) {
      ++dropped_from_a;
      return true;
    }
    return false;
  };
  p.a.learn(p.b);
  p.b.learn(p.a, /*with_candidates=*/false); // B can only answer, so A's losses matter
  p.start_all();
  p.net.run(seconds(10), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(dropped_from_a, 3);
  EXPECT_GE(p.a.agent.counters().retransmissions, 3u);
  // 0.5 + 1 + 2 s of backoff before the fourth transmission gets through.
  EXPECT_GE(*p.a.connected_at - (TimePoint{} + seconds(1000)), milliseconds(3500));
}

TEST(IceAgent, ConnectsUnderHeavyRandomLoss) {
  // 20 % loss in each direction, 20 fixed seeds: every run connects within the check timeout.
  // (At 30 % each way about one run in ten does not: the backed-off retransmissions of the
  // nomination no longer fit into 15 s.)
  std::uint64_t dropped = 0;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE(seed);
    Pair p(config(Role::controlling, 10, "ufA1", kPwdA),
           config(Role::controlled, 5, "ufB1", kPwdB));
    std::mt19937 rng(seed);
    p.net.drop = [&](const Datagram&) { return rng() % 100 < 20; };
    p.a.learn(p.b);
    p.b.learn(p.a);
    p.start_all();
    p.net.run(seconds(15), [&] { return p.both_connected(); });
    EXPECT_TRUE(p.both_connected())
        << Agent::to_string(p.a.agent.state()) << " / " << Agent::to_string(p.b.agent.state());
    dropped += p.net.dropped;
  }
  EXPECT_GT(dropped, 20u);
}

TEST(IceAgent, LearnsPeerReflexiveCandidateBehindMdns) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  p.a.learn(p.b);
  // Chromium hides its host address behind an mDNS name: B cannot use it.
  p.b.agent.set_remote_credentials(p.a.agent.local_ufrag(), p.a.agent.local_pwd());
  auto mdns = Candidate::parse(
      "candidate:1 1 udp 2122260223 0a1b2c3d-aaaa-bbbb-cccc-0123456789ab.local 5000 typ host");
  ASSERT_TRUE(mdns);
  p.b.agent.add_remote_candidate(*mdns);
  EXPECT_EQ(p.b.agent.counters().candidates_ignored, 1u);
  EXPECT_TRUE(p.b.agent.pairs().empty());
  p.start_all();
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.b.agent.counters().prflx_learned, 1u);
  ASSERT_EQ(p.b.agent.pairs().size(), 1u);
  EXPECT_EQ(p.b.agent.pairs()[0].remote, addr("10.0.0.1", 5000));
  EXPECT_EQ(p.b.agent.selected_remote(), addr("10.0.0.1", 5000));
  // The PRIORITY attribute carried a peer-reflexive priority.
  EXPECT_EQ(p.b.agent.pairs()[0].remote_priority >> 24, 110u);
}

TEST(IceAgent, ControllingSideLearnsPeerReflexivePairFromControlledChecks) {
  // The controlling agent knows no usable remote candidate; the controlled peer's checks teach it.
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  p.a.learn(p.b, /*with_candidates=*/false);
  p.b.learn(p.a);
  p.start_all();
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.a.agent.counters().prflx_learned, 1u);
  EXPECT_EQ(p.a.agent.selected_remote(), addr("10.0.0.2", 6000));
}

TEST(IceAgent, DualStackFullAgentsAgreeOnTheBestPair) {
  // Host candidates added first get the higher local preference: here IPv6 on both sides.
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB),
         {addr("2001:db8::a", 5000), addr("10.0.0.1", 5000)},
         {addr("2001:db8::b", 6000), addr("10.0.0.2", 6000)});
  p.a.learn(p.b);
  p.b.learn(p.a);
  ASSERT_EQ(p.a.agent.pairs().size(), 2u); // one per family, none across families
  EXPECT_EQ(p.a.agent.pairs().front().remote, addr("2001:db8::b", 6000));
  p.start_all();
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.a.agent.selected_remote(), addr("2001:db8::b", 6000));
  EXPECT_EQ(p.b.agent.selected_remote(), addr("2001:db8::a", 5000));
}

TEST(IceAgent, AnswersChecksBeforeRemoteCredentialsAndConnectsOnceTheyArrive) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  p.a.learn(p.b);
  p.start_all(); // B has no remote credentials yet (the answer is still in flight)
  p.net.run(seconds(1));
  EXPECT_EQ(p.b.agent.state(), Agent::State::idle);
  EXPECT_GT(p.b.agent.counters().requests_answered, 0u);
  // A's checks and its nomination were answered, so A is done; B waits for its own check.
  EXPECT_EQ(p.a.agent.state(), Agent::State::connected);
  EXPECT_FALSE(p.b.agent.selected_remote());
  p.b.learn(p.a, /*with_candidates=*/false);
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  EXPECT_EQ(p.b.agent.selected_remote(), addr("10.0.0.1", 5000));
}

TEST(IceAgent, RepeatedRemoteCredentialsDoNotStallTheTimer) {
  Pair p(config(Role::controlling, 10, "ufA1", kPwdA), config(Role::controlled, 5, "ufB1", kPwdB));
  p.a.learn(p.b);
  p.b.learn(p.a);
  p.start_all();
  p.net.run(seconds(5), [&] { return p.both_connected(); });
  ASSERT_TRUE(p.both_connected());
  p.a.learn(p.b); // e.g. a re-applied remote description
  const auto next = p.a.agent.next_timeout();
  ASSERT_TRUE(next);
  EXPECT_GT(*next, p.net.now);
  p.net.run(seconds(20)); // fails the test if a timer never advances
  EXPECT_TRUE(p.both_connected());
}

TEST(IceAgent, GathersServerReflexiveCandidate) {
  Network net;
  // A STUN server that answers plain Binding requests with the mapped (NATed) address.
  struct StunServer : Node {
    Network& n;
    explicit StunServer(Network& net) : n(net) {
      addresses = {addr("198.51.100.9", 3478)};
      n.attach(*this);
    }
    void receive(const Datagram& d, TimePoint) override {
      auto m = stun::Message::parse(d.data);
      if (!m || !m->is_binding(stun::MessageClass::request)) return;
      std::array<std::uint8_t, stun::kMaxMessageSize> buf{};
      stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::success_response,
                             m->transaction_id_copy());
      b.add_xor_mapped_address(addr("203.0.113.80", 41000));
      b.add_fingerprint();
      n.send(*this, d.from, b.bytes());
    }
  } server(net);
  AgentNode a(net, {addr("10.0.0.1", 5000)}, config(Role::controlling, 1, "ufA1", kPwdA));
  a.agent.set_stun_server(addr("198.51.100.9", 3478));
  a.agent.start(net.now);
  EXPECT_EQ(a.gathering_done, 0);
  net.run(seconds(3), [&] { return a.gathering_done > 0; });
  ASSERT_EQ(a.gathering_done, 1);
  ASSERT_EQ(a.agent.local_candidates().size(), 2u);
  const Candidate& srflx = a.agent.local_candidates()[1];
  EXPECT_EQ(srflx.type, CandidateType::srflx);
  EXPECT_EQ(srflx.address, addr("203.0.113.80", 41000));
  EXPECT_EQ(srflx.related, addr("10.0.0.1", 5000));
  EXPECT_NE(srflx.to_sdp_attribute().find("typ srflx raddr 10.0.0.1 rport 5000"),
            std::string::npos);
}

TEST(IceAgent, GatheringTimesOutWithoutStunServerAnswer) {
  Network net;
  AgentNode a(net, {addr("10.0.0.1", 5000)}, config(Role::controlling, 1, "ufA1", kPwdA));
  a.agent.set_stun_server(addr("198.51.100.9", 3478)); // nobody there
  a.agent.start(net.now);
  const TimePoint t0 = net.now;
  net.run(seconds(10), [&] { return a.gathering_done > 0; });
  EXPECT_EQ(a.gathering_done, 1);
  EXPECT_EQ(net.now - t0, seconds(2));
  EXPECT_EQ(a.agent.local_candidates().size(), 1u);
  EXPECT_FALSE(a.agent.next_timeout()); // nothing left to do without a remote side
}

} // namespace
} // namespace wab::ice::test
