// Streamed responses (Responder::stream, ResponseStream) over real sockets: the head without a
// length, pieces written later arriving in order, the end when either side closes, a client that
// stops reading, HEAD, and the server's drain.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "http/server.hpp"
#include "http_test_support.hpp"
#include "net/event_loop.hpp"

namespace wab::http {
namespace {

using test::RawClient;
using test::run_until;

class HttpStream : public ::testing::Test {
protected:
  void start(ServerLimits limits = {}) {
    server_.emplace(loop_, limits);
    server_->route("GET", "/events", [this](const ServerRequest&, const Responder& responder) {
      ServerResponse head;
      head.content_type = "text/event-stream";
      head.headers.emplace_back("Cache-Control", "no-store");
      head.body = "first\n";
      stream_ = responder.stream(std::move(head));
    });
    server_->route("GET", "/hello", [](const ServerRequest&, const Responder& responder) {
      responder.send(200, "hello");
    });
    port_ = server_->listen("127.0.0.1", 0);
  }

  // Reads until `text` was received (or the limit passed).
  bool receive(RawClient& client, const std::string& text) {
    return run_until(loop_, [&] {
      client.poll();
      return client.received().find(text) != std::string::npos;
    });
  }

  net::EventLoop loop_;
  std::optional<Server> server_;
  std::uint16_t port_ = 0;
  ResponseStream stream_;
};

TEST_F(HttpStream, HeadThenPiecesInOrder) {
  start();
  RawClient client(port_);
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "first\n"));
  const std::string head = client.received().substr(0, client.received().find("\r\n\r\n"));
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(head.find("Connection: close"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos);

  ASSERT_TRUE(stream_.open());
  // Written later, from outside any handler: the loop sends them without another request.
  EXPECT_TRUE(stream_.write("second\n"));
  EXPECT_TRUE(stream_.write("third\n"));
  ASSERT_TRUE(receive(client, "third\n"));
  const std::string body = client.received().substr(client.received().find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "first\nsecond\nthird\n");
  EXPECT_FALSE(client.eof());
}

TEST_F(HttpStream, ServerCloseEndsTheResponse) {
  start();
  RawClient client(port_);
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "first\n"));
  stream_.write("last\n");
  stream_.close();
  EXPECT_FALSE(stream_.open());
  EXPECT_FALSE(stream_.write("after close\n"));
  ASSERT_TRUE(run_until(loop_, [&] {
    client.poll();
    return client.eof();
  }));
  EXPECT_EQ(client.received().substr(client.received().size() - 11), "first\nlast\n");
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(HttpStream, ClientLeavingClosesTheStream) {
  start();
  {
    RawClient client(port_);
    client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(receive(client, "first\n"));
  } // the client closes its socket
  ASSERT_TRUE(run_until(loop_, [&] { return !stream_.open(); }));
  EXPECT_FALSE(stream_.write("nobody listens\n"));
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(HttpStream, NoFurtherRequestIsServedOnAStream) {
  start();
  RawClient client(port_);
  // A pipelined second request stays unanswered: the connection belongs to the stream.
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "first\n"));
  EXPECT_TRUE(stream_.write("more\n"));
  ASSERT_TRUE(receive(client, "more\n"));
  EXPECT_EQ(client.received().find("hello"), std::string::npos);
  EXPECT_EQ(client.received().find("HTTP/1.1", 5), std::string::npos);
  EXPECT_TRUE(stream_.open());
}

TEST_F(HttpStream, ClientThatStopsReadingIsClosedAtTheBacklogLimit) {
  ServerLimits limits;
  limits.max_stream_backlog = 64 * 1024;
  start(limits);
  RawClient client(port_);
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "first\n"));
  // The client reads nothing more: once the kernel buffers are full, our backlog grows to the
  // limit and the stream is dropped. 64 MiB bounds a failing test (loopback buffers are MiBs).
  const std::string chunk(16 * 1024, 'x');
  std::size_t written = 0;
  while (stream_.write(chunk) && written < 64u * 1024 * 1024)
    written += chunk.size();
  EXPECT_LT(written, 64u * 1024 * 1024);
  EXPECT_FALSE(stream_.open());
  EXPECT_EQ(server_->connection_count(), 0u);
}

TEST_F(HttpStream, HeadRequestGetsTheHeadAndAClosedStream) {
  start();
  RawClient client(port_);
  client.send("HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "\r\n\r\n"));
  EXPECT_FALSE(stream_.open());
  EXPECT_FALSE(stream_.write("x"));
  // Answered like any response: the connection serves the next request.
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "hello"));
  EXPECT_EQ(client.received().find("first"), std::string::npos);
}

TEST_F(HttpStream, DrainClosesOpenStreams) {
  start();
  RawClient client(port_);
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(receive(client, "first\n"));
  server_->stop_accepting();
  EXPECT_FALSE(stream_.open());
  ASSERT_TRUE(run_until(loop_, [&] {
    client.poll();
    return client.eof();
  }));
}

} // namespace
} // namespace wab::http
