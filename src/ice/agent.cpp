// Agent: configuration, timers, pacing, nomination, consent and everything we send.
// Incoming STUN is handled in agent_receive.cpp.
#include <algorithm>
#include <stdexcept>

#include "common/random.hpp"
#include "ice/agent.hpp"
#include "stun/builder.hpp"

namespace wab::ice {
namespace {

// Bounds that keep a hostile or broken peer from growing our state without limit.
constexpr std::size_t kMaxRemoteCandidates = 32;
constexpr std::size_t kMaxPairs = 48;
constexpr std::size_t kMaxTransactions = 64;

Agent::Config with_defaults(Agent::Config c) {
  if (c.local_ufrag.empty()) c.local_ufrag = random_ice_string(8);
  if (c.local_pwd.empty()) c.local_pwd = random_ice_string(24);
  // RFC 8445 §5.3: ufrag ≥ 24 bits, pwd ≥ 128 bits of randomness (4 and 22 ice-chars).
  if (c.local_ufrag.size() < 4 || c.local_ufrag.size() > 256 ||
      c.local_ufrag.find(':') != std::string::npos) {
    throw std::invalid_argument("ICE ufrag must be 4-256 characters without ':'");
  }
  if (c.local_pwd.size() < 22 || c.local_pwd.size() > 256) {
    throw std::invalid_argument("ICE pwd must be 22-256 characters");
  }
  if (c.ta <= Duration::zero() || c.check_rto <= Duration::zero() ||
      c.check_max_transmissions < 1 || c.consent_interval <= Duration::zero()) {
    throw std::invalid_argument("ICE timing knobs must be positive");
  }
  return c;
}

} // namespace

Agent::Agent(Listener& listener, Config config)
    : listener_(listener), config_(with_defaults(std::move(config))), role_(config_.role),
      tie_breaker_(config_.tie_breaker != 0 ? config_.tie_breaker : random_u64()),
      local_key_(stun::IntegrityKey::short_term(config_.local_pwd)) {
  transactions_.reserve(kMaxTransactions);
  pairs_.reserve(kMaxPairs);
}

Agent::~Agent() = default;

std::string_view Agent::to_string(State state) {
  switch (state) {
  case State::idle: return "idle";
  case State::checking: return "checking";
  case State::connected: return "connected";
  case State::failed: return "failed";
  case State::closed: return "closed";
  }
  return "?";
}

std::string_view Agent::to_string(FailureReason reason) {
  switch (reason) {
  case FailureReason::none: return "none";
  case FailureReason::check_timeout: return "no candidate pair succeeded in time";
  case FailureReason::consent_lost: return "consent freshness expired";
  }
  return "?";
}

// ---------------------------------------------------------------- candidates and pairs

void Agent::add_host_candidate(const net::SocketAddress& address) {
  if (!address.valid()) throw std::invalid_argument("ICE host candidate needs a valid address");
  for (const Candidate& c : local_candidates_) {
    if (c.address == address) return;
  }
  const auto hosts =
      std::count_if(local_candidates_.begin(), local_candidates_.end(),
                    [](const Candidate& c) { return c.type == CandidateType::host; });
  Candidate c;
  c.type = CandidateType::host;
  c.address = address;
  c.priority = candidate_priority(CandidateType::host, static_cast<std::uint16_t>(65535 - hosts));
  c.foundation = Candidate::make_foundation(CandidateType::host, address);
  local_candidates_.push_back(std::move(c));
}

void Agent::set_stun_server(const net::SocketAddress& server) {
  if (server.valid()) stun_server_ = server;
}

void Agent::add_relay_candidate(PathId path, const net::SocketAddress& relayed,
                                const net::SocketAddress& mapped, bool via_stream) {
  if (path == kSocketPath || !relayed.valid()) {
    throw std::invalid_argument("ICE relay candidate needs its own path and a valid address");
  }
  for (const Candidate& c : local_candidates_) {
    if (c.path == path) return; // one allocation, one relayed address
  }
  Candidate c;
  c.type = CandidateType::relay;
  c.address = relayed;
  c.path = path;
  if (mapped.valid()) c.related = mapped;
  // Several relays: those over UDP before those over TCP/TLS, and within each the one added first.
  const auto relays =
      std::count_if(local_candidates_.begin(), local_candidates_.end(),
                    [](const Candidate& x) { return x.type == CandidateType::relay; });
  const int top = via_stream ? 32767 : 65535;
  c.priority = candidate_priority(CandidateType::relay, static_cast<std::uint16_t>(top - relays));
  c.foundation = Candidate::make_foundation(CandidateType::relay, relayed);
  local_candidates_.push_back(std::move(c));
  for (const Candidate& remote : remote_candidates_) {
    if (remote.transport == Transport::udp) add_pair(Route{path, remote.address}, remote.priority);
  }
}

void Agent::add_tcp_candidate(PathId path, const net::SocketAddress& local,
                              const net::SocketAddress& remote) {
  if (path == kSocketPath || !local.valid() || !remote.valid()) {
    throw std::invalid_argument("ICE-TCP candidate needs its own path and valid addresses");
  }
  for (const Candidate& c : local_candidates_) {
    if (c.path == path) return; // one connection, one candidate
  }
  Candidate c;
  c.type = CandidateType::host;
  c.transport = Transport::tcp;
  c.tcp_type = TcpType::active;
  c.address = local;
  c.path = path;
  c.priority = tcp_candidate_priority(CandidateType::host, TcpType::active);
  c.foundation = Candidate::make_foundation(CandidateType::host, local) + "tcp";
  local_candidates_.push_back(std::move(c));
  std::uint32_t remote_priority = tcp_candidate_priority(CandidateType::host, TcpType::passive);
  for (const Candidate& r : remote_candidates_) {
    if (r.transport == Transport::tcp && r.address == remote) remote_priority = r.priority;
  }
  add_pair(Route{path, remote}, remote_priority);
}

void Agent::set_remote_credentials(std::string ufrag, std::string pwd) {
  if (ufrag.empty() || ufrag.size() > 256 || pwd.empty() || pwd.size() > 256) {
    throw std::invalid_argument("remote ICE ufrag/pwd must be 1-256 characters");
  }
  remote_ufrag_ = std::move(ufrag);
  remote_pwd_ = std::move(pwd);
  remote_key_.emplace(stun::IntegrityKey::short_term(remote_pwd_));
  if (started_ && !checks_started_at_) start_pending_ = true; // checks begin at the next tick
}

void Agent::set_remote_ice_lite(bool lite) {
  remote_lite_ = lite;
  if (lite) switch_role(Role::controlling);
}

void Agent::add_remote_candidate(const Candidate& candidate) {
  if (candidate.connectable_tcp()) {
    for (const Candidate& c : remote_candidates_) {
      if (c.transport == Transport::tcp && c.address == candidate.address) return;
    }
    if (remote_candidates_.size() >= kMaxRemoteCandidates) {
      ++counters_.candidates_ignored;
      return;
    }
    remote_candidates_.push_back(candidate); // paired by add_tcp_candidate
    return;
  }
  if (!candidate.usable()) {
    ++counters_.candidates_ignored;
    return;
  }
  for (Candidate& c : remote_candidates_) {
    if (c.address != candidate.address || c.transport != Transport::udp) continue;
    // Signalled after we learned it as peer-reflexive: keep the signalled type and priority.
    c = candidate;
    for (CandidatePair& p : pairs_) {
      if (p.remote == candidate.address) p.remote_priority = candidate.priority;
    }
    sort_pairs();
    return;
  }
  if (remote_candidates_.size() >= kMaxRemoteCandidates) {
    ++counters_.candidates_ignored;
    return;
  }
  // Kept even when no local path can pair with it yet: a relay candidate added later (its
  // allocation still running) pairs with it then.
  if (!pair_with_all_paths(candidate.address, candidate.priority)) ++counters_.candidates_ignored;
  remote_candidates_.push_back(candidate);
}

bool Agent::pair_with_all_paths(const net::SocketAddress& remote, std::uint32_t remote_priority) {
  bool any = false;
  for (const Candidate& c : local_candidates_) {
    if (c.type == CandidateType::srflx || c.type == CandidateType::prflx) continue;
    if (c.transport == Transport::tcp) continue; // bound to its own remote (add_tcp_candidate)
    if (add_pair(Route{c.path, remote}, remote_priority) != nullptr) any = true;
  }
  return any;
}

const Candidate* Agent::local_candidate_for(PathId path, const net::SocketAddress& remote) const {
  const Candidate* best = nullptr;
  for (const Candidate& c : local_candidates_) {
    if (c.path != path || c.type == CandidateType::srflx || c.type == CandidateType::prflx ||
        c.address.is_v4() != remote.is_v4()) {
      continue;
    }
    if (best == nullptr || c.priority > best->priority) best = &c;
  }
  return best;
}

bool Agent::has_local_path(PathId path) const {
  return std::any_of(local_candidates_.begin(), local_candidates_.end(),
                     [path](const Candidate& c) { return c.path == path; });
}

CandidatePair* Agent::find_pair(const Route& route) {
  for (CandidatePair& p : pairs_) {
    if (p.path == route.path && p.remote == route.remote) return &p;
  }
  return nullptr;
}

CandidatePair* Agent::add_pair(const Route& route, std::uint32_t remote_priority) {
  if (CandidatePair* existing = find_pair(route)) return existing;
  const Candidate* local = local_candidate_for(route.path, route.remote);
  if (local == nullptr || pairs_.size() >= kMaxPairs) return nullptr;
  CandidatePair p;
  p.path = route.path;
  p.remote = route.remote;
  p.local_type = local->type;
  p.local_priority = local->priority;
  p.remote_priority = remote_priority;
  pairs_.push_back(p);
  sort_pairs();
  return find_pair(route);
}

std::optional<CandidateType> Agent::selected_local_type() const {
  if (!selected_) return std::nullopt;
  for (const CandidatePair& p : pairs_) {
    if (p.path == selected_->path && p.remote == selected_->remote) return p.local_type;
  }
  return std::nullopt;
}

std::optional<CandidateType> Agent::selected_remote_type() const {
  if (!selected_) return std::nullopt;
  const auto transport = selected_transport();
  for (const Candidate& c : remote_candidates_) {
    if (c.address == selected_->remote && c.transport == transport) return c.type;
  }
  return CandidateType::prflx;
}

std::optional<Transport> Agent::selected_transport() const {
  if (!selected_) return std::nullopt;
  for (const Candidate& c : local_candidates_) {
    if (c.path == selected_->path) return c.transport;
  }
  return Transport::udp;
}

void Agent::sort_pairs() {
  for (CandidatePair& p : pairs_) {
    p.priority = role_ == Role::controlling ? pair_priority(p.local_priority, p.remote_priority)
                                            : pair_priority(p.remote_priority, p.local_priority);
  }
  std::stable_sort(
      pairs_.begin(), pairs_.end(),
      [](const CandidatePair& a, const CandidatePair& b) { return a.priority > b.priority; });
}

void Agent::switch_role(Role role) {
  if (role_ == role) return;
  if (remote_lite_ && role == Role::controlled) return; // a lite peer cannot nominate
  role_ = role;
  nomination_deadline_.reset();
  sort_pairs();
}

void Agent::enqueue_triggered(const Route& route) {
  if (std::find(triggered_.begin(), triggered_.end(), route) == triggered_.end()) {
    triggered_.push_back(route);
  }
}

// ---------------------------------------------------------------- lifecycle

void Agent::start(TimePoint now) {
  if (started_ || state_ == State::closed || state_ == State::failed) return;
  started_ = true;
  last_now_ = now;
  if (stun_server_ && local_candidate_for(kSocketPath, *stun_server_) != nullptr) {
    gathering_deadline_ = now + config_.gathering_timeout;
    send_gather_request(now);
  } else {
    finish_gathering();
  }
  if (state_ == State::closed) return;
  maybe_start_checks(now);
}

void Agent::close() {
  if (state_ == State::closed) return;
  transactions_.clear();
  triggered_.clear();
  selected_.reset();
  set_state(State::closed);
}

void Agent::fail(FailureReason reason) {
  if (state_ == State::failed || state_ == State::closed) return;
  failure_ = reason;
  transactions_.clear();
  triggered_.clear();
  selected_.reset();
  set_state(State::failed);
}

void Agent::set_state(State state) {
  if (state_ == state) return;
  state_ = state;
  listener_.on_ice_state(state);
}

void Agent::finish_gathering() {
  if (gathering_done_) return;
  gathering_done_ = true;
  gathering_deadline_.reset();
  transactions_.erase(
      std::remove_if(transactions_.begin(), transactions_.end(),
                     [](const Transaction& t) { return t.kind == TransactionKind::gather; }),
      transactions_.end());
  listener_.on_ice_gathering_done();
}

void Agent::maybe_start_checks(TimePoint now) {
  start_pending_ = false;
  if (!started_ || !remote_key_ || checks_started_at_) return;
  if (state_ == State::failed || state_ == State::closed) return;
  checks_started_at_ = now;
  if (state_ == State::idle) set_state(State::checking);
}

bool Agent::checks_running() const {
  return checks_started_at_ && (state_ == State::checking || state_ == State::connected);
}

void Agent::select(CandidatePair& pair, TimePoint now) {
  selected_ = Route{pair.path, pair.remote};
  last_consent_ok_ = now;
  nomination_deadline_.reset();
  if (state_ != State::connected) {
    next_consent_at_ = now + consent_jitter();
    set_state(State::connected);
  }
}

Duration Agent::consent_jitter() const {
  // RFC 7675 §5.1: uniformly 0.8–1.2 × the interval, so consent checks of many flows do not align.
  const auto permille = 800 + static_cast<std::int64_t>(random_u32() % 401);
  return config_.consent_interval * permille / 1000;
}

// ---------------------------------------------------------------- timers

std::optional<TimePoint> Agent::next_check_time() const {
  if (!checks_running()) return std::nullopt;
  bool work = !triggered_.empty();
  if (!work && state_ == State::checking) {
    work = std::any_of(pairs_.begin(), pairs_.end(),
                       [](const CandidatePair& p) { return p.state == PairState::waiting; });
  }
  if (!work) return std::nullopt;
  return last_check_sent_at_ ? *last_check_sent_at_ + config_.ta : *checks_started_at_;
}

std::optional<TimePoint> Agent::next_timeout() const {
  if (state_ == State::failed || state_ == State::closed) return std::nullopt;
  std::optional<TimePoint> next;
  auto consider = [&next](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (start_pending_) consider(last_now_);
  for (const Transaction& t : transactions_)
    consider(t.next_send);
  consider(next_check_time());
  if (!gathering_done_) consider(gathering_deadline_);
  if (state_ == State::checking) {
    if (role_ == Role::controlling) consider(nomination_deadline_);
    if (checks_started_at_) consider(*checks_started_at_ + config_.check_timeout);
  }
  if (state_ == State::connected) {
    consider(next_consent_at_);
    consider(last_consent_ok_ + config_.consent_timeout);
  }
  return next;
}

void Agent::handle_timeout(TimePoint now) {
  if (state_ == State::failed || state_ == State::closed) return;
  last_now_ = now;
  maybe_start_checks(now);
  if (!gathering_done_ && gathering_deadline_ && now >= *gathering_deadline_) finish_gathering();
  if (state_ == State::closed) return;
  run_retransmissions(now);
  if (state_ == State::failed || state_ == State::closed) return;
  if (state_ == State::checking && checks_started_at_ &&
      now >= *checks_started_at_ + config_.check_timeout) {
    fail(FailureReason::check_timeout);
    return;
  }
  maybe_nominate(now);
  run_pacing(now);
  run_consent(now);
}

void Agent::run_retransmissions(TimePoint now) {
  for (std::size_t i = 0; i < transactions_.size();) {
    Transaction& t = transactions_[i];
    if (t.next_send > now) {
      ++i;
      continue;
    }
    if (t.transmissions < t.max_transmissions) {
      t.last_sent = now;
      transmit(t);
      ++t.transmissions;
      ++counters_.retransmissions;
      t.rto = std::min(t.rto * 2, config_.check_rto_max);
      t.next_send = now + t.rto;
      ++i;
      continue;
    }
    const Transaction expired = t;
    transactions_.erase(transactions_.begin() + static_cast<std::ptrdiff_t>(i));
    on_transaction_timeout(expired, now);
    if (state_ == State::failed || state_ == State::closed) return;
  }
}

void Agent::on_transaction_timeout(const Transaction& t, TimePoint now) {
  switch (t.kind) {
  case TransactionKind::gather: finish_gathering(); return;
  case TransactionKind::consent: return; // consent loss is judged by time since the last success
  case TransactionKind::check:
  case TransactionKind::nomination: break;
  }
  const Route route{t.path, t.to};
  CandidatePair* pair = find_pair(route);
  if (pair == nullptr || has_transaction_to(route, TransactionKind::check) ||
      has_transaction_to(route, TransactionKind::nomination)) {
    return;
  }
  if (t.kind == TransactionKind::nomination) {
    // It worked once but the nomination got no answer: check it again like a fresh pair (other
    // valid pairs get nominated first); the overall check timeout still bounds the whole thing.
    pair->valid = false;
    pair->state = PairState::waiting;
  } else if (pair->state == PairState::in_progress) {
    pair->state = PairState::failed;
  }
  maybe_nominate(now);
}

void Agent::run_pacing(TimePoint now) {
  auto due = next_check_time();
  if (!due || now < *due) return;
  last_check_sent_at_ = now; // one slot per Ta, even if it ends up unused
  while (!triggered_.empty()) {
    const Route route = triggered_.front();
    triggered_.erase(triggered_.begin());
    CandidatePair* pair = find_pair(route);
    if (pair == nullptr || pair->state == PairState::succeeded ||
        has_transaction_to(route, TransactionKind::check) ||
        has_transaction_to(route, TransactionKind::nomination)) {
      continue;
    }
    send_check(*pair, TransactionKind::check, now);
    return;
  }
  if (state_ != State::checking) return;
  for (CandidatePair& p : pairs_) {
    if (p.state == PairState::waiting) {
      send_check(p, TransactionKind::check, now);
      return;
    }
  }
}

void Agent::maybe_nominate(TimePoint now) {
  if (role_ != Role::controlling || state_ != State::checking || !checks_running()) return;
  if (std::any_of(transactions_.begin(), transactions_.end(),
                  [](const Transaction& t) { return t.kind == TransactionKind::nomination; })) {
    return;
  }
  bool better_pending = false;
  for (CandidatePair& p : pairs_) {
    if (p.valid && p.state == PairState::succeeded) {
      if (better_pending) {
        if (!nomination_deadline_) nomination_deadline_ = now + config_.nomination_wait;
        if (now < *nomination_deadline_) return;
      }
      nomination_deadline_.reset();
      send_check(p, TransactionKind::nomination, now);
      return;
    }
    if (p.state == PairState::waiting || p.state == PairState::in_progress) better_pending = true;
  }
}

void Agent::resend_in_progress(const Route& route, TimePoint now) {
  // The peer's check shows the path works now: rather than wait for the backed-off retransmission
  // (RFC 8445 §7.3.1.4 would even cancel it), send it again at once, at most once per Ta.
  for (Transaction& t : transactions_) {
    if (t.to != route.remote || t.path != route.path ||
        (t.kind != TransactionKind::check && t.kind != TransactionKind::nomination)) {
      continue;
    }
    if (now - t.last_sent >= config_.ta) {
      t.last_sent = now;
      ++counters_.retransmissions;
      transmit(t);
    }
    return;
  }
}

void Agent::run_consent(TimePoint now) {
  if (state_ != State::connected || !selected_) return;
  if (now - last_consent_ok_ >= config_.consent_timeout) {
    fail(FailureReason::consent_lost);
    return;
  }
  if (next_consent_at_ && now >= *next_consent_at_) {
    next_consent_at_ = now + consent_jitter();
    if (CandidatePair* pair = find_pair(*selected_))
      send_check(*pair, TransactionKind::consent, now);
  }
}

// ---------------------------------------------------------------- sending

bool Agent::has_transaction_to(const Route& to, TransactionKind kind) const {
  return std::any_of(transactions_.begin(), transactions_.end(), [&](const Transaction& t) {
    return t.kind == kind && t.path == to.path && t.to == to.remote;
  });
}

Transaction* Agent::find_transaction(std::span<const std::uint8_t, stun::kTransactionIdSize> id) {
  for (Transaction& t : transactions_) {
    if (std::equal(id.begin(), id.end(), t.id.begin())) return &t;
  }
  return nullptr;
}

void Agent::erase_transaction(const Transaction* t) {
  transactions_.erase(transactions_.begin() + (t - transactions_.data()));
}

void Agent::send_check(CandidatePair& pair, TransactionKind kind, TimePoint now) {
  if (!remote_key_ || transactions_.size() >= kMaxTransactions) {
    if (kind != TransactionKind::consent) pair.state = PairState::failed;
    return;
  }
  Transaction t;
  random_bytes(t.id);
  t.kind = kind;
  t.path = pair.path;
  t.to = pair.remote;
  t.role_at_send = role_;
  t.rto = config_.check_rto;
  if (kind == TransactionKind::consent) {
    // RFC 7675: no retransmissions; the entry only waits for a late answer, then expires.
    t.max_transmissions = 1;
    t.next_send = now + config_.consent_timeout;
  } else {
    t.max_transmissions = config_.check_max_transmissions;
    t.next_send = now + t.rto;
    pair.state = PairState::in_progress;
    last_check_sent_at_ = now;
  }
  t.transmissions = 1;
  t.last_sent = now;
  ++counters_.checks_sent;
  transactions_.push_back(t);
  transmit(t);
}

void Agent::transmit(const Transaction& t) {
  if (t.kind == TransactionKind::gather) {
    stun::MessageBuilder b(send_buffer_, stun::Method::binding, stun::MessageClass::request, t.id);
    b.add_fingerprint();
    if (b.ok()) listener_.on_ice_send(t.path, t.to, b.bytes());
    return;
  }
  if (!remote_key_) return;
  stun::MessageBuilder b(send_buffer_, stun::Method::binding, stun::MessageClass::request, t.id);
  // USERNAME is "remote:local"; the buffer is far larger than any 256+256 ufrag pair.
  std::array<char, 520> user{};
  const std::size_t n = remote_ufrag_.size() + 1 + config_.local_ufrag.size();
  if (n > user.size()) return;
  std::copy(remote_ufrag_.begin(), remote_ufrag_.end(), user.begin());
  user[remote_ufrag_.size()] = ':';
  std::copy(config_.local_ufrag.begin(), config_.local_ufrag.end(),
            user.begin() + static_cast<std::ptrdiff_t>(remote_ufrag_.size() + 1));
  b.add_string(stun::attr::username, std::string_view(user.data(), n));
  // PRIORITY: what a peer-reflexive candidate learned from this check would get (§7.1.1).
  const Candidate* local = local_candidate_for(t.path, t.to);
  const std::uint32_t base = local != nullptr ? local->priority : 0;
  b.add_u32(stun::attr::priority,
            candidate_priority(CandidateType::prflx, static_cast<std::uint16_t>(base >> 8)));
  if (t.role_at_send == Role::controlling) {
    b.add_u64(stun::attr::ice_controlling, tie_breaker_);
    if (t.kind == TransactionKind::nomination) b.add_flag(stun::attr::use_candidate);
  } else {
    b.add_u64(stun::attr::ice_controlled, tie_breaker_);
  }
  b.add_message_integrity(*remote_key_);
  b.add_fingerprint();
  if (b.ok()) listener_.on_ice_send(t.path, t.to, b.bytes());
}

void Agent::send_gather_request(TimePoint now) {
  Transaction t;
  random_bytes(t.id);
  t.kind = TransactionKind::gather;
  t.path = kSocketPath;
  t.to = *stun_server_;
  t.rto = config_.check_rto;
  t.max_transmissions = config_.check_max_transmissions;
  t.transmissions = 1;
  t.last_sent = now;
  t.next_send = now + t.rto;
  transactions_.push_back(t);
  transmit(t);
}

} // namespace wab::ice
