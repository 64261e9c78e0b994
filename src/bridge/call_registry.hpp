#pragma once
// CallRegistry: every live call of the process, keyed by Meta's call id, and the webhook events
// that create and end them. Meta retries webhooks (duplicates) and does not order them (a
// terminate may come before its connect), so the registry remembers call ids it has seen for a
// while: a repeated connect never makes a second call, and a connect whose terminate already
// arrived is not answered.
//
// Owns: the calls. Threads: the loop of CallServices only.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/call.hpp"
#include "whatsapp/webhook.hpp"

namespace wab::bridge {

// A registry's figures at one moment, for /metrics: its counters, the metrics its calls recorded
// and the media of its ended and live calls. add() sums several registries (one per worker).
struct RegistryFigures {
  std::size_t active_calls = 0;
  std::uint64_t calls_started = 0;
  std::uint64_t duplicates_ignored = 0;
  std::uint64_t datagrams_dropped = 0;
  MediaCounter media_to_agent;
  MediaCounter media_to_caller;
  CallMetrics metrics;
  void add(const RegistryFigures& other);
};

class CallRegistry {
public:
  explicit CallRegistry(CallServices& services, Duration remember_for = std::chrono::minutes(10));
  ~CallRegistry();

  // One parsed webhook body; events act in body order.
  void handle(const whatsapp::WebhookBatch& batch);

  // Places a business-initiated call; `done` gets Graph's answer to `connect` (its call_id on
  // success). Refused while draining.
  using PlaceDone = std::function<void(const whatsapp::GraphResult&)>;
  void place_call(OutboundCall outbound, PlaceDone done);

  // Starts a browser softphone call (no Meta); `done` gets our answer SDP, or empty with the
  // cause when the call could not be answered. Refused (false, `done` not called) while draining
  // or when the call id is taken.
  using SoftphoneAnswered =
      std::function<void(const std::string& answer_sdp, const std::string& cause)>;
  bool start_softphone_call(SoftphoneCall softphone, SoftphoneAnswered done);
  // Ends a live softphone call with `cause`; false when there is no such softphone call.
  bool hang_up_softphone_call(const std::string& call_id, const std::string& cause);

  // Stops taking calls (connects are rejected) and ends every live call with `cause`.
  void shut_down_all(const std::string& cause);
  void stop_accepting() { accepting_ = false; }

  std::size_t active_calls() const { return calls_.size() + placing_.size(); }
  std::uint64_t calls_started() const { return calls_started_; }
  std::uint64_t duplicates_ignored() const { return duplicates_ignored_; }
  // Datagrams refused by the legs of every call since start, live calls included.
  std::uint64_t datagrams_dropped() const;

  // What the calls recorded (ended causes, histograms, errors); read on the loop thread.
  const CallMetrics& metrics() const { return metrics_; }
  // Media since start, ended and live calls together.
  MediaCounter media_to_agent() const;
  MediaCounter media_to_caller() const;
  // One line per live call (placed calls still ringing included), for listings.
  std::vector<CallSnapshot> snapshots() const;
  // All of the above at once.
  RegistryFigures figures() const;
  // A call (or a placed call's early answer) with this id is held here.
  bool holds(const std::string& call_id) const {
    return calls_.count(call_id) != 0 || early_answers_.count(call_id) != 0;
  }

private:
  void on_connect(const whatsapp::CallConnect& connect);
  void on_terminate(const whatsapp::CallTerminate& terminate);
  void on_call_ended(Call& call);
  bool seen_recently(const std::string& key);
  void forget_old(TimePoint now);

  CallServices& services_;
  Duration remember_for_;
  bool accepting_ = true;
  std::unordered_map<std::string, std::unique_ptr<Call>> calls_;
  // Placed calls whose Graph `connect` has not answered yet (no call id).
  std::vector<std::unique_ptr<Call>> placing_;
  // Callee answers that came before their call id was known, by call id.
  std::unordered_map<std::string, std::string> early_answers_;
  // "<event>:<call id>" → when first seen, for de-duplication and out-of-order terminates.
  std::unordered_map<std::string, TimePoint> seen_;
  std::uint64_t calls_started_ = 0;
  std::uint64_t duplicates_ignored_ = 0;
  std::uint64_t dropped_by_ended_calls_ = 0;
  CallMetrics metrics_;
  template <typename F> void for_each_call(F&& f) const {
    for (const auto& [id, call] : calls_)
      f(*call);
    for (const auto& call : placing_)
      f(*call);
  }
};

} // namespace wab::bridge
