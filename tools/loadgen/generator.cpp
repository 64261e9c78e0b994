// The schedule of a load run: start the bridge, place calls at the setup rate, wait until every
// call is up, measure one steady window, and in ramp mode add calls and measure again until a
// criterion fails. Media: a 1 ms tick sends the probes of one twentieth of the calls, so every
// leg sends every 20 ms and the load is spread evenly over the period.
#include "tools/loadgen/generator.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "rtc/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/writer.hpp"

namespace wab::loadgen {
namespace {

constexpr Duration kTick = milliseconds(1);
constexpr std::uint64_t kSlots = 20; // 20 ms / 1 ms
constexpr Duration kMaxCatchUp = milliseconds(20);
// Packets of the window still in flight when it closes get this long to arrive.
constexpr Duration kDrain = milliseconds(500);

double seconds_between(TimePoint a, TimePoint b) {
  return std::chrono::duration<double>(b - a).count();
}

double ms_between(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("no free TCP port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

} // namespace

Generator::Generator(Options options)
    : options_(std::move(options)), services_(loop_,
                                              [] {
                                                http::ServerLimits limits;
                                                limits.max_connections = 4096;
                                                return limits;
                                              }()),
      client_(loop_) {}

Generator::~Generator() = default;

double Generator::generator_cpu() const {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void Generator::after(Duration d, std::function<void()> f) {
  loop_.add_timer(loop_.now() + d, std::move(f));
}

int Generator::run() {
  if (!options_.gen_cpus.empty() && !pin_self(options_.gen_cpus)) {
    std::fprintf(stderr, "wab-loadgen: cannot pin to CPUs %s\n", options_.gen_cpus.c_str());
    return 2;
  }
  install_routes();
  services_port_ = services_.listen("127.0.0.1", 0);
  bridge_port_ = free_tcp_port();
  bridge_ = std::make_unique<BridgeProcess>(options_.bridge, bridge_environment(),
                                            options_.bridge_cpus, options_.bridge_log);
  std::printf("bridge pid %d on port %u (cpus %s), simulated services on port %u\n",
              int(bridge_->pid()), bridge_port_,
              options_.bridge_cpus.empty() ? "any" : options_.bridge_cpus.c_str(), services_port_);
  std::fflush(stdout);
  wait_healthy(loop_.now() + seconds(15));
  loop_.run();
  const int status = bridge_->stop(5000);
  if (exit_code_ == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
      !(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
    std::printf("wabridge exited abnormally (status %d)\n", status);
    exit_code_ = 1;
  }
  return exit_code_;
}

void Generator::wait_healthy(TimePoint deadline) {
  if (!bridge_->alive()) {
    std::printf("wabridge exited at start (see --bridge-log)\n");
    exit_code_ = 1;
    loop_.stop();
    return;
  }
  http::Request request;
  request.url = "http://127.0.0.1:" + std::to_string(bridge_port_) + "/healthz";
  request.timeout = seconds(1);
  client_.send(std::move(request), [this, deadline](http::Response response) {
    if (response.ok()) {
      idle_rss_ = sample_process(bridge_->pid()).rss_bytes;
      media_on_ = true;
      next_tick_ = loop_.now() + kTick;
      loop_.add_timer(next_tick_, [this] { on_media_tick(); });
      begin_step(options_.calls);
    } else if (loop_.now() > deadline) {
      std::printf("wabridge never became healthy\n");
      exit_code_ = 1;
      loop_.stop();
    } else {
      after(milliseconds(100), [this, deadline] { wait_healthy(deadline); });
    }
  });
}

void Generator::begin_step(std::size_t target) {
  step_first_call_ = calls_.size();
  target_ = target;
  current_ = StepResult{};
  current_.calls = target;
  setup_start_ = loop_.now();
  setup_start_cpu_ = sample_process(bridge_->pid()).cpu_seconds;
  const double placing_s = double(target - step_first_call_) / options_.setup_rate;
  step_deadline_ = loop_.now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(
                                     placing_s + options_.setup_timeout_s));
  place_next();
  check_established();
}

void Generator::place_next() {
  if (calls_.size() >= target_) return;
  auto call = std::make_unique<SimCall>();
  const std::size_t index = calls_.size();
  call->id = "wacid.load" + std::to_string(index);
  try {
    call->caller = std::make_unique<SimPeer>(
        loop_, batch_, SimPeer::Role::caller, static_cast<std::uint32_t>(index),
        [this](SimPeer::Role who, const Probe& p, TimePoint now) { on_probe(who, p, now); },
        [this](SimPeer::Role who, std::int64_t ns) { on_sent(who, ns); });
  } catch (const std::exception& e) {
    std::printf("cannot create caller leg %zu: %s\n", index, e.what());
    target_ = calls_.size(); // the step can only fail now
    return;
  }
  sdp::OpenAiOfferOptions offer_options; // a WhatsApp-shaped audio offer: Opus 111
  offer_options.include_data_channel = false;
  call->offer = sdp::write(sdp::offer_for_openai(
      rtc::local_parameters(call->caller->transport(), 0x30000000u + index, "WhatsAppAudioStream1"),
      offer_options));
  call->webhook_at = loop_.now();
  by_id_[call->id] = index;
  const std::string body = connect_body(*call);
  calls_.push_back(std::move(call));
  post_webhook(body);
  const auto interval = std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(1.0 / options_.setup_rate));
  after(interval, [this] { place_next(); });
}

void Generator::check_established() {
  std::size_t established = 0, ready = 0, failed = 0;
  for (const auto& c : calls_) {
    established += c->established();
    failed += c->caller->failed();
  }
  for (const auto& a : agents_) {
    ready += a->connected() && a->session_ready();
    failed += a->failed();
  }
  current_.established = established;
  current_.agents_ready = ready;
  current_.failed_legs = failed;
  if (calls_.size() >= target_ && established >= target_ && ready >= target_) {
    const std::size_t placed = target_ - step_first_call_;
    const double took = seconds_between(setup_start_, loop_.now());
    current_.setups_per_s = took > 0 ? double(placed) / took : 0;
    current_.setup_cpu_ms =
        placed == 0 ? 0
                    : 1000.0 * (sample_process(bridge_->pid()).cpu_seconds - setup_start_cpu_) /
                          double(placed);
    after(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options_.warmup_s)),
          [this] { open_window(); });
    return;
  }
  if (loop_.now() > step_deadline_ || !bridge_->alive()) {
    current_.setup_timed_out = true;
    std::printf("step %zu: only %zu calls up and %zu agents ready (%zu failed legs, %zu webhook "
                "failures, %zu Graph errors)%s\n",
                target_, established, ready, failed, webhook_failures_, graph_errors_,
                bridge_->alive() ? "" : "; wabridge died");
    results_.push_back(current_);
    finish();
    return;
  }
  after(milliseconds(50), [this] { check_established(); });
}

void Generator::open_window() {
  window_start_ = loop_.now();
  const auto end = window_start_ + std::chrono::duration_cast<Duration>(
                                       std::chrono::duration<double>(options_.window_s));
  for (auto& s : stats_)
    s.start(to_ns(window_start_), to_ns(end));
  window_start_sample_ = sample_process(bridge_->pid());
  window_start_gen_cpu_ = generator_cpu();
  window_start_skipped_ = skipped_ticks_;
  current_.idle_rss = idle_rss_;
  current_.bridge_rss = window_start_sample_.rss_bytes;
  loop_.add_timer(end, [this] { close_window(); });
  if (options_.sample_every_s > 0) {
    after(std::chrono::duration_cast<Duration>(
              std::chrono::duration<double>(options_.sample_every_s)),
          [this] { print_sample(); });
  }
}

void Generator::print_sample() {
  if (current_.window_s > 0) return; // the window has closed
  const auto s = sample_process(bridge_->pid());
  std::printf("  t=%6.0fs bridge cpu %.2f%% of a core, RSS %.1f MiB, fds %zu\n",
              seconds_between(window_start_, loop_.now()),
              100.0 * (s.cpu_seconds - window_start_sample_.cpu_seconds) /
                  std::max(1e-9, seconds_between(window_start_, loop_.now())),
              double(s.rss_bytes) / 1048576.0, s.open_fds);
  std::fflush(stdout);
  after(
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(options_.sample_every_s)),
      [this] { print_sample(); });
}

void Generator::close_window() {
  const auto s = sample_process(bridge_->pid());
  current_.window_s = seconds_between(window_start_, loop_.now());
  current_.bridge_cpu_s = s.cpu_seconds - window_start_sample_.cpu_seconds;
  current_.generator_cpu_s = generator_cpu() - window_start_gen_cpu_;
  current_.skipped_ticks = skipped_ticks_ - window_start_skipped_;
  current_.bridge_rss = std::max(current_.bridge_rss, s.rss_bytes);
  current_.bridge_fds = s.open_fds;
  after(kDrain, [this] { finish_step(); });
}

void Generator::finish_step() {
  StepResult& r = current_;
  std::uint64_t forwarded = 0;
  // A generator that fell behind measured itself, not the bridge: such a step cannot pass.
  bool pass = !r.setup_timed_out && r.skipped_ticks == 0;
  for (int d = 0; d < 2; ++d) {
    r.sent[d] = stats_[d].sent();
    r.received[d] = stats_[d].received();
    r.loss[d] = stats_[d].loss();
    r.latency_us[d] = stats_[d].latency();
    forwarded += r.received[d];
    pass = pass && r.loss[d] <= options_.max_loss && r.latency_us[d].p99 <= options_.max_p99_us &&
           r.sent[d] > 0;
  }
  r.pass = pass;
  r.cpu_us_per_packet = forwarded == 0 ? 0 : r.bridge_cpu_s * 1e6 / double(forwarded);
  std::vector<double> pre, acc;
  for (std::size_t i = step_first_call_; i < calls_.size(); ++i) {
    const auto& c = *calls_[i];
    if (c.pre_accept_at) pre.push_back(ms_between(c.webhook_at, *c.pre_accept_at));
    if (c.accept_at) acc.push_back(ms_between(c.webhook_at, *c.accept_at));
  }
  r.setup_pre_accept_ms = percentiles(pre);
  r.setup_accept_ms = percentiles(acc);
  for (const auto& c : calls_) {
    const auto p = c->caller->transport().srtp_profile();
    if (p) ++r.gcm_legs[*p == dtls::SrtpProfile::kAeadAes128Gcm ? 0 : 1];
  }
  for (const auto& a : agents_) {
    const auto p = a->transport().srtp_profile();
    if (p) ++r.gcm_legs[*p == dtls::SrtpProfile::kAeadAes128Gcm ? 0 : 1];
  }
  print_step(r);
  results_.push_back(r);
  if (options_.ramp_step > 0 && r.pass && target_ + options_.ramp_step <= options_.max_calls) {
    begin_step(target_ + options_.ramp_step);
  } else {
    finish();
  }
}

void Generator::finish() {
  media_on_ = false;
  if (options_.ramp_step > 0) {
    std::size_t best = 0;
    for (const auto& r : results_)
      if (r.pass) best = std::max(best, r.calls);
    std::printf("ramp: largest N holding loss <= %.3f%% and p99 <= %.0f us: %zu\n",
                options_.max_loss * 100, options_.max_p99_us, best);
  }
  if (options_.require_zero_loss) {
    bool ok = !results_.empty();
    for (const auto& r : results_) {
      ok = ok && !r.setup_timed_out && r.established == r.calls && r.sent[0] > 0 && r.sent[1] > 0 &&
           r.received[0] == r.sent[0] && r.received[1] == r.sent[1];
    }
    if (!ok) exit_code_ = 1;
  }
  if (results_.empty() || results_.back().setup_timed_out) {
    if (options_.ramp_step == 0) exit_code_ = 1;
  }
  // Hang every call up as Meta would, then give the bridge a moment to end its OpenAI calls.
  for (const auto& c : calls_)
    if (!c->ended) post_webhook(terminate_body(*c));
  wait_teardown(loop_.now() + seconds(10));
}

void Generator::wait_teardown(TimePoint deadline) {
  if (hangups_ < agents_.size() && loop_.now() <= deadline && bridge_->alive()) {
    after(milliseconds(50), [this, deadline] { wait_teardown(deadline); });
    return;
  }
  std::printf("teardown: %zu of %zu OpenAI calls hung up by the bridge\n", hangups_,
              agents_.size());
  for (auto& c : calls_)
    c->caller->close();
  for (auto& a : agents_)
    a->close();
  loop_.stop();
}

void Generator::on_media_tick() {
  if (!media_on_) return;
  const TimePoint now = loop_.now();
  // Catch up on ticks the loop was a little late for, so every leg keeps its 50 packets a
  // second; when far behind (an overloaded generator) skip them instead of bursting, and say so.
  if (now - next_tick_ > kMaxCatchUp) {
    const auto behind = (now - next_tick_) / kTick;
    skipped_ticks_ += static_cast<std::uint64_t>(behind);
    tick_ += static_cast<std::uint64_t>(behind);
    next_tick_ += behind * kTick;
  }
  while (next_tick_ <= now) {
    const std::uint64_t slot = tick_++ % kSlots;
    for (std::size_t i = slot; i < calls_.size(); i += kSlots) {
      auto& c = *calls_[i];
      if (c.accept_at && !c.ended) c.caller->send_probe();
    }
    for (std::size_t i = slot; i < agents_.size(); i += kSlots) {
      if (agents_[i]->session_ready()) agents_[i]->send_probe();
    }
    next_tick_ += kTick;
  }
  loop_.add_timer(next_tick_, [this] { on_media_tick(); });
}

void Generator::on_probe(SimPeer::Role receiver, const Probe& probe, TimePoint now) {
  // The agent receives the caller→agent direction (0), the caller agent→caller (1).
  stats_[receiver == SimPeer::Role::agent ? 0 : 1].on_received(probe.sent_ns, to_ns(now));
}

void Generator::on_sent(SimPeer::Role sender, std::int64_t sent_ns) {
  stats_[sender == SimPeer::Role::caller ? 0 : 1].on_sent(sent_ns);
}

void Generator::print_step(const StepResult& r) const {
  static const char* kDirection[2] = {"caller->agent", "agent->caller"};
  std::printf("step N=%zu: %zu calls established, %zu agents ready, %zu failed legs\n", r.calls,
              r.established, r.agents_ready, r.failed_legs);
  std::printf("  setup (webhook -> Graph): pre_accept p50 %.1f p99 %.1f max %.1f ms; accept p50 "
              "%.1f p99 %.1f max %.1f ms\n",
              r.setup_pre_accept_ms.p50, r.setup_pre_accept_ms.p99, r.setup_pre_accept_ms.max,
              r.setup_accept_ms.p50, r.setup_accept_ms.p99, r.setup_accept_ms.max);
  std::printf("  setup phase: %.1f calls/s up (offered %.1f/s); bridge CPU %.2f ms per call "
              "set up (includes the media of the calls already up)\n",
              r.setups_per_s, options_.setup_rate, r.setup_cpu_ms);
  for (int d = 0; d < 2; ++d) {
    std::printf("  %s: sent %llu received %llu loss %.4f%%; one-way latency p50 %.0f p99 %.0f "
                "max %.0f us\n",
                kDirection[d], static_cast<unsigned long long>(r.sent[d]),
                static_cast<unsigned long long>(r.received[d]), r.loss[d] * 100,
                r.latency_us[d].p50, r.latency_us[d].p99, r.latency_us[d].max);
  }
  const double rss_per_call =
      r.calls == 0 ? 0 : (double(r.bridge_rss) - double(r.idle_rss)) / double(r.calls) / 1024.0;
  std::printf("  bridge: %.2f CPU s in %.1f s window (%.1f%% of a core), %.2f us CPU per forwarded "
              "packet; RSS %.1f MiB (idle %.1f MiB, %.1f KiB per call); %zu fds\n",
              r.bridge_cpu_s, r.window_s, 100.0 * r.bridge_cpu_s / std::max(r.window_s, 1e-9),
              r.cpu_us_per_packet, double(r.bridge_rss) / 1048576.0, double(r.idle_rss) / 1048576.0,
              rss_per_call, r.bridge_fds);
  std::printf("  SRTP: %zu legs AEAD_AES_128_GCM, %zu legs AES128_CM_SHA1_80\n", r.gcm_legs[0],
              r.gcm_legs[1]);
  std::printf("  generator: %.2f CPU s (%.1f%% of a core), %llu ms of send ticks skipped "
              "(overloaded)\n",
              r.generator_cpu_s, 100.0 * r.generator_cpu_s / std::max(r.window_s, 1e-9),
              static_cast<unsigned long long>(r.skipped_ticks));
  std::printf("  verdict: %s (loss <= %.3f%%, p99 <= %.0f us)\n", r.pass ? "PASS" : "FAIL",
              options_.max_loss * 100, options_.max_p99_us);
  std::fflush(stdout);
}

} // namespace wab::loadgen
