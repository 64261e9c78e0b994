#include "http/client.hpp"

#include <curl/curl.h>

#include <stdexcept>
#include <unordered_map>

#include "http/curl_global.hpp"
#include "http/io_watcher.hpp"
#include "net/event_loop.hpp"

namespace wab::http {
namespace {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using SlistHandle = std::unique_ptr<curl_slist, SlistDeleter>;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos || text.find('\0') != text.npos;
}

// One request in flight. Heap-allocated so curl's pointers (buffers, PRIVATE) stay put.
struct Transfer {
  std::uint64_t id = 0;
  EasyHandle easy;
  SlistHandle header_list;
  std::string body; // CURLOPT_POSTFIELDS does not copy
  std::size_t max_response_bytes = 0;
  bool too_large = false;
  Response response;
  Client::Callback done;
  char error[CURL_ERROR_SIZE] = {};
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->max_response_bytes) {
    transfer->too_large = true;
    return 0; // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t on_header_line(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (line.substr(0, 5) == "HTTP/") {
    transfer->response.headers.clear(); // a new (final or interim) response starts
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes; // blank line, garbage
  transfer->response.headers.emplace_back(to_lower_ascii(trim(line.substr(0, colon))),
                                          std::string(trim(line.substr(colon + 1))));
  return bytes;
}

} // namespace

std::string Response::header(std::string_view lower_name) const {
  return std::string(find_header(headers, lower_name).value_or(std::string_view{}));
}

class Client::Impl {
public:
  explicit Impl(net::EventLoop& loop)
      : loop_(loop), watcher_(loop), timer_(loop, [this] { on_timer_fired(); }) {
    curl_global();
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_curl_timer);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    // Detach every easy handle while the watcher and timer still exist: curl reports socket
    // removals from inside curl_multi_remove_handle.
    for (auto& [id, transfer] : transfers_) {
      curl_multi_remove_handle(multi_.get(), transfer->easy.get());
    }
    transfers_.clear();
    multi_.reset();
    timer_.disarm();
  }

  std::uint64_t send(Request request, Callback done) {
    const std::uint64_t id = next_id_++;
    auto transfer = std::make_unique<Transfer>();
    transfer->id = id;
    transfer->done = std::move(done);
    transfer->body = std::move(request.body);
    transfer->max_response_bytes = request.max_response_bytes;
    std::string problem = configure(*transfer, request);
    if (problem.empty() && curl_multi_add_handle(multi_.get(), transfer->easy.get()) != CURLM_OK) {
      problem = "curl_multi_add_handle failed";
    }
    if (!problem.empty()) {
      Response response;
      response.error = std::move(problem);
      deliver(id, std::move(transfer->done), std::move(response));
      return id;
    }
    transfers_.emplace(id, std::move(transfer));
    return id;
  }

  void cancel(std::uint64_t id) {
    auto it = transfers_.find(id);
    if (it != transfers_.end()) {
      curl_multi_remove_handle(multi_.get(), it->second->easy.get());
      transfers_.erase(it);
      return;
    }
    deliveries_->erase(id);
  }

  std::size_t in_flight() const { return transfers_.size() + deliveries_->size(); }

private:
  using Deliveries = std::unordered_map<std::uint64_t, std::pair<Callback, Response>>;

  // Returns an error text, or empty when the easy handle is ready.
  static std::string configure(Transfer& transfer, const Request& request) {
    transfer.easy.reset(curl_easy_init());
    if (!transfer.easy) return "curl_easy_init failed";
    CURL* easy = transfer.easy.get();
    curl_slist* list = nullptr;
    for (const auto& [name, value] : request.headers) {
      if (name.empty() || has_line_break(name) || has_line_break(value) ||
          name.find(':') != std::string::npos) {
        return "invalid request header";
      }
      // "Name;" is curl's spelling of a header with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      curl_slist* extended = curl_slist_append(list, line.c_str());
      if (extended == nullptr) {
        curl_slist_free_all(list);
        return "out of memory";
      }
      list = extended;
    }
    // No "Expect: 100-continue" round trip before bodies.
    curl_slist* extended = curl_slist_append(list, "Expect:");
    if (extended == nullptr) {
      curl_slist_free_all(list);
      return "out of memory";
    }
    transfer.header_list.reset(extended);

    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "wabridge/0.1");
    const auto timeout_ms = std::chrono::duration_cast<milliseconds>(request.timeout).count();
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms > 0 ? timeout_ms : 1));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list.get());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &on_header_line);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);

    const std::string& method = request.method;
    if (method.empty() || has_line_break(method) || method.find(' ') != std::string::npos) {
      return "invalid method";
    }
    if (method == "HEAD") {
      curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (method == "GET" && transfer.body.empty()) {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      if (method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
      if (!transfer.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(transfer.body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer.body.data());
      }
    }
    return {};
  }

  // Queues the callback; the posted task checks it was not cancelled (or the client destroyed).
  void deliver(std::uint64_t id, Callback done, Response response) {
    deliveries_->emplace(id, std::make_pair(std::move(done), std::move(response)));
    std::weak_ptr<Deliveries> weak = deliveries_;
    loop_.post([weak, id] {
      const auto deliveries = weak.lock();
      if (!deliveries) return;
      auto it = deliveries->find(id);
      if (it == deliveries->end()) return;
      auto entry = std::move(it->second);
      deliveries->erase(it);
      if (entry.first) entry.first(std::move(entry.second));
    });
  }

  static int on_socket(CURL*, curl_socket_t socket, int what, void* user, void*) {
    auto* self = static_cast<Impl*>(user);
    try {
      if (what == CURL_POLL_REMOVE) {
        self->watcher_.unwatch(socket);
        return 0;
      }
      const bool readable = (what & CURL_POLL_IN) != 0;
      const bool writable = (what & CURL_POLL_OUT) != 0;
      if (self->watcher_.watching(socket)) {
        self->watcher_.set_interest(socket, readable, writable);
      } else {
        self->watcher_.watch(socket, readable, writable, [self, socket](bool r, bool w) {
          self->on_socket_ready(socket, r, w);
        });
      }
      return 0;
    } catch (const std::exception&) {
      return -1; // curl fails the transfers on this socket
    }
  }

  static int on_curl_timer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    // Never drive curl from inside its own callback: the loop timer fires later, even for 0 ms.
    if (timeout_ms < 0) {
      self->timer_.disarm();
    } else {
      self->timer_.arm(self->loop_.now() + milliseconds(timeout_ms));
    }
    return 0;
  }

  void on_socket_ready(curl_socket_t socket, bool readable, bool writable) {
    const int flags = (readable ? CURL_CSELECT_IN : 0) | (writable ? CURL_CSELECT_OUT : 0);
    int running = 0;
    curl_multi_socket_action(multi_.get(), socket, flags, &running);
    collect_finished();
  }

  void on_timer_fired() {
    int running = 0;
    curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    collect_finished();
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode result = message->data.result;
      Transfer* raw = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
      curl_multi_remove_handle(multi_.get(), easy); // `message` is invalid from here on
      if (raw == nullptr) continue;
      auto it = transfers_.find(raw->id);
      if (it == transfers_.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      transfers_.erase(it);
      Response response = std::move(transfer->response);
      if (result == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
      } else {
        response.status = 0;
        response.error = transfer->too_large ? std::string("response body too large")
                                             : std::string(curl_easy_strerror(result));
        if (!transfer->too_large && transfer->error[0] != '\0') {
          response.error += ": ";
          response.error += transfer->error;
        }
      }
      deliver(transfer->id, std::move(transfer->done), std::move(response));
    }
  }

  net::EventLoop& loop_;
  IoWatcher watcher_;
  net::LoopTimer timer_;
  MultiHandle multi_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::shared_ptr<Deliveries> deliveries_ = std::make_shared<Deliveries>();
  std::uint64_t next_id_ = 1;
};

Client::Client(net::EventLoop& loop) : impl_(std::make_unique<Impl>(loop)) {}
Client::~Client() = default;

std::uint64_t Client::send(Request request, Callback done) {
  return impl_->send(std::move(request), std::move(done));
}
void Client::cancel(std::uint64_t id) {
  impl_->cancel(id);
}
std::size_t Client::in_flight() const {
  return impl_->in_flight();
}

} // namespace wab::http
