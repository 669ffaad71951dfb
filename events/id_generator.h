// 64-bit time-ordered ids: 41 bits of milliseconds since 2020-01-01 UTC,
// 10 bits of node id, 12 bits of sequence. Ids from one generator are
// strictly increasing, even when the wall clock steps back; ids from
// different nodes never collide. Thread-safe.
#ifndef LENS_EVENTS_ID_GENERATOR_H_
#define LENS_EVENTS_ID_GENERATOR_H_

#include <cstdint>

#include "absl/synchronization/mutex.h"

namespace lens {

class IdGenerator {
 public:
  static constexpr int64_t kEpochMillis = 1577836800000;  // 2020-01-01T00:00:00Z
  static constexpr int kNodeBits = 10;
  static constexpr int kSequenceBits = 12;

  explicit IdGenerator(uint32_t node_id);
  IdGenerator(const IdGenerator&) = delete;
  IdGenerator& operator=(const IdGenerator&) = delete;

  uint64_t Next();

  // The creation time (Unix ms) encoded in an id.
  static int64_t TimestampOf(uint64_t id) {
    return static_cast<int64_t>(id >> (kNodeBits + kSequenceBits)) + kEpochMillis;
  }

 private:
  const uint64_t node_;
  absl::Mutex mu_;
  int64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lens

#endif  // LENS_EVENTS_ID_GENERATOR_H_
