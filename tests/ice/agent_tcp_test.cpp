// ICE-TCP in the agent (RFC 6544): passive TCP remote candidates pair only with the active TCP
// candidate of the connection made to them, never with the UDP socket or a relay, and rank below
// UDP pairs.
#include <gtest/gtest.h>

#include "ice/agent.hpp"

namespace wab::ice {
namespace {

constexpr PathId kTcpPath = 0x8000;

net::SocketAddress addr(const char* ip, std::uint16_t port) {
  return *net::SocketAddress::parse(ip, port);
}

struct Silent : Agent::Listener {
  void on_ice_send(PathId, const net::SocketAddress&, Bytes) override {}
  void on_ice_state(Agent::State) override {}
};

Candidate parsed(const std::string& text) {
  return *Candidate::parse(text);
}

TEST(IceAgentTcp, PassiveTcpCandidatePairsOnlyWithItsOwnConnection) {
  Silent listener;
  Agent agent(listener, Agent::Config{});
  agent.add_host_candidate(addr("10.0.0.1", 5000));
  agent.add_remote_candidate(
      parsed("candidate:2 1 tcp 1671430143 192.0.2.10 443 typ host tcptype passive"));
  EXPECT_TRUE(agent.pairs().empty()); // not with the UDP socket
  EXPECT_EQ(agent.counters().candidates_ignored, 0u);

  agent.add_remote_candidate(parsed("candidate:1 1 udp 2130706431 192.0.2.10 3478 typ host"));
  ASSERT_EQ(agent.pairs().size(), 1u);
  EXPECT_EQ(agent.pairs()[0].path, kSocketPath);

  agent.add_tcp_candidate(kTcpPath, addr("10.0.0.1", 40000), addr("192.0.2.10", 443));
  ASSERT_EQ(agent.pairs().size(), 2u);
  // Highest priority first: the UDP pair wins whenever both work.
  EXPECT_EQ(agent.pairs()[0].path, kSocketPath);
  EXPECT_EQ(agent.pairs()[1].path, kTcpPath);
  EXPECT_EQ(agent.pairs()[1].remote, addr("192.0.2.10", 443));
  EXPECT_EQ(agent.pairs()[1].remote_priority, 1671430143u);
  EXPECT_GT(agent.pairs()[0].priority, agent.pairs()[1].priority);

  // A relay path pairs with the UDP candidate only.
  agent.add_relay_candidate(7, addr("203.0.113.9", 50000), addr("198.51.100.1", 6000));
  int relay_pairs = 0;
  for (const auto& p : agent.pairs()) {
    if (p.path == 7) {
      ++relay_pairs;
      EXPECT_EQ(p.remote, addr("192.0.2.10", 3478));
    }
  }
  EXPECT_EQ(relay_pairs, 1);
  // The TCP candidate is ours but stays a TCP active one.
  bool found = false;
  for (const auto& c : agent.local_candidates()) {
    if (c.path != kTcpPath) continue;
    found = true;
    EXPECT_EQ(c.transport, Transport::tcp);
    EXPECT_EQ(c.tcp_type, TcpType::active);
  }
  EXPECT_TRUE(found);
}

TEST(IceAgentTcp, ActiveAndSimultaneousOpenRemoteCandidatesAreIgnored) {
  Silent listener;
  Agent agent(listener, Agent::Config{});
  agent.add_host_candidate(addr("10.0.0.1", 5000));
  agent.add_remote_candidate(
      parsed("candidate:2 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active"));
  agent.add_remote_candidate(
      parsed("candidate:3 1 tcp 1518280447 192.0.2.10 5000 typ host tcptype so"));
  EXPECT_EQ(agent.counters().candidates_ignored, 2u);
  EXPECT_TRUE(agent.pairs().empty());
}

TEST(IceAgentTcp, TcpCandidateNeedsItsOwnPath) {
  Silent listener;
  Agent agent(listener, Agent::Config{});
  EXPECT_THROW(agent.add_tcp_candidate(kSocketPath, addr("10.0.0.1", 1), addr("192.0.2.1", 2)),
               std::invalid_argument);
}

} // namespace
} // namespace wab::ice
