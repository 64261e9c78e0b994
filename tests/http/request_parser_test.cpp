#include "http/request_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wab::http {
namespace {

using Result = RequestParser::Result;

struct Outcome {
  std::vector<ServerRequest> requests;
  int error = 0;
};

// Feeds `input` in pieces of `chunk` bytes, collecting every request until an error.
Outcome parse(const std::string& input, std::size_t chunk = 0, ParserLimits limits = {}) {
  RequestParser parser(limits);
  Outcome outcome;
  if (chunk == 0) chunk = input.size() == 0 ? 1 : input.size();
  for (std::size_t offset = 0; offset < input.size() && outcome.error == 0; offset += chunk) {
    parser.feed(std::string_view(input).substr(offset, chunk));
    for (;;) {
      ServerRequest request;
      const Result result = parser.next(request);
      if (result == Result::need_more) break;
      if (result == Result::error) {
        outcome.error = parser.error_status();
        break;
      }
      outcome.requests.push_back(std::move(request));
    }
  }
  return outcome;
}

int error_of(const std::string& input, ParserLimits limits = {}) {
  return parse(input, 0, limits).error;
}

const std::string kPost = "POST /whatsapp-call?hub.mode=subscribe&x=a%20b+c HTTP/1.1\r\n"
                          "Host: example.test\r\n"
                          "X-Hub-Signature-256: sha256=abc\r\n"
                          "Content-Type:application/json  \r\n"
                          "Content-Length: 11\r\n"
                          "\r\n"
                          "{\"a\":\"b\r\n\"}";

TEST(RequestParser, ParsesPostWithQueryHeadersAndExactBody) {
  const Outcome outcome = parse(kPost);
  ASSERT_EQ(outcome.error, 0);
  ASSERT_EQ(outcome.requests.size(), 1u);
  const ServerRequest& request = outcome.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/whatsapp-call");
  EXPECT_EQ(request.target, "/whatsapp-call?hub.mode=subscribe&x=a%20b+c");
  EXPECT_EQ(request.query_param("hub.mode"), "subscribe");
  EXPECT_EQ(request.query_param("x"), "a b c");
  EXPECT_FALSE(request.query_param("missing").has_value());
  EXPECT_EQ(request.header("x-hub-signature-256"), "sha256=abc");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.body, "{\"a\":\"b\r\n\"}");
  EXPECT_EQ(request.minor_version, 1);
  EXPECT_TRUE(request.keep_alive);
}

TEST(RequestParser, ByteByByteGivesTheSameRequest) {
  const Outcome whole = parse(kPost);
  const Outcome split = parse(kPost, 1);
  ASSERT_EQ(split.error, 0);
  ASSERT_EQ(split.requests.size(), 1u);
  EXPECT_EQ(split.requests[0].body, whole.requests[0].body);
  EXPECT_EQ(split.requests[0].headers, whole.requests[0].headers);
  EXPECT_EQ(split.requests[0].query, whole.requests[0].query);
}

TEST(RequestParser, NeedsMoreUntilTheLastBodyByte) {
  RequestParser parser;
  ServerRequest request;
  parser.feed(kPost.substr(0, kPost.size() - 1));
  EXPECT_EQ(parser.next(request), Result::need_more);
  EXPECT_TRUE(parser.mid_request());
  parser.feed(kPost.substr(kPost.size() - 1));
  EXPECT_EQ(parser.next(request), Result::request);
  EXPECT_FALSE(parser.mid_request());
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(RequestParser, PipelinedRequestsComeOutInOrder) {
  std::string input;
  for (int i = 0; i < 3; ++i) {
    input += "GET /r" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\n\r\n";
    input += kPost;
  }
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    const Outcome outcome = parse(input, chunk);
    ASSERT_EQ(outcome.error, 0) << chunk;
    ASSERT_EQ(outcome.requests.size(), 6u) << chunk;
    EXPECT_EQ(outcome.requests[2].path, "/r1");
    EXPECT_TRUE(outcome.requests[2].body.empty());
    EXPECT_EQ(outcome.requests[5].body, "{\"a\":\"b\r\n\"}");
  }
}

TEST(RequestParser, RequestsStayBufferedUntilTaken) {
  RequestParser parser;
  parser.feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
  ServerRequest first;
  ASSERT_EQ(parser.next(first), Result::request);
  EXPECT_EQ(first.path, "/a");
  EXPECT_TRUE(parser.mid_request());
  ServerRequest second;
  ASSERT_EQ(parser.next(second), Result::request);
  EXPECT_EQ(second.path, "/b");
  EXPECT_EQ(parser.next(second), Result::need_more);
}

TEST(RequestParser, LeadingBlankLinesAreIgnored) {
  for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    const Outcome outcome = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", chunk);
    ASSERT_EQ(outcome.error, 0);
    ASSERT_EQ(outcome.requests.size(), 1u);
    EXPECT_EQ(outcome.requests[0].path, "/");
  }
}

TEST(RequestParser, ConnectionSemantics) {
  auto keep_alive = [](const std::string& text) {
    const Outcome outcome = parse(text);
    EXPECT_EQ(outcome.error, 0) << text;
    return !outcome.requests.empty() && outcome.requests[0].keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n"));
}

TEST(RequestParser, MalformedRequestLinesAre400) {
  EXPECT_EQ(error_of("GET\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET relative HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTX/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET /?a=%zz HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(error_of("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
}

TEST(RequestParser, NonHttpBytesFailBeforeTheHeaderEnds) {
  RequestParser parser;
  parser.feed(std::string("\x16\x03\x01\x02\x00\x01", 6)); // a TLS ClientHello
  ServerRequest request;
  EXPECT_EQ(parser.next(request), Result::error);
  EXPECT_EQ(parser.error_status(), 400);
  RequestParser long_method;
  long_method.feed(std::string(40, 'A'));
  EXPECT_EQ(long_method.next(request), Result::error);
  RequestParser partial; // a method still arriving is fine
  partial.feed("PO");
  EXPECT_EQ(partial.next(request), Result::need_more);
}

TEST(RequestParser, MalformedHeadersAre400) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nName : v\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\nA: b\r\n\r\n"), 400);
  EXPECT_EQ(error_of(std::string("GET / HTTP/1.1\r\nHost: h\r\nA: a\0b\r\n\r\n", 35)), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), 400);                       // no Host
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400); // two Hosts
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n"), 417);
}

TEST(RequestParser, ContentLengthRules) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(error_of(head + "Content-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: \r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: +3\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 3, 4\r\n\r\nabcd"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 99999999999999999999999\r\n\r\n"), 413);
  // Identical duplicates describe one length (RFC 9110 §8.6).
  const Outcome same = parse(head + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(same.error, 0);
  ASSERT_EQ(same.requests.size(), 1u);
  EXPECT_EQ(same.requests[0].body, "abc");
}

TEST(RequestParser, TransferEncodingIsRejected) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(error_of(head + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), 411);
  EXPECT_EQ(error_of(head + "Transfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(error_of(head + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"), 400);
}

TEST(RequestParser, BodyLimitIs413BeforeTheBodyArrives) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  RequestParser parser(limits);
  parser.feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
  ServerRequest request;
  EXPECT_EQ(parser.next(request), Result::error);
  EXPECT_EQ(parser.error_status(), 413);
  // Exactly at the limit is fine.
  EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits),
            0);
}

TEST(RequestParser, HugeHeaderIs431EvenWithoutTerminator) {
  ParserLimits limits;
  limits.max_header_bytes = 1024;
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a');
  EXPECT_EQ(parse(big, 100, limits).error, 431);
  EXPECT_EQ(error_of(big + "\r\n\r\n", limits), 431);
  // Just under the limit passes.
  const std::string fits = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(error_of(fits, ParserLimits{fits.size(), 10, 100}), 0);
  EXPECT_EQ(error_of(fits, ParserLimits{fits.size() - 1, 10, 100}), 431);
}

TEST(RequestParser, TooManyHeaderFieldsIs431) {
  std::string input = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 200; ++i)
    input += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(error_of(input + "\r\n"), 431);
}

TEST(RequestParser, ErrorIsSticky) {
  RequestParser parser;
  parser.feed("BROKEN\r\n\r\n");
  ServerRequest request;
  EXPECT_EQ(parser.next(request), Result::error);
  parser.feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(parser.next(request), Result::error);
  EXPECT_EQ(parser.error_status(), 400);
  EXPECT_FALSE(parser.error_reason().empty());
}

TEST(RequestParser, ExpectContinueIsOfferedOncePerRequest) {
  RequestParser parser;
  parser.feed("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  ServerRequest request;
  EXPECT_EQ(parser.next(request), Result::need_more);
  EXPECT_TRUE(parser.wants_continue());
  parser.continue_sent();
  EXPECT_FALSE(parser.wants_continue());
  parser.feed("ok");
  EXPECT_EQ(parser.next(request), Result::request);
  EXPECT_EQ(request.body, "ok");
  EXPECT_FALSE(parser.wants_continue());
}

TEST(RequestParser, LongPipelinedStreamStaysLinear) {
  // Many small requests fed byte by byte: guards against quadratic rescans and buffer growth.
  std::string one = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string input;
  for (int i = 0; i < 2000; ++i)
    input += one;
  const Outcome outcome = parse(input, 3);
  EXPECT_EQ(outcome.error, 0);
  EXPECT_EQ(outcome.requests.size(), 2000u);
}

TEST(Headers, PercentDecodeAndQuery) {
  EXPECT_EQ(percent_decode("a%2Fb+c", false), "a/b+c");
  EXPECT_EQ(percent_decode("a%2fb+c", true), "a/b c");
  EXPECT_FALSE(percent_decode("%", true).has_value());
  EXPECT_FALSE(percent_decode("%4", true).has_value());
  EXPECT_FALSE(percent_decode("ab%g0", true).has_value());
  const auto query = parse_query("a=1&&b=&c&d=x%3Dy&a=2");
  ASSERT_TRUE(query.has_value());
  const QueryParams expected{{"a", "1"}, {"b", ""}, {"c", ""}, {"d", "x=y"}, {"a", "2"}};
  EXPECT_EQ(*query, expected);
  EXPECT_TRUE(iequals_ascii("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(iequals_ascii("Content-Length", "content-lengt"));
}

} // namespace
} // namespace wab::http
