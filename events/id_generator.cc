#include "events/id_generator.h"

#include "base/time.h"

namespace lens {

IdGenerator::IdGenerator(uint32_t node_id) : node_(node_id & ((1u << kNodeBits) - 1)) {}

uint64_t IdGenerator::Next() {
  absl::MutexLock lock(&mu_);
  int64_t now = NowMillis() - kEpochMillis;
  if (now <= last_ms_) {
    // Same millisecond, or the clock stepped back: stay on last_ms_ and
    // count up; borrow the next millisecond when the sequence is spent.
    if (++sequence_ >= (1u << kSequenceBits)) {
      ++last_ms_;
      sequence_ = 0;
    }
  } else {
    last_ms_ = now;
    sequence_ = 0;
  }
  return (static_cast<uint64_t>(last_ms_) << (kNodeBits + kSequenceBits)) |
         (node_ << kSequenceBits) | sequence_;
}

}  // namespace lens
