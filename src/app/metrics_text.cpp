#include "app/metrics_text.hpp"

#include <cmath>

#include <fmt/format.h>

namespace wab::app {
namespace {

void append_escaped(std::string& out, std::string_view value, bool quote_too) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote_too) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

} // namespace

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false); // HELP escapes backslash and newline only
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void MetricsText::labels(const Labels& labels, std::string_view extra_name,
                         std::string_view extra_value) {
  if (labels.empty() && extra_name.empty()) return;
  out_ += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) out_ += ',';
    first = false;
    out_ += name;
    out_ += "=\"";
    append_escaped(out_, value, true);
    out_ += '"';
  };
  for (const auto& [name, value] : labels)
    one(name, value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out_ += '}';
}

void MetricsText::sample(std::string_view name, const Labels& l, double value) {
  out_ += name;
  labels(l);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void MetricsText::histogram(std::string_view name, const Labels& l, const double* bounds,
                            const std::uint64_t* buckets, std::size_t n, double sum,
                            std::uint64_t count) {
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < n; ++i) {
    out_ += bucket;
    labels(l, "le", format_value(bounds[i]));
    out_ += ' ';
    out_ += std::to_string(buckets[i]);
    out_ += '\n';
  }
  out_ += bucket;
  labels(l, "le", "+Inf");
  out_ += ' ' + std::to_string(count) + '\n';
  sample(std::string(name) + "_sum", l, sum);
  sample(std::string(name) + "_count", l, static_cast<double>(count));
}

} // namespace wab::app
