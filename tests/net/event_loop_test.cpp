#include "net/event_loop.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace wab::net {
namespace {

// A base far enough in the past that every timer relative to it is already due.
TimePoint past(EventLoop& loop) {
  return loop.now() - std::chrono::hours(1);
}

TEST(EventLoopTimers, DueTimersFireInTimeOrder) {
  EventLoop loop;
  const TimePoint base = past(loop);
  std::vector<int> fired;
  loop.add_timer(base + milliseconds(3), [&] { fired.push_back(3); });
  loop.add_timer(base + milliseconds(1), [&] { fired.push_back(1); });
  loop.add_timer(base + milliseconds(2), [&] { fired.push_back(2); });
  EXPECT_EQ(loop.run_once(Duration::zero()), 3u);
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoopTimers, EqualDeadlinesFireInInsertionOrder) {
  EventLoop loop;
  const TimePoint when = past(loop);
  std::vector<int> fired;
  for (int i = 0; i < 10; ++i)
    loop.add_timer(when, [&fired, i] { fired.push_back(i); });
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(EventLoopTimers, FutureTimerWaitsThenFires) {
  EventLoop loop;
  bool fired = false;
  const TimePoint when = loop.now() + milliseconds(30);
  loop.add_timer(when, [&] { fired = true; });
  loop.run_once(Duration::zero());
  EXPECT_FALSE(fired);
  // run_once blocks in epoll_wait only until the timer is due, not for the full 10 s.
  for (int i = 0; i < 5 && !fired; ++i)
    loop.run_once(seconds(10));
  EXPECT_TRUE(fired);
  EXPECT_GE(loop.now(), when);
}

TEST(EventLoopTimers, CancelPreventsFiringAndReportsState) {
  EventLoop loop;
  const TimePoint base = past(loop);
  int fired = 0;
  const TimerId a = loop.add_timer(base, [&] { fired += 1; });
  const TimerId b = loop.add_timer(base, [&] { fired += 10; });
  EXPECT_NE(a, kNoTimer);
  EXPECT_TRUE(loop.cancel_timer(a));
  EXPECT_FALSE(loop.cancel_timer(a));
  EXPECT_FALSE(loop.cancel_timer(kNoTimer));
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, 10);
  EXPECT_FALSE(loop.cancel_timer(b)) << "already fired";
}

TEST(EventLoopTimers, StaleIdDoesNotCancelReusedSlot) {
  EventLoop loop;
  const TimePoint base = past(loop);
  const TimerId old_id = loop.add_timer(base, [] {});
  ASSERT_TRUE(loop.cancel_timer(old_id));
  bool fired = false;
  const TimerId new_id = loop.add_timer(base, [&] { fired = true; }); // reuses the slot
  EXPECT_NE(old_id, new_id);
  EXPECT_FALSE(loop.cancel_timer(old_id));
  loop.run_once(Duration::zero());
  EXPECT_TRUE(fired);
}

TEST(EventLoopTimers, CallbackCancelsLaterTimerOfSameRound) {
  EventLoop loop;
  const TimePoint base = past(loop);
  bool second_fired = false;
  TimerId second = kNoTimer;
  loop.add_timer(base, [&] { EXPECT_TRUE(loop.cancel_timer(second)); });
  second = loop.add_timer(base + milliseconds(1), [&] { second_fired = true; });
  loop.run_once(Duration::zero());
  EXPECT_FALSE(second_fired);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoopTimers, CallbackCancellingItselfIsHarmless) {
  EventLoop loop;
  TimerId self = kNoTimer;
  int fired = 0;
  self = loop.add_timer(past(loop), [&] {
    ++fired;
    EXPECT_FALSE(loop.cancel_timer(self));
  });
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTimers, TimerArmedByCallbackRunsNextRound) {
  EventLoop loop;
  const TimePoint base = past(loop);
  int chain = 0;
  std::function<void()> rearm = [&] {
    ++chain;
    if (chain < 3) loop.add_timer(base, rearm); // due immediately, but not this round
  };
  loop.add_timer(base, rearm);
  EXPECT_EQ(loop.run_once(Duration::zero()), 1u);
  EXPECT_EQ(chain, 1);
  loop.run_once(Duration::zero());
  loop.run_once(Duration::zero());
  EXPECT_EQ(chain, 3);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoopTimers, RescheduleMovesDeadline) {
  EventLoop loop;
  const TimePoint base = past(loop);
  std::vector<int> fired;
  const TimerId a = loop.add_timer(base + milliseconds(1), [&] { fired.push_back(1); });
  loop.add_timer(base + milliseconds(2), [&] { fired.push_back(2); });
  const TimerId c = loop.add_timer(loop.now() + std::chrono::hours(1), [&] { fired.push_back(3); });
  EXPECT_TRUE(loop.reschedule_timer(a, base + milliseconds(5)));
  EXPECT_TRUE(loop.reschedule_timer(c, base + milliseconds(3)));
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, (std::vector<int>{2, 3, 1}));
  EXPECT_FALSE(loop.reschedule_timer(a, base));
}

// Random adds/cancels/reschedules against a reference model: catches heap-index bugs.
TEST(EventLoopTimers, HeapMatchesReferenceModelUnderChurn) {
  EventLoop loop;
  const TimePoint base = past(loop);
  std::mt19937 rng(12345);
  std::map<TimerId, std::pair<int, int>> live; // id -> (deadline ms, label)
  std::vector<int> fired;
  int label = 0;
  for (int step = 0; step < 5000; ++step) {
    const int op = static_cast<int>(rng() % 4);
    if (op <= 1 || live.empty()) {
      const int ms = static_cast<int>(rng() % 1000);
      const int my_label = label++;
      const TimerId id = loop.add_timer(base + milliseconds(ms),
                                        [&fired, my_label] { fired.push_back(my_label); });
      live[id] = {ms, my_label};
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      if (op == 2) {
        EXPECT_TRUE(loop.cancel_timer(it->first));
        live.erase(it);
      } else {
        const int ms = static_cast<int>(rng() % 1000);
        EXPECT_TRUE(loop.reschedule_timer(it->first, base + milliseconds(ms)));
        it->second.first = ms;
      }
    }
  }
  ASSERT_EQ(loop.pending_timers(), live.size());
  loop.run_once(Duration::zero());
  ASSERT_EQ(fired.size(), live.size());
  // Deadlines must be non-decreasing in firing order.
  std::map<int, int> deadline_of;
  for (const auto& [id, v] : live)
    deadline_of[v.second] = v.first;
  for (const int l : fired)
    EXPECT_EQ(deadline_of.count(l), 1u) << "cancelled timer " << l << " fired";
  for (std::size_t i = 1; i < fired.size(); ++i) {
    EXPECT_LE(deadline_of[fired[i - 1]], deadline_of[fired[i]]) << "at " << i;
  }
}

TEST(EventLoopPost, PostFromAnotherThreadWakesRun) {
  EventLoop loop;
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id ran_on;
  std::thread poster([&] {
    loop.post([&] {
      ran_on = std::this_thread::get_id();
      loop.stop();
    });
  });
  loop.run(); // returns only if the eventfd woke the (otherwise idle, timer-less) loop
  poster.join();
  EXPECT_EQ(ran_on, loop_thread);
  EXPECT_TRUE(loop.is_loop_thread());
  bool other_thread_says = true;
  std::thread([&] { other_thread_says = loop.is_loop_thread(); }).join();
  EXPECT_FALSE(other_thread_says);
}

TEST(EventLoopPost, ManyPostersAllTasksRunInPerThreadOrder) {
  EventLoop loop;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop.post([&, t, i] {
          seen[static_cast<std::size_t>(t)].push_back(i);
          if (++total == kThreads * kPerThread) loop.stop();
        });
      }
    });
  }
  loop.run();
  for (auto& th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[static_cast<std::size_t>(t)].size(), static_cast<std::size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(seen[static_cast<std::size_t>(t)].begin(),
                               seen[static_cast<std::size_t>(t)].end()));
  }
}

TEST(EventLoopPost, StopFromAnotherThread) {
  EventLoop loop;
  std::thread stopper([&] { loop.stop(); });
  loop.run();
  stopper.join();
  SUCCEED();
}

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe(fds), 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void poke() { ASSERT_EQ(::write(fds[1], "x", 1), 1); }
  void drain() {
    char c;
    ASSERT_EQ(::read(fds[0], &c, 1), 1);
  }
};

TEST(EventLoopFds, HandlerRunsWhileReadable) {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  loop.add_fd(p.fds[0], [&] {
    ++calls;
    p.drain();
  });
  loop.run_once(Duration::zero());
  EXPECT_EQ(calls, 0);
  p.poke();
  loop.run_once(seconds(5));
  EXPECT_EQ(calls, 1);
  EXPECT_THROW(loop.add_fd(p.fds[0], [] {}), std::system_error);
  EXPECT_EQ(loop.watched_fds(), 1u); // the refused second registration counts nothing
}

// A task another thread posted before a socket became readable runs first: the hand-over of a
// hang-up is not overtaken by the peer's close that followed it.
TEST(EventLoopFds, TasksPostedBeforeAnFdWasReadableRunBeforeItsHandler) {
  EventLoop loop;
  loop.run_once(Duration::zero()); // this thread drives the loop
  Pipe p;
  std::vector<std::string> order;
  loop.add_fd(p.fds[0], [&] {
    order.push_back("fd");
    p.drain();
  });
  std::thread([&] { loop.post([&] { order.push_back("task"); }); }).join();
  p.poke();
  loop.run_once(seconds(5));
  EXPECT_EQ(order, (std::vector<std::string>{"task", "fd"}));
}

TEST(EventLoopFds, HandlerMayRemoveItself) {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  loop.add_fd(p.fds[0], [&] {
    ++calls;
    loop.remove_fd(p.fds[0]); // destroys this very handler's registration mid-call
  });
  p.poke();
  loop.run_once(seconds(5));
  loop.run_once(Duration::zero()); // still readable, but no longer registered
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loop.watched_fds(), 0u);
  loop.remove_fd(p.fds[0]); // removing twice changes nothing
  EXPECT_EQ(loop.watched_fds(), 0u);
}

TEST(EventLoopFds, WriteInterestCallsTheHandlerWhileWritableUntilTurnedOff) {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  loop.add_fd(p.fds[1], [&] { ++calls; }); // the write end: never readable, always writable
  loop.run_once(Duration::zero());
  EXPECT_EQ(calls, 0);
  loop.set_fd_write_interest(p.fds[1], true);
  loop.run_once(seconds(5));
  loop.run_once(seconds(5)); // level-triggered: again while still writable
  EXPECT_EQ(calls, 2);
  loop.set_fd_write_interest(p.fds[1], false);
  loop.run_once(Duration::zero());
  EXPECT_EQ(calls, 2);
  loop.set_fd_write_interest(12345, true); // unknown fds are ignored
  loop.remove_fd(p.fds[1]);
}

TEST(EventLoopFds, RemovedFdGetsNoEventLaterInSameRound) {
  EventLoop loop;
  Pipe a;
  Pipe b;
  int calls = 0;
  // Whichever runs first removes the other, so exactly one handler runs although both are ready.
  loop.add_fd(a.fds[0], [&] {
    ++calls;
    loop.remove_fd(b.fds[0]);
    loop.remove_fd(a.fds[0]);
  });
  loop.add_fd(b.fds[0], [&] {
    ++calls;
    loop.remove_fd(a.fds[0]);
    loop.remove_fd(b.fds[0]);
  });
  a.poke();
  b.poke();
  loop.run_once(seconds(5));
  EXPECT_EQ(calls, 1);
}

TEST(LoopTimer, ArmRearmDisarm) {
  EventLoop loop;
  int fired = 0;
  LoopTimer timer(loop, [&] { ++fired; });
  EXPECT_FALSE(timer.armed());
  timer.arm(loop.now() + std::chrono::hours(1));
  EXPECT_TRUE(timer.armed());
  timer.arm(past(loop)); // re-arm moves the same timer
  EXPECT_EQ(loop.pending_timers(), 1u);
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.armed());
  timer.arm(past(loop));
  timer.arm(std::nullopt);
  loop.run_once(Duration::zero());
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(LoopTimer, CallbackMayRearm) {
  EventLoop loop;
  int fired = 0;
  std::unique_ptr<LoopTimer> timer;
  timer = std::make_unique<LoopTimer>(loop, [&] {
    if (++fired < 3) timer->arm(past(loop));
  });
  timer->arm(past(loop));
  for (int i = 0; i < 5; ++i)
    loop.run_once(Duration::zero());
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer->armed());
}

} // namespace
} // namespace wab::net
