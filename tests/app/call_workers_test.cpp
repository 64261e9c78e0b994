// Which worker a webhook event goes to, and that a batch split over worker threads reaches them
// in order: a call's connect and terminate (and their retries) always meet on one worker.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/call_workers.hpp"

namespace wab::app {
namespace {

Config with_workers(std::uint32_t n) {
  Config c;
  c.workers = n;
  return c;
}

whatsapp::CallConnect connect(const std::string& id, whatsapp::CallDirection direction) {
  whatsapp::CallConnect c;
  c.call_id = id;
  c.direction = direction;
  return c;
}

whatsapp::CallTerminate terminate(const std::string& id, whatsapp::CallDirection direction) {
  whatsapp::CallTerminate t;
  t.call_id = id;
  t.direction = direction;
  t.status_text = "COMPLETED";
  return t;
}

std::string call_id(int i) {
  return "wacid.test-" + std::to_string(i);
}

TEST(CallWorkers, OneWorkerTakesEverything) {
  net::EventLoop loop;
  CallWorkers workers(loop, with_workers(1), {}, {});
  ASSERT_EQ(workers.size(), 1u);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(workers.route(connect(call_id(i), whatsapp::CallDirection::user_initiated)), 0u);
  }
}

TEST(CallWorkers, ACallsEventsGoToOneWorkerAndCallsSpreadOverAll) {
  net::EventLoop loop;
  CallWorkers workers(loop, with_workers(4), {}, {});
  std::set<std::size_t> used;
  for (int i = 0; i < 200; ++i) {
    const auto at = workers.route(connect(call_id(i), whatsapp::CallDirection::user_initiated));
    ASSERT_LT(at, 4u);
    EXPECT_EQ(workers.route(terminate(call_id(i), whatsapp::CallDirection::user_initiated)), at);
    // A terminate that does not say its direction follows the id as well.
    EXPECT_EQ(workers.route(terminate(call_id(i), whatsapp::CallDirection::unknown)), at);
    used.insert(at);
  }
  EXPECT_EQ(used.size(), 4u);
}

TEST(CallWorkers, PlacedCallsAndStatusesStayOnTheControlWorker) {
  net::EventLoop loop;
  CallWorkers workers(loop, with_workers(4), {}, {});
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(workers.route(connect(call_id(i), whatsapp::CallDirection::business_initiated)), 0u);
    EXPECT_EQ(workers.route(terminate(call_id(i), whatsapp::CallDirection::business_initiated)),
              0u);
    whatsapp::CallStatus status;
    status.call_id = call_id(i);
    EXPECT_EQ(workers.route(status), 0u);
  }
}

// Every terminate is sent twice, in two webhook bodies: each registry counts a retry it has seen
// as a duplicate, so the total is one per call only if both copies reached the same worker thread
// and the second after the first.
TEST(CallWorkers, RetriesMeetTheirFirstDeliveryOnTheWorkerThreads) {
  net::EventLoop loop;
  CallWorkers workers(loop, with_workers(3), {}, {});
  workers.start();
  constexpr int kCalls = 50;
  for (int round = 0; round < 2; ++round) {
    whatsapp::WebhookBatch batch;
    for (int i = 0; i < kCalls; ++i) {
      // The retries come in the other order, as Meta does not keep one.
      const int call = round == 0 ? i : kCalls - 1 - i;
      batch.events.emplace_back(terminate(call_id(call), whatsapp::CallDirection::user_initiated));
    }
    workers.handle(batch);
  }
  // Queries queue behind the handed-over batches on each worker's loop.
  const auto figures = workers.figures();
  EXPECT_EQ(figures.duplicates_ignored, static_cast<std::uint64_t>(kCalls));
  EXPECT_EQ(figures.active_calls, 0u);
  EXPECT_EQ(workers.active_calls(), 0u);
  workers.stop();
}

TEST(CallWorkers, WorkerThreadsStartAndStopWithNothingLeft) {
  net::EventLoop loop;
  CallWorkers workers(loop, with_workers(3), {}, {});
  workers.start();
  const auto thread_of = [&](std::size_t i) {
    return workers.at(i).ask([] { return std::this_thread::get_id(); });
  };
  EXPECT_EQ(thread_of(0), std::this_thread::get_id()); // worker 0 is the control loop
  EXPECT_NE(thread_of(1), std::this_thread::get_id());
  EXPECT_NE(thread_of(2), std::this_thread::get_id());
  EXPECT_NE(thread_of(1), thread_of(2));
  EXPECT_EQ(workers.http_in_flight(), 0u);
  EXPECT_EQ(workers.loop_timers(), 0u);
  workers.stop();
  workers.stop();                                      // idempotent
  EXPECT_EQ(thread_of(1), std::this_thread::get_id()); // stopped: queries run here
  EXPECT_EQ(workers.active_calls(), 0u);
}

// Records what it hears, and on which thread.
class RecordingObserver final : public bridge::CallObserver {
public:
  void call_started(const bridge::CallSnapshot& call) override { heard("started " + call.call_id); }
  void call_step(const bridge::CallSnapshot& call, std::string_view step) override {
    heard("step " + call.call_id + " " + std::string(step));
  }
  void transcript(const std::string& call_id, std::string_view, const std::string&) override {
    heard("transcript " + call_id);
  }
  void call_ended(const bridge::CallSnapshot& call, const std::string& cause,
                  const std::string&) override {
    heard("ended " + call.call_id + " " + cause);
  }
  std::vector<std::string> events;
  std::set<std::thread::id> threads;

private:
  void heard(std::string what) {
    events.push_back(std::move(what));
    threads.insert(std::this_thread::get_id());
  }
};

// A call on a worker thread reports to the control thread's observer: its start, then its end
// (an offer that is no SDP ends it at once; its Graph reject goes to a closed local port).
TEST(CallWorkers, CallsOnWorkerThreadsReportOnTheControlThread) {
  net::EventLoop loop;
  Config config = with_workers(2);
  config.whatsapp_graph_url = "http://127.0.0.1:9/v24.0";
  CallWorkers workers(loop, config, {}, {});
  RecordingObserver observer;
  workers.set_observer(&observer);
  workers.start();

  std::string id;
  for (int i = 0; id.empty(); ++i) {
    if (workers.route(connect(call_id(i), whatsapp::CallDirection::user_initiated)) == 1) {
      id = call_id(i);
    }
  }
  auto offer = connect(id, whatsapp::CallDirection::user_initiated);
  offer.sdp_type = whatsapp::SdpType::offer;
  offer.sdp = "not an SDP";
  offer.business.phone_number_id = "1234";
  whatsapp::WebhookBatch batch;
  batch.events.emplace_back(offer);
  workers.handle(batch);

  const auto deadline = loop.now() + seconds(10);
  while (observer.events.size() < 2 && loop.now() < deadline)
    loop.run_once(milliseconds(50));
  ASSERT_EQ(observer.events.size(), 2u);
  EXPECT_EQ(observer.events[0], "started " + id);
  EXPECT_EQ(observer.events[1], "ended " + id + " caller_offer_unusable");
  EXPECT_EQ(observer.threads, std::set<std::thread::id>{std::this_thread::get_id()});
  // The call was worker 1's: the metrics count its end there.
  const auto figures = workers.figures();
  EXPECT_EQ(figures.calls_started, 1u);
  EXPECT_EQ(figures.metrics.ended_by_cause.at("caller_offer_unusable"), 1u);
  EXPECT_EQ(workers.at(1).ask([&w = workers.at(1)] { return w.registry().calls_started(); }), 1u);
  workers.stop();
  workers.set_observer(nullptr);
}

} // namespace
} // namespace wab::app
