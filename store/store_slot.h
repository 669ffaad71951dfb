// StoreSlot: the store a read model is currently served from.
//
// A rebuild builds a read model into a fresh Store and then swaps it into
// the slot. Readers take the current store for the length of one read
// (Get() returns a shared_ptr), so a swap never pulls a store out from
// under a read in progress: the old store closes when its last read ends.
//
// Thread-safe.
#ifndef LENS_STORE_STORE_SLOT_H_
#define LENS_STORE_STORE_SLOT_H_

#include <memory>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "store/store.h"

namespace lens {

class StoreSlot {
 public:
  StoreSlot() = default;
  explicit StoreSlot(std::shared_ptr<Store> store) : store_(std::move(store)) {}
  StoreSlot(const StoreSlot&) = delete;
  StoreSlot& operator=(const StoreSlot&) = delete;

  std::shared_ptr<Store> Get() const {
    absl::MutexLock lock(&mu_);
    return store_;
  }
  // Returns the store that was served before.
  std::shared_ptr<Store> Swap(std::shared_ptr<Store> store) {
    absl::MutexLock lock(&mu_);
    std::swap(store_, store);
    return store;
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<Store> store_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lens

#endif  // LENS_STORE_STORE_SLOT_H_
