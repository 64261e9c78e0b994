// End-to-end: the Server and the curl-based Client talking over real sockets on 127.0.0.1 port 0,
// and raw sockets for the byte-exact server behaviour (limits, timeouts, pipelining).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "http/client.hpp"
#include "http/server.hpp"
#include "http_test_support.hpp"
#include "net/event_loop.hpp"

namespace wab::http {
namespace {

using test::RawClient;
using test::run_until;
using test::status_of;

class HttpEndToEnd : public ::testing::Test {
protected:
  void start(ServerLimits limits = {}) {
    server_.emplace(loop_, limits);
    server_->route("GET", "/hello", [](const ServerRequest& request, Responder responder) {
      responder.send(200, "hello " + std::string(request.query_param("name").value_or("?")));
    });
    server_->route("POST", "/echo", [this](const ServerRequest& request, Responder responder) {
      last_request_ = request;
      ServerResponse response;
      response.content_type = std::string(request.header("content-type"));
      response.body = request.body;
      response.headers.emplace_back("X-Seen-Signature",
                                    std::string(request.header("x-hub-signature-256")));
      responder.send(std::move(response));
    });
    server_->route("GET", "/later", [this](const ServerRequest&, Responder responder) {
      held_.push_back(responder);
    });
    port_ = server_->listen("127.0.0.1", 0);
    ASSERT_NE(port_, 0);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Sends with the client and runs the loop until the callback ran.
  Response fetch(Request request) {
    std::optional<Response> result;
    client_.send(std::move(request), [&](Response response) { result = std::move(response); });
    EXPECT_TRUE(run_until(loop_, [&] { return result.has_value(); }));
    return result.value_or(Response{});
  }

  Response get(const std::string& path) {
    Request request;
    request.url = url(path);
    return fetch(std::move(request));
  }

  net::EventLoop loop_;
  Client client_{loop_};
  std::optional<Server> server_;
  std::uint16_t port_ = 0;
  std::optional<ServerRequest> last_request_;
  std::vector<Responder> held_;
};

TEST_F(HttpEndToEnd, GetWithDecodedQuery) {
  start();
  const Response response = get("/hello?name=J%C3%BCrgen+B");
  EXPECT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello J\xC3\xBCrgen B");
  EXPECT_EQ(response.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response.header("content-length"), std::to_string(response.body.size()));
  EXPECT_EQ(response.header("connection"), "keep-alive");
}

TEST_F(HttpEndToEnd, PostBodyAndHeadersArriveExactly) {
  start();
  Request request;
  request.method = "POST";
  request.url = url("/echo");
  request.headers = {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", "sha256=0123"}};
  request.body = std::string("{\"k\":\"\x00\xff\r\n\"}", 12);
  const Response response = fetch(request);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.body, request.body);
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("x-seen-signature"), "sha256=0123");
  ASSERT_TRUE(last_request_.has_value());
  EXPECT_EQ(last_request_->body, request.body);
  EXPECT_EQ(last_request_->method, "POST");
  EXPECT_TRUE(last_request_->peer.is_loopback());
  EXPECT_TRUE(last_request_->header("expect").empty()); // the client disables 100-continue
}

TEST_F(HttpEndToEnd, AsynchronousResponderAnswersLater) {
  start();
  std::optional<Response> result;
  Request request;
  request.url = url("/later");
  client_.send(request, [&](Response response) { result = std::move(response); });
  ASSERT_TRUE(run_until(loop_, [&] { return held_.size() == 1; }));
  EXPECT_TRUE(held_[0].pending());
  loop_.run_once(milliseconds(20));
  EXPECT_FALSE(result.has_value());
  held_[0].send(202, "accepted later");
  held_[0].send(500, "second answer is ignored");
  EXPECT_FALSE(held_[0].pending());
  ASSERT_TRUE(run_until(loop_, [&] { return result.has_value(); }));
  EXPECT_EQ(result->status, 202);
  EXPECT_EQ(result->body, "accepted later");
}

TEST_F(HttpEndToEnd, KeepAliveReusesOneConnection) {
  start();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(get("/hello?name=x").status, 200);
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 3u);
}

TEST_F(HttpEndToEnd, NotFoundMethodNotAllowedAndHead) {
  start();
  EXPECT_EQ(get("/nope").status, 404);
  Request put;
  put.method = "PUT";
  put.url = url("/hello");
  put.body = "x";
  const Response not_allowed = fetch(put);
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(not_allowed.header("allow"), "GET, HEAD");
  Request head;
  head.method = "HEAD";
  head.url = url("/hello?name=abc");
  const Response headed = fetch(head);
  EXPECT_EQ(headed.status, 200);
  EXPECT_TRUE(headed.body.empty());
  EXPECT_EQ(headed.header("content-length"), "9"); // "hello abc"
  // The connection survived the HEAD (no stray body bytes desynchronised it).
  EXPECT_EQ(get("/hello?name=y").body, "hello y");
}

TEST_F(HttpEndToEnd, OversizedBodyGets413) {
  ServerLimits limits;
  limits.max_body_bytes = 1000;
  start(limits);
  Request request;
  request.method = "POST";
  request.url = url("/echo");
  request.body = std::string(1001, 'x');
  EXPECT_EQ(fetch(request).status, 413);
  request.body.resize(1000);
  EXPECT_EQ(fetch(request).status, 200);
}

TEST_F(HttpEndToEnd, MultipartBodyParsesBackOnTheServer) {
  start();
  std::vector<test::ParsedPart> parsed;
  server_->route("POST", "/v1/realtime/calls", [&](const ServerRequest& request, Responder r) {
    const std::string type(request.header("content-type"));
    const std::string marker = "boundary=";
    parsed = test::parse_multipart(request.body, type.substr(type.find(marker) + marker.size()));
    r.send(201, "v=0\r\n", "application/sdp");
  });
  const std::vector<MultipartPart> parts = {{"sdp", "application/sdp", "v=0\r\ns=-\r\n"},
                                            {"session", "application/json", "{\"a\":1}"}};
  auto [content_type, body] = build_multipart(parts);
  Request request;
  request.method = "POST";
  request.url = url("/v1/realtime/calls");
  request.headers = {{"Content-Type", content_type}, {"Authorization", "Bearer secret"}};
  request.body = body;
  const Response response = fetch(request);
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.header("content-type"), "application/sdp");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].name, "sdp");
  EXPECT_EQ(parsed[0].body, "v=0\r\ns=-\r\n");
  EXPECT_EQ(parsed[1].content_type, "application/json");
  EXPECT_EQ(parsed[1].body, "{\"a\":1}");
}

TEST_F(HttpEndToEnd, ClientTimesOutAgainstSilentServer) {
  start();
  Request request;
  request.url = url("/later"); // the handler never answers
  request.timeout = milliseconds(200);
  const TimePoint started = Clock::now();
  const Response response = fetch(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.ok());
  EXPECT_NE(response.error.find("imeout"), std::string::npos) << response.error;
  EXPECT_GE(Clock::now() - started, milliseconds(150));
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(HttpEndToEnd, ClientToClosedPortFails) {
  std::uint16_t closed_port = 0;
  {
    net::EventLoop other;
    Server probe(other);
    closed_port = probe.listen("127.0.0.1", 0);
  } // listener closed: nothing listens there now
  Request request;
  request.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/";
  const Response response = fetch(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
}

TEST_F(HttpEndToEnd, HttpsToAPlainServerFailsTheHandshake) {
  start();
  Request request;
  request.url = "https://127.0.0.1:" + std::to_string(port_) + "/hello";
  request.timeout = seconds(3);
  const Response response = fetch(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.error.empty());
}

TEST_F(HttpEndToEnd, CallbacksAreAsynchronousAndExactlyOnce) {
  int calls = 0;
  Request bad;
  bad.url = "ftp://127.0.0.1/"; // refused by the protocol allow-list
  client_.send(bad, [&](Response response) {
    ++calls;
    EXPECT_FALSE(response.error.empty());
  });
  Request injected;
  injected.url = "http://127.0.0.1:1/";
  injected.headers = {{"X-Evil", "a\r\nHost: other"}};
  client_.send(injected, [&](Response response) {
    ++calls;
    EXPECT_EQ(response.error, "invalid request header");
  });
  EXPECT_EQ(calls, 0); // never from inside send()
  EXPECT_EQ(client_.in_flight(), 2u);
  ASSERT_TRUE(run_until(loop_, [&] { return calls == 2; }));
  for (int i = 0; i < 5; ++i)
    loop_.run_once(milliseconds(1));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(HttpEndToEnd, CancelledRequestNeverCallsBack) {
  start();
  bool called = false;
  Request request;
  request.url = url("/later");
  const auto id = client_.send(request, [&](Response) { called = true; });
  ASSERT_TRUE(run_until(loop_, [&] { return held_.size() == 1; }));
  client_.cancel(id);
  EXPECT_EQ(client_.in_flight(), 0u);
  held_[0].send(200, "too late");
  // The server notices the closed connection; the callback stays silent throughout.
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 0; }));
  EXPECT_FALSE(called);

  // Cancelled after completion but before delivery: still silent.
  Request hello;
  hello.url = url("/hello");
  const auto id2 = client_.send(hello, [&](Response) { called = true; });
  ASSERT_TRUE(run_until(loop_, [&] { return server_->stats().requests == 2; }));
  client_.cancel(id2);
  for (int i = 0; i < 10; ++i)
    loop_.run_once(milliseconds(2));
  EXPECT_FALSE(called);
}

TEST_F(HttpEndToEnd, DestroyedClientNeverCallsBack) {
  start();
  bool called = false;
  {
    Client temporary(loop_);
    Request hello;
    hello.url = url("/hello");
    temporary.send(hello, [&](Response) { called = true; });
    ASSERT_TRUE(run_until(loop_, [&] { return server_->stats().requests == 1; }));
  }
  for (int i = 0; i < 10; ++i)
    loop_.run_once(milliseconds(2));
  EXPECT_FALSE(called);
}

TEST_F(HttpEndToEnd, PipelinedRequestsAnswerInOrder) {
  start();
  RawClient raw(port_);
  raw.send("GET /later HTTP/1.1\r\nHost: h\r\n\r\n"
           "GET /hello?name=2 HTTP/1.1\r\nHost: h\r\n\r\n"
           "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: t/x\r\nContent-Length: 1\r\n\r\n3");
  ASSERT_TRUE(run_until(loop_, [&] { return held_.size() == 1; }));
  // The later requests wait behind the unanswered first one.
  for (int i = 0; i < 5; ++i)
    loop_.run_once(milliseconds(2));
  raw.poll();
  EXPECT_TRUE(raw.received().empty());
  held_[0].send(200, "1");
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.responses() == 3;
  }));
  const auto responses = raw.split_responses();
  EXPECT_EQ(responses[0].substr(responses[0].size() - 1), "1");
  EXPECT_EQ(responses[1].substr(responses[1].size() - 7), "hello 2");
  EXPECT_EQ(responses[2].substr(responses[2].size() - 1), "3");
}

TEST_F(HttpEndToEnd, ByteByByteRequestOverTheWire) {
  start();
  RawClient raw(port_);
  const std::string request = "GET /hello?name=slow HTTP/1.1\r\nHost: h\r\n\r\n";
  for (const char c : request) {
    raw.send(std::string(1, c));
    loop_.run_once(Duration::zero());
  }
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.responses() == 1;
  }));
  EXPECT_EQ(status_of(raw.received()), 200);
}

TEST_F(HttpEndToEnd, IdleConnectionIsClosed) {
  ServerLimits limits;
  limits.idle_timeout = milliseconds(100);
  start(limits);
  RawClient raw(port_);
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 1; }));
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.eof();
  }));
  EXPECT_TRUE(raw.received().empty()); // idle close is silent
  EXPECT_EQ(server_->connection_count(), 0u);
  EXPECT_EQ(server_->stats().timeouts, 1u);
}

TEST_F(HttpEndToEnd, SlowRequestGets408) {
  ServerLimits limits;
  limits.request_timeout = milliseconds(100);
  limits.idle_timeout = seconds(30);
  limits.linger_timeout = milliseconds(50);
  start(limits);
  RawClient raw(port_);
  raw.send("GET /hello HTTP/1.1\r\nHost:");
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.eof();
  }));
  EXPECT_EQ(status_of(raw.received()), 408);
  EXPECT_NE(raw.received().find("Connection: close"), std::string::npos);
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 0; }));
}

TEST_F(HttpEndToEnd, ProtocolErrorsGetTheirStatusAndClose) {
  ServerLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 64;
  start(limits);
  const std::vector<std::pair<std::string, int>> cases = {
      {"BROKEN\r\n\r\n", 400},
      {"GET /hello HTTP/1.1\r\nHost: h\r\nX: " + std::string(600, 'a') + "\r\n\r\n", 431},
      {"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n", 413},
      {"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n",
       411},
      {"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"GET /hello HTTP/3.0\r\nHost: h\r\n\r\n", 505},
  };
  for (const auto& [input, status] : cases) {
    RawClient raw(port_);
    raw.send(input);
    ASSERT_TRUE(run_until(loop_, [&] {
      raw.poll();
      return raw.eof();
    })) << status;
    EXPECT_EQ(status_of(raw.received()), status) << raw.received();
    EXPECT_NE(raw.received().find("Connection: close"), std::string::npos);
  }
  EXPECT_EQ(server_->stats().protocol_errors, cases.size());
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 0; }));
}

TEST_F(HttpEndToEnd, ConnectionLimitAnswers503) {
  ServerLimits limits;
  limits.max_connections = 1;
  start(limits);
  RawClient first(port_);
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 1; }));
  RawClient second(port_);
  ASSERT_TRUE(run_until(loop_, [&] {
    second.poll();
    return second.eof();
  }));
  EXPECT_EQ(status_of(second.received()), 503);
  EXPECT_EQ(server_->stats().rejected_busy, 1u);
  // The first connection still works.
  first.send("GET /hello?name=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(run_until(loop_, [&] {
    first.poll();
    return first.responses() == 1;
  }));
  EXPECT_EQ(status_of(first.received()), 200);
}

TEST_F(HttpEndToEnd, DroppedResponderAnswers500) {
  start();
  server_->route("GET", "/forgets", [](const ServerRequest&, Responder) {});
  server_->route("GET", "/throws",
                 [](const ServerRequest&, Responder) { throw std::runtime_error("bug"); });
  EXPECT_EQ(get("/forgets").status, 500);
  EXPECT_EQ(get("/throws").status, 500);
  EXPECT_EQ(get("/hello").status, 200); // and the connection lives on
}

TEST_F(HttpEndToEnd, ResponderAfterPeerLeftIsANoOp) {
  start();
  {
    RawClient raw(port_);
    raw.send("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(run_until(loop_, [&] { return held_.size() == 1; }));
  }
  // The peer is gone; the server notices on its next read.
  ASSERT_TRUE(run_until(loop_, [&] { return server_->connection_count() == 0; }));
  EXPECT_FALSE(held_[0].pending());
  held_[0].send(200, "nobody listens");
  for (int i = 0; i < 3; ++i)
    loop_.run_once(milliseconds(1));
  server_.reset(); // responders outliving the server are harmless too
  held_.push_back(held_[0]);
  held_.back().send(200, "still nobody");
}

TEST_F(HttpEndToEnd, StopAcceptingDrainsGracefully) {
  start();
  RawClient idle(port_);
  RawClient busy(port_);
  busy.send("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(run_until(loop_, [&] { return held_.size() == 1; }));
  ASSERT_EQ(server_->connection_count(), 2u);
  server_->stop_accepting();
  ASSERT_TRUE(run_until(loop_, [&] {
    idle.poll();
    return idle.eof();
  }));
  EXPECT_EQ(server_->connection_count(), 1u);
  held_[0].send(200, "last");
  ASSERT_TRUE(run_until(loop_, [&] {
    busy.poll();
    return busy.eof();
  }));
  EXPECT_EQ(status_of(busy.received()), 200);
  EXPECT_NE(busy.received().find("Connection: close"), std::string::npos);
  EXPECT_THROW(RawClient late(port_), std::runtime_error); // nothing listens any more
}

TEST_F(HttpEndToEnd, ExpectContinueGetsInterimResponse) {
  start();
  RawClient raw(port_);
  raw.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\nExpect: 100-continue\r\n"
           "Content-Length: 4\r\n\r\n");
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.received().find("\r\n\r\n") != std::string::npos;
  }));
  EXPECT_EQ(raw.received(), "HTTP/1.1 100 Continue\r\n\r\n");
  raw.send("body");
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.responses() == 2;
  }));
  const auto responses = raw.split_responses();
  EXPECT_EQ(status_of(responses[1]), 200);
  EXPECT_EQ(responses[1].substr(responses[1].size() - 4), "body");
}

TEST_F(HttpEndToEnd, LargeResponsesFlowAndClientCapsThem) {
  start();
  const std::string big(3 * 1024 * 1024 + 7, 'z');
  server_->route("GET", "/big", [&](const ServerRequest&, Responder r) { r.send(200, big); });
  Request request;
  request.url = url("/big");
  const Response response = fetch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), big.size());
  request.max_response_bytes = 1024 * 1024;
  const Response capped = fetch(request);
  EXPECT_EQ(capped.status, 0);
  EXPECT_EQ(capped.error, "response body too large");
}

TEST_F(HttpEndToEnd, SlowReaderGetsTheWholeResponse) {
  start();
  const std::string big(2 * 1024 * 1024, 'q');
  server_->route("GET", "/big", [&](const ServerRequest&, Responder r) { r.send(200, big); });
  RawClient raw(port_);
  raw.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /hello?name=after HTTP/1.1\r\nHost: h\r\n\r\n");
  // Let the server fill the socket buffers before the client reads anything.
  for (int i = 0; i < 10; ++i)
    loop_.run_once(milliseconds(2));
  run_until(loop_, [&] {
    raw.poll();
    return raw.responses() == 2;
  });
  const auto responses = raw.split_responses();
  ASSERT_EQ(responses.size(), 2u) << raw.received().size() << " " << raw.received().substr(0, 200);
  EXPECT_EQ(responses[0].size() - responses[0].find("\r\n\r\n") - 4, big.size());
  EXPECT_EQ(responses[1].substr(responses[1].size() - 11), "hello after");
}

TEST_F(HttpEndToEnd, PipelinedBigResponsesRespectWriteBackpressure) {
  start();
  const std::string big(512 * 1024, 'b');
  int served = 0;
  server_->route("GET", "/big", [&](const ServerRequest&, Responder r) {
    ++served;
    r.send(200, big);
  });
  RawClient raw(port_);
  // 24 MiB in all: more than the loopback socket buffers can absorb, whatever their tuning.
  constexpr int kRequests = 48;
  std::string requests;
  for (int i = 0; i < kRequests; ++i)
    requests += "GET /big HTTP/1.1\r\nHost: h\r\n\r\n";
  raw.send(requests);
  // The client reads nothing yet: the server must stop producing once its output backs up.
  for (int i = 0; i < 20; ++i)
    loop_.run_once(milliseconds(2));
  EXPECT_LT(served, kRequests);
  ASSERT_TRUE(run_until(loop_, [&] {
    raw.poll();
    return raw.responses() == kRequests;
  }));
  EXPECT_EQ(served, kRequests);
}

TEST_F(HttpEndToEnd, PipelinedFloodPausesReadingAndRecovers) {
  ServerLimits limits;
  limits.max_header_bytes = 256;
  limits.max_body_bytes = 256;
  start(limits);
  int answered = 0;
  server_->route("GET", "/async", [&](const ServerRequest&, Responder r) {
    loop_.post([&answered, r] {
      ++answered;
      r.send(200, "k");
    });
  });
  RawClient raw(port_);
  constexpr int kRequests = 1500; // ~50 KB of requests: more than the server buffers at once
  std::string requests;
  for (int i = 0; i < kRequests; ++i)
    requests += "GET /async HTTP/1.1\r\nHost: h\r\n\r\n";
  raw.send(requests);
  ASSERT_TRUE(run_until(
      loop_,
      [&] {
        raw.poll();
        return raw.responses() == kRequests;
      },
      seconds(20)));
  EXPECT_EQ(answered, kRequests);
  EXPECT_EQ(server_->stats().accepted, 1u);
}

TEST_F(HttpEndToEnd, ManyConcurrentClientRequests) {
  start();
  constexpr int kRequests = 40;
  int done = 0;
  int good = 0;
  for (int i = 0; i < kRequests; ++i) {
    Request request;
    request.url = url("/hello?name=" + std::to_string(i));
    client_.send(request, [&, i](Response response) {
      ++done;
      if (response.status == 200 && response.body == "hello " + std::to_string(i)) ++good;
    });
  }
  EXPECT_EQ(client_.in_flight(), static_cast<std::size_t>(kRequests));
  ASSERT_TRUE(run_until(loop_, [&] { return done == kRequests; }));
  EXPECT_EQ(good, kRequests);
  EXPECT_EQ(client_.in_flight(), 0u);
}

TEST_F(HttpEndToEnd, ListensOnIpv6LoopbackAndWildcard) {
  server_.emplace(loop_);
  server_->route("GET", "/v6", [](const ServerRequest&, Responder r) { r.send(200, "six"); });
  EXPECT_THROW(server_->listen("localhost", 0), std::invalid_argument);
  const std::uint16_t any = server_->listen("0.0.0.0", 0);
  EXPECT_THROW(server_->listen("127.0.0.1", any), std::system_error); // already bound
  Request request;
  request.url = "http://127.0.0.1:" + std::to_string(any) + "/v6";
  EXPECT_EQ(fetch(request).body, "six");
  std::uint16_t port = 0;
  try {
    port = server_->listen("::1", 0);
  } catch (const std::system_error&) {
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  request.url = "http://[::1]:" + std::to_string(port) + "/v6";
  const Response response = fetch(request);
  EXPECT_EQ(response.body, "six") << response.error;
}

} // namespace
} // namespace wab::http
