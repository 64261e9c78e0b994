#pragma once
// A full ICE agent (RFC 8445) for one component (rtcp-mux + BUNDLE: one data stream), with
// consent freshness (RFC 7675). Sans-I/O: it takes datagrams and `now`, and emits datagrams,
// state changes and timer needs through its Listener.
//
// Local paths: the leg's dual-stack UDP socket is path 0 (kSocketPath); every host candidate
// shares it and the kernel chooses the source address. The owner may add other paths (a TURN
// relay allocation, a TCP connection), each with its own local candidate. A candidate pair is
// identified by (local path, remote address) and only forms within one address family. Every
// datagram in or out names its path. Server-reflexive candidates are advertised but never paired
// (their base is the host on path 0, RFC 8445 §6.1.2.4).
//
// Roles: controlling (regular nomination: checks first, then USE-CANDIDATE on the best valid pair —
// what ice-lite peers such as Meta's and OpenAI's servers expect) or controlled (answers checks,
// sends triggered checks, selects what the peer nominates). Role conflicts resolve by tie-breaker.
//
// Ownership and threads: owns its candidates, pairs and keys; the Listener is owned by the caller
// and must outlive the agent. Every call comes from the one thread that owns the leg. Callbacks
// must not destroy the agent.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ice/candidate.hpp"
#include "ice/check_list.hpp"
#include "net/socket_address.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace wab::ice {

class Agent {
public:
  enum class State { idle, checking, connected, failed, closed };
  enum class FailureReason { none, check_timeout, consent_lost };

  struct Listener {
    virtual ~Listener() = default;
    // `datagram` is only valid during the call.
    virtual void on_ice_send(PathId path, const net::SocketAddress& to, Bytes datagram) = 0;
    virtual void on_ice_state(State state) = 0;
    // All local candidates are known (host ones at once; srflx when learned or timed out).
    virtual void on_ice_gathering_done() {}
  };

  struct Config {
    std::string local_ufrag; // empty: a random 8-char one
    std::string local_pwd;   // empty: a random 24-char one
    Role role = Role::controlling;
    std::uint64_t tie_breaker = 0; // 0: a random one
    // Timing knobs (RFC 8445 §14, RFC 7675 defaults).
    Duration ta = milliseconds(50);               // pacing between checks
    Duration check_rto = milliseconds(500);       // first retransmission timeout
    Duration check_rto_max = seconds(3);          // doubling stops here
    int check_max_transmissions = 7;              // per check transaction
    Duration nomination_wait = milliseconds(500); // wait for a better pair before nominating
    Duration check_timeout = seconds(15);         // no selected pair by then → failed
    Duration consent_interval = seconds(5);       // randomised ×0.8–1.2
    Duration consent_timeout = seconds(30);       // no consent response for this long → failed
    Duration gathering_timeout = seconds(2);      // STUN server answer wait
  };

  struct Counters {
    std::uint64_t malformed = 0; // not a valid STUN message
    std::uint64_t bad_fingerprint = 0;
    std::uint64_t bad_integrity = 0;       // MESSAGE-INTEGRITY missing or wrong
    std::uint64_t unknown_username = 0;    // request not addressed to our ufrag
    std::uint64_t unknown_transaction = 0; // response to nothing we sent (or a stale one)
    std::uint64_t asymmetric_response = 0; // response from another address than we sent to
    std::uint64_t unsupported = 0;         // other methods/classes, unknown required attributes
    std::uint64_t role_conflicts = 0;
    std::uint64_t requests_answered = 0;
    std::uint64_t checks_sent = 0; // new check/nomination/consent transactions
    std::uint64_t retransmissions = 0;
    std::uint64_t prflx_learned = 0;
    std::uint64_t candidates_ignored = 0; // remote tcp, mDNS, other family, over the limit
    std::uint64_t unknown_path = 0;       // a request on a path we have no candidate on
  };

  Agent(Listener& listener, Config config);
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  // --- local side (before start) ---
  // One host candidate per IP we answer on; the port is the leg socket's. Order = preference.
  void add_host_candidate(const net::SocketAddress& address);
  // Learn a server-reflexive candidate from this STUN server at start().
  void set_stun_server(const net::SocketAddress& server);
  // A relayed candidate (RFC 8656) living on `path` (not kSocketPath); `mapped` is the server's
  // view of us (raddr/rport). Any time, also after start(): pairs form with the remote candidates
  // already known. `via_stream`: the allocation runs over TCP or TLS to the server, which ranks
  // below every allocation over UDP (RFC 8445 §5.1.2.1: head-of-line blocking adds latency).
  void add_relay_candidate(PathId path, const net::SocketAddress& relayed,
                           const net::SocketAddress& mapped, bool via_stream = false);

  // An ICE-TCP active candidate (RFC 6544) on `path` (not kSocketPath): the owner's TCP
  // connection from `local` to the remote passive candidate `remote`, once it is open. It pairs
  // only with that remote, any time (also after start()). Such candidates stay out of the SDP
  // (the owner advertises the port-9 form).
  void add_tcp_candidate(PathId path, const net::SocketAddress& local,
                         const net::SocketAddress& remote);

  // --- remote side (any time) ---
  void set_remote_credentials(std::string ufrag, std::string pwd);
  // Ignores (and counts) unusable candidates: mDNS names, a family we have no candidate of, TCP
  // ones other than passive. Passive TCP candidates are kept but pair only through
  // add_tcp_candidate: the owner decides whether to connect to them.
  void add_remote_candidate(const Candidate& candidate);
  // A lite peer never checks nor nominates: we must be controlling.
  void set_remote_ice_lite(bool lite);
  // Our role as the offer/answer exchange decided it (RFC 8445 §6.1.1), for an agent created
  // before that (to gather candidates early). A lite peer still forces controlling.
  void set_role(Role role) { switch_role(role); }

  // Starts gathering; checks start as soon as remote credentials are known too.
  void start(TimePoint now);
  // Stops everything and reports State::closed. Idempotent.
  void close();

  // Feeds one datagram that is_stun() accepted, received on `path` from `from`. Returns false
  // when it was invalid or not for us (counted); never throws.
  bool handle_stun(Bytes datagram, const net::SocketAddress& from, PathId path, TimePoint now);
  bool handle_stun(Bytes datagram, const net::SocketAddress& from, TimePoint now) {
    return handle_stun(datagram, from, kSocketPath, now);
  }

  std::optional<TimePoint> next_timeout() const;
  void handle_timeout(TimePoint now);

  // The selected pair: which path we send on and to which remote address.
  const std::optional<Route>& selected() const { return selected_; }
  std::optional<net::SocketAddress> selected_remote() const {
    return selected_ ? std::optional(selected_->remote) : std::nullopt;
  }
  std::optional<PathId> selected_path() const {
    return selected_ ? std::optional(selected_->path) : std::nullopt;
  }
  // Types of the selected pair's local and remote candidates (for logs and metrics).
  std::optional<CandidateType> selected_local_type() const;
  std::optional<CandidateType> selected_remote_type() const;
  // Transport of the selected pair (tcp when it runs over an ICE-TCP path).
  std::optional<Transport> selected_transport() const;
  // Media is only accepted on the selected path from the selected remote address.
  bool is_selected(PathId path, const net::SocketAddress& from) const {
    return selected_ && selected_->path == path && selected_->remote == from;
  }
  bool is_selected(const net::SocketAddress& from) const { return is_selected(kSocketPath, from); }
  State state() const { return state_; }
  FailureReason failure_reason() const { return failure_; }
  Role role() const { return role_; }
  std::uint64_t tie_breaker() const { return tie_breaker_; }
  bool gathering_done() const { return gathering_done_; }
  const std::vector<Candidate>& local_candidates() const { return local_candidates_; }
  const std::string& local_ufrag() const { return config_.local_ufrag; }
  const std::string& local_pwd() const { return config_.local_pwd; }
  const std::vector<CandidatePair>& pairs() const { return pairs_; }
  const Counters& counters() const { return counters_; }

  static std::string_view to_string(State state);
  static std::string_view to_string(FailureReason reason);

private:
  // agent.cpp: control, timers, sending.
  void maybe_start_checks(TimePoint now);
  void run_retransmissions(TimePoint now);
  void on_transaction_timeout(const Transaction& t, TimePoint now);
  void run_pacing(TimePoint now);
  void maybe_nominate(TimePoint now);
  void run_consent(TimePoint now);
  void resend_in_progress(const Route& route, TimePoint now);
  std::optional<TimePoint> next_check_time() const;
  bool checks_running() const;
  void send_check(CandidatePair& pair, TransactionKind kind, TimePoint now);
  void transmit(const Transaction& t);
  void send_gather_request(TimePoint now);
  void finish_gathering();
  void select(CandidatePair& pair, TimePoint now);
  void fail(FailureReason reason);
  void set_state(State state);
  void switch_role(Role role);
  void sort_pairs();
  CandidatePair* find_pair(const Route& route);
  CandidatePair* add_pair(const Route& route, std::uint32_t remote_priority);
  // Adds the pairs of every local path with this remote; false when none could form.
  bool pair_with_all_paths(const net::SocketAddress& remote, std::uint32_t remote_priority);
  // Our best pairable candidate on `path` of `remote`'s family (never a srflx one).
  const Candidate* local_candidate_for(PathId path, const net::SocketAddress& remote) const;
  bool has_local_path(PathId path) const;
  void enqueue_triggered(const Route& route);
  Transaction* find_transaction(std::span<const std::uint8_t, stun::kTransactionIdSize> id);
  void erase_transaction(const Transaction* t);
  bool has_transaction_to(const Route& to, TransactionKind kind) const;
  Duration consent_jitter() const;

  // agent_receive.cpp: incoming STUN.
  bool handle_request(const stun::Message& m, const Route& from, TimePoint now);
  bool handle_response(const stun::Message& m, const Route& from, TimePoint now);
  void handle_gather_response(const stun::Message& m, const Transaction& t);
  void send_success_response(const stun::Message& request, const Route& to);
  void send_error_response(const stun::Message& request, const Route& to, std::uint16_t code,
                           std::string_view reason,
                           std::optional<std::uint16_t> unknown_attribute = std::nullopt);

  Listener& listener_;
  Config config_;
  Role role_;
  std::uint64_t tie_breaker_;
  State state_ = State::idle;
  FailureReason failure_ = FailureReason::none;
  stun::IntegrityKey local_key_;
  std::optional<stun::IntegrityKey> remote_key_;
  std::string remote_ufrag_;
  std::string remote_pwd_;
  bool remote_lite_ = false;

  std::vector<Candidate> local_candidates_;
  std::vector<Candidate> remote_candidates_;
  std::vector<CandidatePair> pairs_; // highest priority first
  std::vector<Route> triggered_;     // FIFO of pairs to check next
  std::vector<Transaction> transactions_;
  std::optional<Route> selected_;

  std::optional<net::SocketAddress> stun_server_;
  bool gathering_done_ = false;
  std::optional<TimePoint> gathering_deadline_;

  bool started_ = false;
  std::optional<TimePoint> checks_started_at_;
  std::optional<TimePoint> last_check_sent_at_;
  std::optional<TimePoint> nomination_deadline_;
  std::optional<TimePoint> next_consent_at_;
  TimePoint last_consent_ok_{};
  TimePoint last_now_{};
  bool start_pending_ = false; // remote credentials arrived between timer calls

  Counters counters_;
  std::array<std::uint8_t, stun::kMaxMessageSize> send_buffer_{};
};

} // namespace wab::ice
