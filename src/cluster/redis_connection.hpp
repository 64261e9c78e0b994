#pragma once
// One Redis connection driven by our net::EventLoop through hiredis's asynchronous API: hiredis's
// read/write hooks become watches on an http::IoWatcher, so the loop (and the media on it) never
// blocks on Redis. Connects at start(), then reconnects with backoff whenever the connection is
// lost or cannot be made; up() tells whether commands can be sent. AUTH and SELECT (from the
// URL) go first on every connection; on_up runs once they succeeded.
//
// Owns: the hiredis context (freed in the destructor; pending handlers are then not called) and
// its fd watch. Threads: the loop's thread only. Handlers must not destroy the connection.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/redis_url.hpp"
#include "cluster/redis_value.hpp"
#include "common/clock.hpp"
#include "http/io_watcher.hpp"
#include "net/event_loop.hpp"

struct redisAsyncContext;

namespace wab::cluster {

class RedisConnection {
public:
  using ReplyHandler = std::function<void(const RedisValue&)>;
  using MessageHandler = std::function<void(const std::string& channel, const std::string& data)>;

  // `name` tells the connection apart in logs ("commands", "subscriber").
  RedisConnection(net::EventLoop& loop, RedisUrl url, std::string name, std::function<void()> on_up,
                  std::function<void()> on_down);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void start();
  bool up() const { return up_; }
  // Commands sent and not answered yet.
  std::size_t pending() const { return pending_.size(); }

  // Sends one command. The handler gets the reply, or an error value when the connection is lost
  // before it came. Returns false (handler not called) when the connection is not up.
  bool command(const std::vector<std::string>& argv, ReplyHandler handler);
  // SUBSCRIBE: `on_message` gets every message of `channel` until the connection is lost (then
  // subscribe again from on_up). Returns false when not up.
  bool subscribe(const std::string& channel, MessageHandler on_message);

private:
  struct ContextFree {
    void operator()(redisAsyncContext* context) const;
  };

  void connect();
  void hello();
  // Queues a command whether or not the connection is up yet (hello() needs that).
  bool send(const std::vector<std::string>& argv, ReplyHandler handler);
  void become_up();
  // The context is gone (hiredis freed it or we are about to): state, logs, reconnect.
  void lost(const std::string& why, bool was_up);
  // Frees the context from our side (timeout, failed AUTH).
  void drop(const std::string& why);
  void update_watch();
  void on_io(bool readable, bool writable);

  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_message(redisAsyncContext* context, void* reply, void* privdata);
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  net::EventLoop& loop_;
  RedisUrl url_;
  std::string name_;
  std::function<void()> on_up_;
  std::function<void()> on_down_;
  http::IoWatcher watcher_;
  std::unique_ptr<redisAsyncContext, ContextFree> context_;
  int fd_ = -1;
  bool reading_ = false;
  bool writing_ = false;
  bool up_ = false;
  bool freeing_ = false; // our own redisAsyncFree is running: its callbacks change nothing
  bool closing_ = false; // the destructor runs: handlers are not called
  bool reported_down_ = false;
  Duration backoff_;
  net::LoopTimer reconnect_timer_;
  net::LoopTimer connect_timeout_;
  net::LoopTimer refused_timer_; // AUTH/SELECT refused: dropped from the loop, not from hiredis
  std::uint64_t next_request_ = 1;
  std::unordered_map<std::uint64_t, ReplyHandler> pending_;
  MessageHandler on_message_;
};

} // namespace wab::cluster
