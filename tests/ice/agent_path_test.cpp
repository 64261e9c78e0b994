// ICE over several local paths: a relay candidate on its own path pairs with the remote's
// candidates, checks and answers leave on that path, and a path without candidates answers nothing.
#include <gtest/gtest.h>

#include "virtual_network.hpp"

namespace wab::ice::test {
namespace {

constexpr char kPathPwdA[] = "aaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kPathPwdB[] = "bbbbbbbbbbbbbbbbbbbbbbbb";
constexpr PathId kRelayPath = 7;

// An agent whose only local candidate is relayed: the virtual network sees it at the relayed
// address (a transparent relay), and everything it receives arrives on kRelayPath.
class RelayedNode : public Node, public Agent::Listener {
public:
  RelayedNode(Network& net, const net::SocketAddress& relayed, bool with_host, Agent::Config c)
      : net_(net), agent(*this, std::move(c)) {
    addresses = {relayed};
    if (with_host) agent.add_host_candidate(addr("10.0.0.1", 5000));
    agent.add_relay_candidate(kRelayPath, relayed, addr("203.0.113.5", 40000));
    net_.attach(*this);
  }
  void on_ice_send(PathId path, const net::SocketAddress& to, Bytes datagram) override {
    paths_used.push_back(path);
    if (path == kRelayPath) net_.send(*this, to, datagram);
  }
  void on_ice_state(Agent::State) override {}
  void receive(const Datagram& d, TimePoint now) override {
    if (stun::is_stun(d.data)) agent.handle_stun(d.data, d.from, kRelayPath, now);
  }
  std::optional<TimePoint> next_timeout() const override { return agent.next_timeout(); }
  void handle_timeout(TimePoint now) override { agent.handle_timeout(now); }

  Network& net_;
  Agent agent;
  std::vector<PathId> paths_used;
};

TEST(IceAgentPaths, RelayOnlyAgentConnectsThroughItsRelayPath) {
  Network net;
  RelayedNode a(net, addr("192.0.2.100", 50000), false,
                config(Role::controlling, 10, "ufA1", kPathPwdA));
  AgentNode b(net, {addr("10.0.0.2", 6000)}, config(Role::controlled, 5, "ufB1", kPathPwdB));
  a.agent.set_remote_credentials(b.agent.local_ufrag(), b.agent.local_pwd());
  a.agent.add_remote_candidate(b.agent.local_candidates()[0]);
  b.agent.set_remote_credentials(a.agent.local_ufrag(), a.agent.local_pwd());
  for (const auto& c : a.agent.local_candidates())
    b.agent.add_remote_candidate(*Candidate::parse(c.to_sdp_attribute()));
  a.agent.start(net.now);
  b.agent.start(net.now);
  net.run(seconds(5), [&] {
    return a.agent.state() == Agent::State::connected && b.agent.state() == Agent::State::connected;
  });
  ASSERT_EQ(a.agent.state(), Agent::State::connected);
  ASSERT_EQ(b.agent.state(), Agent::State::connected);
  EXPECT_EQ(a.agent.selected_path(), kRelayPath);
  EXPECT_EQ(a.agent.selected_remote(), addr("10.0.0.2", 6000));
  EXPECT_EQ(a.agent.selected_local_type(), CandidateType::relay);
  EXPECT_EQ(a.agent.selected_remote_type(), CandidateType::host);
  EXPECT_TRUE(a.agent.is_selected(kRelayPath, addr("10.0.0.2", 6000)));
  EXPECT_FALSE(a.agent.is_selected(addr("10.0.0.2", 6000))); // not on the socket path
  EXPECT_EQ(b.agent.selected_remote(), addr("192.0.2.100", 50000));
  EXPECT_EQ(b.agent.selected_remote_type(), CandidateType::relay);
  EXPECT_EQ(b.agent.selected_local_type(), CandidateType::host);
  ASSERT_FALSE(a.paths_used.empty());
  for (PathId p : a.paths_used)
    EXPECT_EQ(p, kRelayPath);
  const auto& local = a.agent.local_candidates();
  ASSERT_EQ(local.size(), 1u);
  EXPECT_NE(local[0].to_sdp_attribute().find("typ relay raddr 203.0.113.5 rport 40000"),
            std::string::npos);
}

TEST(IceAgentPaths, RequestOnAPathWithoutCandidatesIsRefused) {
  Network net;
  RelayedNode a(net, addr("192.0.2.100", 50000), false,
                config(Role::controlled, 10, "ufA1", kPathPwdA));
  AgentNode b(net, {addr("10.0.0.2", 6000)}, config(Role::controlling, 5, "ufB1", kPathPwdB));
  a.agent.set_remote_credentials(b.agent.local_ufrag(), b.agent.local_pwd());
  a.agent.start(net.now);
  // A check straight to the socket (path 0) of a relay-only agent: no answer, no pair.
  std::vector<std::uint8_t> check;
  b.agent.set_remote_credentials(a.agent.local_ufrag(), a.agent.local_pwd());
  b.agent.add_remote_candidate(*Candidate::parse(
      "candidate:1 1 udp 2130706431 192.0.2.100 50000 typ host")); // b believes it is direct
  net.tap = [&](const Datagram& d) {
    if (check.empty()) check = d.data;
  };
  b.agent.start(net.now);
  net.run(milliseconds(100), [&] { return !check.empty(); });
  ASSERT_FALSE(check.empty());
  const std::size_t sent_before = a.paths_used.size();
  EXPECT_FALSE(a.agent.handle_stun(check, addr("10.0.0.2", 6000), kSocketPath, net.now));
  EXPECT_EQ(a.agent.counters().unknown_path, 1u);
  EXPECT_EQ(a.paths_used.size(), sent_before);
  EXPECT_TRUE(a.agent.pairs().empty());
  // The same check on the relay path is answered there and teaches a peer-reflexive pair.
  EXPECT_TRUE(a.agent.handle_stun(check, addr("10.0.0.2", 6000), kRelayPath, net.now));
  ASSERT_EQ(a.agent.pairs().size(), 1u);
  EXPECT_EQ(a.agent.pairs()[0].path, kRelayPath);
  EXPECT_EQ(a.paths_used.back(), kRelayPath);
}

TEST(IceAgentPaths, PairsFormPerLocalPathAndHostIsPreferred) {
  Network net;
  RelayedNode a(net, addr("192.0.2.100", 50000), true,
                config(Role::controlling, 10, "ufA1", kPathPwdA));
  a.agent.set_remote_credentials("ufB1", kPathPwdB);
  a.agent.add_remote_candidate(
      *Candidate::parse("candidate:1 1 udp 2130706431 10.0.0.2 6000 typ host"));
  ASSERT_EQ(a.agent.pairs().size(), 2u);
  EXPECT_EQ(a.agent.pairs()[0].path, kSocketPath);
  EXPECT_EQ(a.agent.pairs()[0].local_type, CandidateType::host);
  EXPECT_EQ(a.agent.pairs()[1].path, kRelayPath);
  EXPECT_EQ(a.agent.pairs()[1].local_type, CandidateType::relay);
  // A relay added after the remote candidates pairs with them at once.
  a.agent.add_relay_candidate(9, addr("192.0.2.101", 50001), addr("203.0.113.5", 40001));
  EXPECT_EQ(a.agent.pairs().size(), 3u);
}

TEST(IceAgentPaths, RelaysOverUdpRankAboveRelaysOverStreams) {
  Network net;
  AgentNode a(net, {}, config(Role::controlling, 10, "ufA1", kPathPwdA));
  // The TCP/TLS allocation finished first, yet the UDP one ranks higher.
  a.agent.add_relay_candidate(5, addr("192.0.2.100", 50000), addr("203.0.113.5", 40000), true);
  a.agent.add_relay_candidate(6, addr("192.0.2.101", 50001), addr("203.0.113.5", 40001));
  a.agent.add_relay_candidate(7, addr("192.0.2.102", 50002), addr("203.0.113.5", 40002), true);
  const auto& local = a.agent.local_candidates();
  ASSERT_EQ(local.size(), 3u);
  EXPECT_GT(local[1].priority, local[0].priority);
  EXPECT_GT(local[0].priority, local[2].priority);
}

TEST(IceAgentPaths, RemoteCandidatesWaitForARelayThatIsStillAllocating) {
  Network net;
  AgentNode a(net, {}, config(Role::controlling, 10, "ufA1", kPathPwdA));
  a.agent.set_remote_credentials("ufB1", kPathPwdB);
  a.agent.start(net.now);
  a.agent.add_remote_candidate(
      *Candidate::parse("candidate:1 1 udp 2130706431 10.0.0.2 6000 typ host"));
  EXPECT_TRUE(a.agent.pairs().empty());
  a.agent.add_relay_candidate(kRelayPath, addr("192.0.2.100", 50000), addr("203.0.113.5", 40000));
  ASSERT_EQ(a.agent.pairs().size(), 1u);
  EXPECT_EQ(a.agent.pairs()[0].path, kRelayPath);
  EXPECT_EQ(a.agent.pairs()[0].remote, addr("10.0.0.2", 6000));
}

} // namespace
} // namespace wab::ice::test
