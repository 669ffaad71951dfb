// RateMeter: events per second over the last few seconds, for progress
// reports and the events/s gauges. Counts go into one bucket per second of
// a small ring; the rate is the sum of the complete seconds in the window
// divided by their number, so it settles within a second of a change and
// never reports a spike from one large batch as a rate.
//
// Thread-safe. Add() is called once per batch, not per event.
#ifndef LENS_BASE_RATE_METER_H_
#define LENS_BASE_RATE_METER_H_

#include <array>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lens {

class RateMeter {
 public:
  static constexpr int kWindowSeconds = 5;

  void Add(uint64_t n, absl::Time now = absl::Now());
  // Events per second over the complete seconds of the window before `now`
  // (fewer right after the first Add). 0 before anything was added.
  double PerSecond(absl::Time now = absl::Now()) const;

 private:
  static constexpr int kBuckets = kWindowSeconds + 2;
  void AdvanceTo(int64_t second) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  mutable std::array<uint64_t, kBuckets> buckets_ ABSL_GUARDED_BY(mu_){};
  mutable int64_t current_second_ ABSL_GUARDED_BY(mu_) = -1;  // second of the newest bucket
  int64_t first_second_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace lens

#endif  // LENS_BASE_RATE_METER_H_
