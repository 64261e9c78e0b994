#include "cluster/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>

#include "common/log.hpp"

namespace wab::cluster {
namespace {

constexpr Duration kFirstBackoff = milliseconds(250);
constexpr Duration kMaxBackoff = seconds(2);
constexpr Duration kConnectTimeout = seconds(2);

RedisConnection* self_of(const redisAsyncContext* context) {
  return static_cast<RedisConnection*>(context->data);
}

} // namespace

void RedisConnection::ContextFree::operator()(redisAsyncContext* context) const {
  redisAsyncFree(context);
}

RedisConnection::RedisConnection(net::EventLoop& loop, RedisUrl url, std::string name,
                                 std::function<void()> on_up, std::function<void()> on_down)
    : loop_(loop), url_(std::move(url)), name_(std::move(name)), on_up_(std::move(on_up)),
      on_down_(std::move(on_down)), watcher_(loop), backoff_(kFirstBackoff),
      reconnect_timer_(loop, [this] { connect(); }),
      connect_timeout_(loop, [this] { drop("connect timed out"); }),
      refused_timer_(loop, [this] { drop("refused"); }) {}

RedisConnection::~RedisConnection() {
  closing_ = true;
  freeing_ = true;
  context_.reset(); // pending replies are dropped: nobody is left to take them
  if (fd_ >= 0) watcher_.unwatch(fd_);
}

void RedisConnection::start() {
  connect();
}

void RedisConnection::connect() {
  redisAsyncContext* raw = redisAsyncConnect(url_.host.c_str(), url_.port);
  if (raw == nullptr) {
    lost("out of memory", false);
    return;
  }
  if (raw->err != 0) {
    const std::string why = raw->errstr;
    redisAsyncFree(raw);
    lost(why, false);
    return;
  }
  context_.reset(raw);
  raw->data = this;
  fd_ = raw->c.fd;
  reading_ = writing_ = false;
  raw->ev.data = this;
  raw->ev.addRead = &RedisConnection::add_read;
  raw->ev.delRead = &RedisConnection::del_read;
  raw->ev.addWrite = &RedisConnection::add_write;
  raw->ev.delWrite = &RedisConnection::del_write;
  raw->ev.cleanup = &RedisConnection::cleanup;
  redisAsyncSetConnectCallback(raw, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(raw, &RedisConnection::on_disconnect);
  connect_timeout_.arm(loop_.now() + kConnectTimeout);
  hello(); // queues the first write: hiredis learns the connect finished from writability
}

// AUTH and SELECT from the URL, then a PING whose answer makes the connection usable.
void RedisConnection::hello() {
  const auto check = [this](const char* step) {
    return [this, step](const RedisValue& reply) {
      if (!reply.is_error()) return;
      // Redis's message for a wrong password names no secret.
      log::error("redis_refused",
                 {{"connection", name_}, {"step", step}, {"error", reply.text.substr(0, 200)}});
      refused_timer_.arm(loop_.now()); // not from inside hiredis's callback
    };
  };
  if (!url_.password.empty()) send({"AUTH", url_.password}, check("AUTH"));
  if (url_.db != 0) send({"SELECT", std::to_string(url_.db)}, check("SELECT"));
  send({"PING"}, [this](const RedisValue& reply) {
    if (!reply.is_error()) become_up();
  });
}

void RedisConnection::become_up() {
  if (up_ || !context_) return;
  connect_timeout_.disarm();
  up_ = true;
  backoff_ = kFirstBackoff;
  log::info("redis_connected", {{"connection", name_}, {"redis", url_.describe()}});
  reported_down_ = false;
  if (on_up_) on_up_();
}

void RedisConnection::lost(const std::string& why, bool was_up) {
  up_ = false;
  connect_timeout_.disarm();
  refused_timer_.disarm();
  if (was_up || !reported_down_) {
    log::warn("redis_unavailable",
              {{"connection", name_},
               {"redis", url_.describe()},
               {"error", why},
               {"retry_ms", std::chrono::duration_cast<milliseconds>(backoff_).count()}});
    reported_down_ = true;
  }
  if (was_up && on_down_) on_down_();
  if (closing_) return;
  reconnect_timer_.arm(loop_.now() + backoff_);
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void RedisConnection::drop(const std::string& why) {
  if (!context_ || freeing_) return;
  const bool was_up = up_;
  up_ = false; // handlers of the pending replies see a connection that is down
  freeing_ = true;
  context_.reset();
  freeing_ = false;
  lost(why, was_up);
}

bool RedisConnection::command(const std::vector<std::string>& argv, ReplyHandler handler) {
  if (!up_ || !context_ || freeing_) return false;
  return send(argv, std::move(handler));
}

bool RedisConnection::send(const std::vector<std::string>& argv, ReplyHandler handler) {
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  const std::uint64_t id = next_request_++;
  pending_.emplace(id, std::move(handler));
  if (redisAsyncCommandArgv(context_.get(), &RedisConnection::on_reply,
                            reinterpret_cast<void*>(static_cast<std::uintptr_t>(id)),
                            static_cast<int>(args.size()), args.data(), lengths.data()) != 0) {
    pending_.erase(id);
    return false;
  }
  return true;
}

bool RedisConnection::subscribe(const std::string& channel, MessageHandler on_message) {
  if (!up_ || !context_ || freeing_) return false;
  on_message_ = std::move(on_message);
  const char* args[] = {"SUBSCRIBE", channel.c_str()};
  const std::size_t lengths[] = {9, channel.size()};
  return redisAsyncCommandArgv(context_.get(), &RedisConnection::on_message, nullptr, 2, args,
                               lengths) == 0;
}

void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  auto* self = self_of(context);
  const auto id = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(privdata));
  auto it = self->pending_.find(id);
  if (it == self->pending_.end()) return;
  ReplyHandler handler = std::move(it->second);
  self->pending_.erase(it);
  if (self->closing_ || !handler) return;
  handler(copy_reply(static_cast<const redisReply*>(reply)));
}

// Subscription replies: ["subscribe", channel, n] once, then ["message", channel, data].
void RedisConnection::on_message(redisAsyncContext* context, void* reply, void*) {
  auto* self = self_of(context);
  if (self->closing_ || reply == nullptr || !self->on_message_) return;
  const RedisValue value = copy_reply(static_cast<const redisReply*>(reply));
  if (value.kind != RedisValue::Kind::array || value.elements.size() != 3) return;
  if (value.element_text(0) != "message") return;
  self->on_message_(value.element_text(1), value.element_text(2));
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = self_of(context);
  if (status == REDIS_OK || self->freeing_) return;
  // hiredis frees the context after this callback.
  const std::string why = context->errstr;
  (void)self->context_.release();
  self->lost(why, false);
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  auto* self = self_of(context);
  if (self->freeing_) return;
  const std::string why = status == REDIS_OK ? "closed" : context->errstr;
  // hiredis frees the context after this callback.
  (void)self->context_.release();
  self->lost(why, self->up_);
}

void RedisConnection::update_watch() {
  if (fd_ < 0) return;
  if (!watcher_.watching(fd_)) {
    watcher_.watch(fd_, reading_, writing_,
                   [this](bool readable, bool writable) { on_io(readable, writable); });
  } else {
    watcher_.set_interest(fd_, reading_, writing_);
  }
}

void RedisConnection::on_io(bool readable, bool writable) {
  redisAsyncContext* context = context_.get();
  if (context == nullptr) return;
  if (readable) redisAsyncHandleRead(context);
  // Reading may have freed the context (connection lost).
  if (writable && context_.get() == context) redisAsyncHandleWrite(context);
}

void RedisConnection::add_read(void* self) {
  auto* c = static_cast<RedisConnection*>(self);
  c->reading_ = true;
  c->update_watch();
}
void RedisConnection::del_read(void* self) {
  auto* c = static_cast<RedisConnection*>(self);
  c->reading_ = false;
  c->update_watch();
}
void RedisConnection::add_write(void* self) {
  auto* c = static_cast<RedisConnection*>(self);
  c->writing_ = true;
  c->update_watch();
}
void RedisConnection::del_write(void* self) {
  auto* c = static_cast<RedisConnection*>(self);
  c->writing_ = false;
  c->update_watch();
}
void RedisConnection::cleanup(void* self) {
  auto* c = static_cast<RedisConnection*>(self);
  if (c->fd_ >= 0) c->watcher_.unwatch(c->fd_);
  c->fd_ = -1;
  c->reading_ = c->writing_ = false;
}

} // namespace wab::cluster
