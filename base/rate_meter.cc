#include "base/rate_meter.h"

#include <algorithm>

namespace lens {

void RateMeter::AdvanceTo(int64_t second) const {
  if (current_second_ < 0) {
    current_second_ = second;
    return;
  }
  if (second <= current_second_) return;
  // Clear the buckets of the seconds skipped over (all of them after a gap
  // longer than the ring).
  for (int64_t s = current_second_ + 1; s <= second && s <= current_second_ + kBuckets; ++s)
    buckets_[s % kBuckets] = 0;
  current_second_ = second;
}

void RateMeter::Add(uint64_t n, absl::Time now) {
  const int64_t second = absl::ToUnixSeconds(now);
  absl::MutexLock lock(&mu_);
  if (first_second_ < 0) first_second_ = second;
  AdvanceTo(second);
  buckets_[second % kBuckets] += n;
}

double RateMeter::PerSecond(absl::Time now) const {
  const int64_t second = absl::ToUnixSeconds(now);
  absl::MutexLock lock(&mu_);
  if (first_second_ < 0) return 0;
  AdvanceTo(second);
  // Complete seconds only: [second - window, second).
  const int64_t window = std::min<int64_t>(kWindowSeconds, second - first_second_);
  if (window <= 0) return 0;
  uint64_t sum = 0;
  for (int64_t s = second - window; s < second; ++s) sum += buckets_[s % kBuckets];
  return static_cast<double>(sum) / static_cast<double>(window);
}

}  // namespace lens
