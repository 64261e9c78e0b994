#pragma once
// A deterministic in-memory UDP network for ICE tests: nodes own addresses, datagrams arrive after
// a fixed latency, a drop filter simulates loss, and a virtual clock drives every node's timers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "ice/agent.hpp"
#include "net/socket_address.hpp"
#include "stun/builder.hpp"
#include "stun/message.hpp"

namespace wab::ice::test {

inline net::SocketAddress addr(const char* ip, std::uint16_t port) {
  return *net::SocketAddress::parse(ip, port);
}

struct Datagram {
  TimePoint at;
  net::SocketAddress from;
  net::SocketAddress to;
  std::vector<std::uint8_t> data;
};

class Network;

class Node {
public:
  virtual ~Node() = default;
  virtual void receive(const Datagram& d, TimePoint now) = 0;
  virtual std::optional<TimePoint> next_timeout() const { return std::nullopt; }
  virtual void handle_timeout(TimePoint now) {}
  std::vector<net::SocketAddress> addresses; // one socket: all share the port
};

class Network {
public:
  TimePoint now = TimePoint{} + seconds(1000);
  Duration latency = milliseconds(10);
  // Return true to drop a datagram (called once per send).
  std::function<bool(const Datagram&)> drop;
  // Sees every datagram that was sent (dropped or not).
  std::function<void(const Datagram&)> tap;
  std::uint64_t sent = 0, dropped = 0;

  void attach(Node& n) { nodes_.push_back(&n); }

  // The kernel picks the source: the sender's address of the destination's family.
  void send(const Node& sender, const net::SocketAddress& to, Bytes data) {
    Datagram d;
    d.at = now + latency;
    d.to = to;
    d.data.assign(data.begin(), data.end());
    for (const auto& a : sender.addresses) {
      if (a.is_v4() == to.is_v4()) {
        d.from = a;
        break;
      }
    }
    ++sent;
    if (tap) tap(d);
    if (!d.from.valid() || (drop && drop(d))) {
      ++dropped;
      return;
    }
    queue_.push_back(std::move(d));
  }

  void inject(Datagram d) { queue_.push_back(std::move(d)); }

  // Advances virtual time event by event until `until` or until `done()` holds.
  void run(Duration duration, const std::function<bool()>& done = {}) {
    const TimePoint end = now + duration;
    for (int steps = 0; !(done && done()); ++steps) {
      if (steps > 1'000'000) {
        ADD_FAILURE() << "virtual network made no progress (a timer that never advances?)";
        return;
      }
      std::optional<TimePoint> next;
      for (const auto& d : queue_) {
        if (!next || d.at < *next) next = d.at;
      }
      for (Node* n : nodes_) {
        auto t = n->next_timeout();
        if (t && (!next || *t < *next)) next = t;
      }
      if (!next || *next > end) break;
      now = std::max(now, *next);
      deliver_due();
      for (Node* n : nodes_) {
        auto t = n->next_timeout();
        if (t && *t <= now) n->handle_timeout(now);
      }
    }
    if (!(done && done())) now = std::max(now, end);
  }

private:
  void deliver_due() {
    for (std::size_t i = 0; i < queue_.size();) {
      if (queue_[i].at > now) {
        ++i;
        continue;
      }
      Datagram d = std::move(queue_[i]);
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
      for (Node* n : nodes_) {
        if (std::find(n->addresses.begin(), n->addresses.end(), d.to) != n->addresses.end()) {
          n->receive(d, now);
        }
      }
    }
  }

  std::vector<Node*> nodes_;
  std::vector<Datagram> queue_;
};

// A full Agent on the virtual network.
class AgentNode : public Node, public Agent::Listener {
public:
  AgentNode(Network& net, std::vector<net::SocketAddress> addrs, Agent::Config config)
      : net_(net), agent(*this, std::move(config)) {
    addresses = std::move(addrs);
    for (const auto& a : addresses)
      agent.add_host_candidate(a);
    net_.attach(*this);
  }
  void on_ice_send(PathId, const net::SocketAddress& to, Bytes datagram) override {
    net_.send(*this, to, datagram);
  }
  void on_ice_state(Agent::State s) override {
    states.push_back(s);
    if (s == Agent::State::connected && !connected_at) connected_at = net_.now;
    if (s == Agent::State::failed) failed_at = net_.now;
  }
  void on_ice_gathering_done() override { ++gathering_done; }
  void receive(const Datagram& d, TimePoint now) override {
    if (stun::is_stun(d.data)) agent.handle_stun(d.data, d.from, now);
  }
  std::optional<TimePoint> next_timeout() const override { return agent.next_timeout(); }
  void handle_timeout(TimePoint now) override { agent.handle_timeout(now); }

  // Tells `agent` about `peer`: credentials and (optionally) candidates.
  void learn(const AgentNode& peer, bool with_candidates = true) {
    agent.set_remote_credentials(peer.agent.local_ufrag(), peer.agent.local_pwd());
    if (!with_candidates) return;
    for (const auto& c : peer.agent.local_candidates()) {
      auto parsed = Candidate::parse(c.to_sdp_attribute());
      agent.add_remote_candidate(*parsed);
    }
  }

  Network& net_;
  Agent agent;
  std::vector<Agent::State> states;
  std::optional<TimePoint> connected_at;
  std::optional<TimePoint> failed_at;
  int gathering_done = 0;
};

// The minimal ice-lite responder of Meta's / OpenAI's servers: answers authenticated Binding
// requests, never checks, records USE-CANDIDATE.
class LiteResponder : public Node {
public:
  LiteResponder(Network& net, std::vector<net::SocketAddress> addrs, std::string ufrag,
                std::string pwd)
      : net_(net), ufrag(std::move(ufrag)), pwd(std::move(pwd)),
        key_(stun::IntegrityKey::short_term(this->pwd)) {
    addresses = std::move(addrs);
    net_.attach(*this);
  }
  void receive(const Datagram& d, TimePoint now) override {
    auto m = stun::Message::parse(d.data);
    if (!m || !m->is_binding(stun::MessageClass::request)) return;
    auto user = m->username();
    if (!user || user->substr(0, ufrag.size() + 1) != ufrag + ":" || !m->check_integrity(key_) ||
        !m->check_fingerprint()) {
      ++rejected;
      return;
    }
    ++requests;
    if (m->use_candidate()) {
      ++use_candidate_requests;
      nominated_from = d.from;
      if (requests_before_first_nomination < 0) requests_before_first_nomination = requests - 1;
    }
    if (silent) return;
    std::array<std::uint8_t, stun::kMaxMessageSize> buf{};
    stun::MessageBuilder b(buf, stun::Method::binding, stun::MessageClass::success_response,
                           m->transaction_id_copy());
    b.add_xor_mapped_address(d.from);
    b.add_message_integrity(key_);
    b.add_fingerprint();
    net_.send(*this, d.from, b.bytes());
  }

  Network& net_;
  std::string ufrag, pwd;
  bool silent = false;
  int requests = 0, rejected = 0, use_candidate_requests = 0;
  int requests_before_first_nomination = -1;
  std::optional<net::SocketAddress> nominated_from;

  std::vector<Candidate> candidates() const {
    std::vector<Candidate> out;
    for (const auto& a : addresses) {
      Candidate c;
      c.foundation = "1";
      c.address = a;
      c.priority = candidate_priority(CandidateType::host, a.is_v6() ? 65535 : 65000);
      out.push_back(c);
    }
    return out;
  }

private:
  stun::IntegrityKey key_;
};

inline Agent::Config config(Role role, std::uint64_t tie_breaker, const char* ufrag,
                            const char* pwd) {
  Agent::Config c;
  c.role = role;
  c.tie_breaker = tie_breaker;
  c.local_ufrag = ufrag;
  c.local_pwd = pwd;
  return c;
}

} // namespace wab::ice::test
