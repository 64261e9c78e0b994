// The text/event-stream framing: what a browser's EventSource parser gets back from each event.
#include <gtest/gtest.h>

#include "http/sse.hpp"

namespace wab::http {
namespace {

TEST(Sse, NamedEventWithOneLine) {
  EXPECT_EQ(sse_event("call_started", R"({"call_id":"c1"})"),
            "event: call_started\ndata: {\"call_id\":\"c1\"}\n\n");
}

TEST(Sse, UnnamedEventHasNoEventField) {
  EXPECT_EQ(sse_event("", "x"), "data: x\n\n");
}

TEST(Sse, EveryLineBreakStartsAnotherDataField) {
  // LF, CR LF and a lone CR all end a line in the event-stream grammar.
  EXPECT_EQ(sse_event("t", "a\nb\r\nc\rd"), "event: t\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(Sse, EmptyAndTrailingLinesAreKept) {
  EXPECT_EQ(sse_event("t", ""), "event: t\ndata: \n\n");
  EXPECT_EQ(sse_event("t", "a\n"), "event: t\ndata: a\ndata: \n\n");
  EXPECT_EQ(sse_event("t", "a\n\nb"), "event: t\ndata: a\ndata: \ndata: b\n\n");
}

TEST(Sse, LineBreaksCannotEscapeTheEventName) {
  // A name with a line break would otherwise inject a field (here a data line) of its own.
  EXPECT_EQ(sse_event("x\ndata: evil\r", "ok"), "event: xdata: evil\ndata: ok\n\n");
}

TEST(Sse, DataCannotEndTheEventEarly) {
  // A blank line inside the data would dispatch the event; framed, it stays one event.
  const std::string framed = sse_event("t", "one\n\nevent: forged");
  EXPECT_EQ(framed, "event: t\ndata: one\ndata: \ndata: event: forged\n\n");
  EXPECT_EQ(framed.find("\n\n"), framed.size() - 2);
}

TEST(Sse, CommentAndRetry) {
  EXPECT_EQ(sse_comment("ping"), ": ping\n\n");
  EXPECT_EQ(sse_comment("a\nb\rc"), ": a b c\n\n");
  EXPECT_EQ(sse_retry(3000), "retry: 3000\n\n");
}

} // namespace
} // namespace wab::http
