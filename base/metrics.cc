#include "base/metrics.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace lens {

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0)
    sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

double Histogram::sum() const {
  return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = "counter";
    f.help = help;
  }
  auto& slot = f.counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const MetricLabels& labels, std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = "histogram";
    f.help = help;
  }
  auto& slot = f.histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return slot.get();
}

void MetricsRegistry::AddGauge(const std::string& name, const std::string& help, GaugeFn fn) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = "gauge";
    f.help = help;
  }
  f.gauges.push_back(std::move(fn));
}

namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string FormatLabels(const MetricLabels& labels,
                         const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + EscapeLabel(v) + "\"";
  }
  if (extra != nullptr) {
    if (!first) out += ",";
    out += extra->first + "=\"" + EscapeLabel(extra->second) + "\"";
  }
  return out + "}";
}

std::string FormatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

}  // namespace

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<std::pair<std::string, const Family*>> snapshot;
  std::ostringstream out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, c] : f.counters)
      out << name << FormatLabels(labels) << " " << c->value() << "\n";
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        cumulative += h->bucket(i);
        std::pair<std::string, std::string> le{
            "le", i < h->bounds().size() ? FormatNumber(h->bounds()[i]) : "+Inf"};
        out << name << "_bucket" << FormatLabels(labels, &le) << " " << cumulative << "\n";
      }
      out << name << "_sum" << FormatLabels(labels) << " " << FormatNumber(h->sum()) << "\n";
      out << name << "_count" << FormatLabels(labels) << " " << h->count() << "\n";
    }
    for (const auto& fn : f.gauges)
      for (const auto& [labels, v] : fn())
        out << name << FormatLabels(labels) << " " << FormatNumber(v) << "\n";
  }
  return out.str();
}

}  // namespace lens
