// Latency samples of one benchmark phase: each load thread records into
// its own Latencies, merged at the end; percentiles by sorting (a phase
// records at most a few million samples).
#ifndef LENS_BENCH_LATENCY_H_
#define LENS_BENCH_LATENCY_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace lens::bench {

class Latencies {
 public:
  void Add(double ms) { ms_.push_back(ms); }
  void Merge(const Latencies& other) { ms_.insert(ms_.end(), other.ms_.begin(), other.ms_.end()); }
  size_t count() const { return ms_.size(); }
  // The q-quantile (0..1) in milliseconds; 0 without samples.
  double Quantile(double q) {
    if (ms_.empty()) return 0;
    if (!sorted_) std::sort(ms_.begin(), ms_.end());
    sorted_ = true;
    size_t i = static_cast<size_t>(q * static_cast<double>(ms_.size() - 1) + 0.5);
    return ms_[std::min(i, ms_.size() - 1)];
  }

 private:
  std::vector<double> ms_;
  bool sorted_ = false;
};

// Milliseconds since `start`.
inline double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace lens::bench

#endif  // LENS_BENCH_LATENCY_H_
