// Candidate priorities and the a=candidate syntax as real peers write it.
#include <gtest/gtest.h>

#include "ice/candidate.hpp"

namespace wab::ice {
namespace {

TEST(CandidatePriority, FollowsRfc8445Formula) {
  // Type 126, local preference 65535, component 1 — the classic host priority.
  EXPECT_EQ(candidate_priority(CandidateType::host, 65535), 2130706431u);
  EXPECT_EQ(candidate_priority(CandidateType::prflx, 65535), 1862270975u);
  EXPECT_EQ(candidate_priority(CandidateType::srflx, 65535), 1694498815u);
  EXPECT_EQ(candidate_priority(CandidateType::relay, 0), 255u);
}

TEST(CandidatePriority, PairPriorityOrdersByMinThenMax) {
  EXPECT_EQ(pair_priority(10, 20), (10ull << 32) + 40 + 0);
  EXPECT_EQ(pair_priority(20, 10), (10ull << 32) + 40 + 1);
  EXPECT_GT(pair_priority(100, 100), pair_priority(99, 1000));
}

TEST(CandidateParse, MetaHostCandidatesWithExtensions) {
  auto v4 = Candidate::parse(
      "candidate:3506612378 1 udp 2122260223 157.240.1.1 3484 typ host generation 0 "
      "network-cost 50");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->foundation, "3506612378");
  EXPECT_EQ(v4->component, 1);
  EXPECT_EQ(v4->transport, Transport::udp);
  EXPECT_EQ(v4->priority, 2122260223u);
  EXPECT_EQ(v4->address, *net::SocketAddress::parse("157.240.1.1", 3484));
  EXPECT_EQ(v4->type, CandidateType::host);
  EXPECT_TRUE(v4->usable());

  auto v6 = Candidate::parse(
      "a=candidate:1 1 UDP 2113939711 2a03:2880:f000:1:face:b00c:0:699c 40012 typ host "
      "generation 0 ufrag 6k2qP1R6kBfI/2\r\n");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address.is_v6());
  EXPECT_EQ(v6->address.port(), 40012);
}

TEST(CandidateParse, OpenAiTcpCandidateParsesButIsNotUsable) {
  auto c = Candidate::parse("candidate:2 1 tcp 1671430143 192.0.2.10 443 typ host tcptype passive");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->transport, Transport::tcp);
  EXPECT_EQ(c->tcp_type, TcpType::passive);
  EXPECT_FALSE(c->usable()); // not a UDP candidate
  EXPECT_TRUE(c->connectable_tcp());
}

TEST(CandidateParse, TcpTypesAreKeptAndOnlyPassiveOnesAreConnectable) {
  auto active =
      Candidate::parse("candidate:3 1 tcp 1518280447 192.0.2.10 9 typ host tcptype active");
  ASSERT_TRUE(active);
  EXPECT_EQ(active->tcp_type, TcpType::active);
  EXPECT_FALSE(active->connectable_tcp());
  auto so = Candidate::parse("candidate:3 1 TCP 1518280447 192.0.2.10 5000 typ host tcptype so");
  ASSERT_TRUE(so);
  EXPECT_EQ(so->tcp_type, TcpType::so);
  EXPECT_FALSE(so->connectable_tcp());
  EXPECT_FALSE(Candidate::parse("candidate:3 1 tcp 1 192.0.2.10 9 typ host tcptype sideways"));
  auto udp = Candidate::parse("candidate:1 1 udp 2122260223 192.0.2.10 5000 typ host");
  ASSERT_TRUE(udp);
  EXPECT_FALSE(udp->connectable_tcp());
}

TEST(CandidateWrite, ActiveTcpCandidateUsesPortNineAndRoundTrips) {
  Candidate c;
  c.foundation = "7";
  c.transport = Transport::tcp;
  c.tcp_type = TcpType::active;
  c.priority = tcp_candidate_priority(CandidateType::host, TcpType::active);
  c.address = *net::SocketAddress::parse("192.0.2.20", 9);
  EXPECT_EQ(c.to_sdp_attribute(), "candidate:7 1 tcp " + std::to_string(c.priority) +
                                      " 192.0.2.20 9 typ host tcptype active");
  auto back = Candidate::parse(c.to_sdp_attribute());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->tcp_type, TcpType::active);
  EXPECT_EQ(back->priority, c.priority);
}

TEST(CandidatePriority, TcpRanksBelowUdpHostAndSrflxButAboveRelay) {
  const auto tcp_active = tcp_candidate_priority(CandidateType::host, TcpType::active);
  const auto tcp_passive = tcp_candidate_priority(CandidateType::host, TcpType::passive);
  EXPECT_LT(tcp_active, candidate_priority(CandidateType::host, 0));
  EXPECT_LT(tcp_active, candidate_priority(CandidateType::srflx, 0));
  EXPECT_GT(tcp_active, candidate_priority(CandidateType::relay, 65535));
  // RFC 6544 §4.2: for host candidates, active is preferred over passive.
  EXPECT_GT(tcp_active, tcp_passive);
  // Component 1, direction preference 6 in the top 3 bits of the local preference.
  EXPECT_EQ(tcp_active & 0xff, 255u);
  EXPECT_EQ((tcp_active >> 8) & 0xffff, (6u << 13) | 0x1fffu);
}

TEST(CandidateParse, MdnsHostIsKeptAsNameButNotUsable) {
  auto c = Candidate::parse(
      "candidate:842163049 1 udp 1677729535 3d0c2f5e-8b1f-4c3a-9d2e-1f2e3d4c5b6a.local 54321 "
      "typ host generation 0 ufrag abcd network-cost 999");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->hostname, "3d0c2f5e-8b1f-4c3a-9d2e-1f2e3d4c5b6a.local");
  EXPECT_FALSE(c->address.valid());
  EXPECT_FALSE(c->usable());
}

TEST(CandidateParse, SrflxWithRelatedAddress) {
  auto c = Candidate::parse(
      "candidate:9 1 udp 1694498815 203.0.113.7 61000 typ srflx raddr 10.0.0.2 rport 5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->type, CandidateType::srflx);
  ASSERT_TRUE(c->related);
  EXPECT_EQ(*c->related, *net::SocketAddress::parse("10.0.0.2", 5000));
}

TEST(CandidateParse, RejectsGarbage) {
  EXPECT_FALSE(Candidate::parse(""));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp 1 192.0.2.1 5000 typ"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 sctp 1 192.0.2.1 5000 typ host"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp x 192.0.2.1 5000 typ host"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp 1 192.0.2.1 70000 typ host"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp 1 example.com 5000 typ host"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp 1 192.0.2.1 5000 type host"));
  EXPECT_FALSE(Candidate::parse("candidate:1 1 udp 1 192.0.2.1 5000 typ bogus"));
  EXPECT_FALSE(Candidate::parse("candidate:f:o 1 udp 1 192.0.2.1 5000 typ host"));
}

TEST(CandidateParse, ToleratesDanglingExtensionToken) {
  auto c = Candidate::parse("candidate:1 1 udp 1 192.0.2.1 5000 typ host generation");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->address, *net::SocketAddress::parse("192.0.2.1", 5000));
}

TEST(CandidateFormat, RoundTripsThroughSdp) {
  Candidate c;
  c.foundation =
      Candidate::make_foundation(CandidateType::srflx, *net::SocketAddress::parse("10.0.0.2", 0));
  c.priority = candidate_priority(CandidateType::srflx, 65535);
  c.address = *net::SocketAddress::parse("2001:db8::5", 40000);
  c.type = CandidateType::srflx;
  c.related = *net::SocketAddress::parse("2001:db8::1", 40000);
  const std::string text = c.to_sdp_attribute();
  EXPECT_EQ(text.rfind("candidate:", 0), 0u);
  EXPECT_NE(
      text.find(" 1 udp 1694498815 2001:db8::5 40000 typ srflx raddr 2001:db8::1 rport 40000"),
      std::string::npos)
      << text;
  auto back = Candidate::parse(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->foundation, c.foundation);
  EXPECT_EQ(back->priority, c.priority);
  EXPECT_EQ(back->address, c.address);
  EXPECT_EQ(back->related, c.related);
}

TEST(CandidateFoundation, SameTypeAndBaseShareAFoundation) {
  const auto a = *net::SocketAddress::parse("192.0.2.1", 1);
  const auto b = *net::SocketAddress::parse("192.0.2.1", 2);
  const auto c = *net::SocketAddress::parse("192.0.2.2", 1);
  EXPECT_EQ(Candidate::make_foundation(CandidateType::host, a),
            Candidate::make_foundation(CandidateType::host, b));
  EXPECT_NE(Candidate::make_foundation(CandidateType::host, a),
            Candidate::make_foundation(CandidateType::host, c));
  EXPECT_NE(Candidate::make_foundation(CandidateType::host, a),
            Candidate::make_foundation(CandidateType::srflx, a));
}

} // namespace
} // namespace wab::ice
