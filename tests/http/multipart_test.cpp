#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/client.hpp"
#include "http/response_writer.hpp"
#include "http_test_support.hpp"

namespace wab::http {
namespace {

TEST(Multipart, BuildsRfc7578BodyThatParsesBack) {
  const std::vector<MultipartPart> parts = {
      {"sdp", "application/sdp", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"},
      {"session", "application/json", R"({"type":"realtime","model":"gpt-realtime"})"},
      {"empty", "", ""},
  };
  const auto [content_type, body] = build_multipart(parts);
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(content_type.rfind(prefix, 0), 0u);
  const std::string boundary = content_type.substr(prefix.size());
  EXPECT_GE(boundary.size(), 20u);
  EXPECT_LE(boundary.size(), 70u); // RFC 2046 §5.1.1

  const auto parsed = test::parse_multipart(body, boundary);
  ASSERT_EQ(parsed.size(), parts.size());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(parsed[i].name, parts[i].name);
    EXPECT_EQ(parsed[i].content_type, parts[i].content_type);
    EXPECT_EQ(parsed[i].body, parts[i].body);
  }
  EXPECT_EQ(body.substr(body.size() - boundary.size() - 6), "--" + boundary + "--\r\n");
}

TEST(Multipart, BoundaryIsRandomAndNamesAreEscaped) {
  const auto a = build_multipart({{"a\"b\r\nc", "text/plain", "x"}});
  const auto b = build_multipart({{"a", "text/plain", "x"}});
  EXPECT_NE(a.first, b.first);
  EXPECT_NE(a.second.find("name=\"a%22b%0D%0Ac\""), std::string::npos);
}

TEST(ResponseWriter, WritesFramingHeadersAndDropsUnsafeOnes) {
  ServerResponse response;
  response.status = 201;
  response.content_type = "application/json";
  response.body = "{}";
  response.headers = {{"X-Ok", "1"}, {"Content-Length", "999"}, {"X-Bad", "a\r\nInjected: 1"}};
  std::string out;
  append_response(out, response, true, false);
  EXPECT_EQ(out, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                 "Connection: keep-alive\r\nX-Ok: 1\r\n\r\n{}");
  out.clear();
  append_response(out, response, false, true); // HEAD: length of the GET body, no body
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
  out.clear();
  response.status = 204;
  append_response(out, response, true, false);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

} // namespace
} // namespace wab::http
