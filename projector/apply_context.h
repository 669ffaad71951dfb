// ApplyContext: the write side of one projector batch. Writes go into a
// WriteBatchWithIndex so that reads in the same batch see them; the runner
// adds the checkpoint and commits the whole batch at once.
#ifndef LENS_PROJECTOR_APPLY_CONTEXT_H_
#define LENS_PROJECTOR_APPLY_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "store/store.h"

namespace lens {

class ApplyContext {
 public:
  explicit ApplyContext(Store* store);

  // The value of `key` in column family `cf`, including this batch's writes
  // and pending merges; nullopt when absent.
  absl::StatusOr<std::optional<std::string>> Get(std::string_view cf, std::string_view key);
  int64_t GetCounter(std::string_view cf, std::string_view key);  // 0 when absent

  // An iterator over `cf` that sees this batch's writes over the store's
  // contents. `options.iterate_upper_bound` must outlive it.
  std::unique_ptr<rocksdb::Iterator> NewIterator(std::string_view cf,
                                                 const rocksdb::ReadOptions& options);

  void Put(std::string_view cf, std::string_view key, std::string_view value);
  void Delete(std::string_view cf, std::string_view key);
  void AddToCounter(std::string_view cf, std::string_view key, int64_t delta);

  // Unindexed writes: cheaper (no index to maintain), but invisible to Get
  // and to iterators of this batch, and applied after all indexed writes.
  // For the fan-out hot path, whose keys the same batch never reads back.
  void PutUnindexed(std::string_view cf, std::string_view key, std::string_view value);
  void DeleteUnindexed(std::string_view cf, std::string_view key);
  void AddToCounterUnindexed(std::string_view cf, std::string_view key, int64_t delta);
  // A raw merge operand (a posting block's, store/posting_block.h).
  void MergeUnindexed(std::string_view cf, std::string_view key, std::string_view operand);

  // The batch to commit: every write, sorted by column family and key; the
  // writes to one key in the order they were made, the unindexed ones
  // after the indexed ones.
  rocksdb::WriteBatch* Finish();

  Store* store() const { return store_; }
  rocksdb::WriteBatchWithIndex* batch() { return &batch_; }
  size_t count() { return batch_.GetWriteBatch()->Count(); }

 private:
  rocksdb::WriteBatch* FinishUnsorted();

  Store* store_;
  rocksdb::WriteBatchWithIndex batch_;
  rocksdb::WriteBatch unindexed_;
  rocksdb::WriteBatch final_;
};

}  // namespace lens

#endif  // LENS_PROJECTOR_APPLY_CONTEXT_H_
