#include "eventlog/embedded_event_log.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <deque>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "base/big_endian.h"
#include "base/status_macros.h"
#include "base/thread_name.h"
#include "rocksdb/write_batch.h"
#include "store/rocksdb_status.h"
#include "store/store.h"

namespace lens {
namespace {

constexpr char kRecordsCf[] = "records";
constexpr char kMetaPartitions[] = "partitions";

std::string RecordKey(uint32_t partition, uint64_t offset) {
  std::string k;
  k.reserve(12);
  AppendBigEndian32(&k, partition);
  AppendBigEndian64(&k, offset);
  return k;
}

// Value: key length (4 bytes, big-endian), key, then the record value.
std::string EncodeValue(const LogRecord& r) {
  std::string v;
  v.reserve(4 + r.key.size() + r.value.size());
  AppendBigEndian32(&v, static_cast<uint32_t>(r.key.size()));
  v += r.key;
  v += r.value;
  return v;
}

bool DecodeValue(std::string_view v, StoredRecord* out) {
  if (v.size() < 4) return false;
  uint32_t klen = ReadBigEndian32(v);
  if (v.size() < 4 + static_cast<size_t>(klen)) return false;
  out->key.assign(v.substr(4, klen));
  out->value.assign(v.substr(4 + klen));
  return true;
}

// The next offset of each partition: one past its last record.
absl::StatusOr<std::vector<uint64_t>> ReadEnds(Store* store, uint32_t partitions) {
  std::vector<uint64_t> ends(partitions, 0);
  std::unique_ptr<rocksdb::Iterator> it(
      store->db()->NewIterator(rocksdb::ReadOptions(), store->cf(kRecordsCf)));
  for (uint32_t p = 0; p < partitions; ++p) {
    it->SeekForPrev(RecordKey(p, ~0ull));
    if (it->Valid() && it->key().size() == 12 && ReadBigEndian32(it->key().ToStringView()) == p)
      ends[p] = ReadBigEndian64(it->key().ToStringView().substr(4)) + 1;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return ends;
}

class EmbeddedEventLog;

class EmbeddedLogReader : public LogReader {
 public:
  EmbeddedLogReader(EmbeddedEventLog* log, std::vector<std::pair<uint32_t, uint64_t>> starts)
      : log_(log), cursors_(std::move(starts)) {}
  absl::StatusOr<std::vector<StoredRecord>> Poll(size_t max_records,
                                                 absl::Duration timeout) override;

 private:
  EmbeddedEventLog* log_;
  std::vector<std::pair<uint32_t, uint64_t>> cursors_;  // partition, next offset
  size_t round_robin_ = 0;
};

class EmbeddedEventLog : public EventLog {
 public:
  EmbeddedEventLog(std::unique_ptr<Store> store, EmbeddedLogOptions options,
                   std::vector<uint64_t> ends)
      : store_(std::move(store)),
        options_(std::move(options)),
        next_offset_(ends),
        durable_end_(ends.size()) {
    for (size_t i = 0; i < ends.size(); ++i) durable_end_[i].store(ends[i]);
    if (!secondary())
      writer_ = std::thread([this] {
        SetCurrentThreadName("lens-log-writer");
        WriterLoop();
      });
  }

  bool secondary() const { return !options_.secondary_dir.empty(); }

  // Secondary instances: catch up with the owner and advance the ends.
  absl::Status Refresh() {
    absl::ReaderMutexLock store_lock(&store_mu_);
    if (store_ == nullptr) return absl::UnavailableError("event log is closed");
    RETURN_IF_ERROR(store_->CatchUp());
    auto ends = ReadEnds(store_.get(), options_.partitions);
    if (!ends.ok()) return ends.status();
    for (size_t i = 0; i < ends->size(); ++i)
      if ((*ends)[i] > durable_end_[i].load()) durable_end_[i].store((*ends)[i]);
    return absl::OkStatus();
  }
  ~EmbeddedEventLog() override { Close(); }

  std::string_view backend() const override { return "embedded"; }
  uint32_t partition_count() const override { return options_.partitions; }

  absl::StatusOr<std::vector<LogPosition>> Append(std::vector<LogRecord> records) override {
    if (records.empty()) return std::vector<LogPosition>{};
    if (secondary()) return absl::FailedPreconditionError("event log opened read-only");
    Pending pending;
    pending.records = std::move(records);
    absl::MutexLock lock(&mu_);
    if (closing_) return absl::UnavailableError("event log is closed");
    if (!fatal_.ok()) return fatal_;
    queue_.push_back(&pending);
    mu_.Await(absl::Condition(&pending.done));
    if (!pending.status.ok()) return pending.status;
    return std::move(pending.positions);
  }

  absl::StatusOr<uint64_t> EndOffset(uint32_t partition) override {
    if (partition >= options_.partitions) return absl::InvalidArgumentError("no such partition");
    if (secondary()) RETURN_IF_ERROR(Refresh());
    return durable_end_[partition].load(std::memory_order_acquire);
  }

  absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(
      const std::vector<std::pair<uint32_t, uint64_t>>& start_offsets) override {
    for (const auto& [p, o] : start_offsets)
      if (p >= options_.partitions) return absl::InvalidArgumentError("no such partition");
    return std::unique_ptr<LogReader>(new EmbeddedLogReader(this, start_offsets));
  }

  absl::Status Health() override {
    absl::MutexLock lock(&mu_);
    if (closing_) return absl::UnavailableError("event log is closed");
    return fatal_;
  }

  absl::Status SetCommitObserver(CommitObserver* observer) override {
    if (secondary()) return absl::FailedPreconditionError("event log opened read-only");
    absl::MutexLock lock(&observer_mu_);
    observer_ = observer;
    return absl::OkStatus();
  }

  absl::Status Checkpoint(const std::string& dir) override {
    absl::ReaderMutexLock store_lock(&store_mu_);
    if (store_ == nullptr) return absl::UnavailableError("event log is closed");
    return store_->Checkpoint(dir);
  }

  void Close() override {
    {
      absl::MutexLock lock(&mu_);
      if (closing_) return;
      closing_ = true;  // the writer drains what is queued, then exits
    }
    if (writer_.joinable()) writer_.join();
    {
      absl::MutexLock lock(&notify_mu_);
      ++generation_;
    }
    absl::WriterMutexLock store_lock(&store_mu_);  // waits out in-flight reads
    store_.reset();
  }

  // Reads records [offset, durable end) of `partition`, at most `max`.
  absl::Status ReadRange(uint32_t partition, uint64_t offset, size_t max,
                         std::vector<StoredRecord>* out) {
    absl::ReaderMutexLock store_lock(&store_mu_);
    if (store_ == nullptr) return absl::UnavailableError("event log is closed");
    uint64_t end = durable_end_[partition].load(std::memory_order_acquire);
    if (offset >= end || max == 0) return absl::OkStatus();
    if (offset + max < end) end = offset + max;
    std::string lower = RecordKey(partition, offset);
    std::string upper = RecordKey(partition, end);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(store_->db()->NewIterator(ro, store_->cf(kRecordsCf)));
    uint64_t expected = offset;
    for (it->Seek(lower); it->Valid(); it->Next()) {
      StoredRecord r;
      r.pos = {partition, ReadBigEndian64(it->key().ToStringView().substr(4))};
      if (r.pos.offset != expected || !DecodeValue(it->value().ToStringView(), &r))
        return absl::DataLossError("embedded log: gap or corrupt record at partition " +
                                   std::to_string(partition) + " offset " +
                                   std::to_string(expected));
      ++expected;
      out->push_back(std::move(r));
    }
    if (!it->status().ok()) return FromRocks(it->status());
    if (expected != end)
      return absl::DataLossError("embedded log: missing records in partition " +
                                 std::to_string(partition));
    return absl::OkStatus();
  }

  uint64_t generation() {
    absl::MutexLock lock(&notify_mu_);
    return generation_;
  }
  // Waits until an append became durable after `seen`, or the deadline.
  void WaitForAppend(uint64_t seen, absl::Time deadline) {
    absl::MutexLock lock(&notify_mu_);
    auto changed = [&] { return generation_ != seen; };
    notify_mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
  }
  bool closed() {
    absl::MutexLock lock(&mu_);
    return closing_;
  }

 private:
  struct Pending {
    std::vector<LogRecord> records;
    std::vector<LogPosition> positions;
    absl::Status status;
    bool done = false;
  };

  void WriterLoop() {
    for (;;) {
      std::vector<Pending*> group;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this] { return !queue_.empty() || closing_; };
        mu_.Await(absl::Condition(&ready));
        if (queue_.empty()) return;  // closing and drained
        size_t n = 0;
        // Group commit: take every queued append (bounded), whole.
        while (!queue_.empty() && (group.empty() || n < options_.max_batch_records)) {
          n += queue_.front()->records.size();
          group.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      CommitGroup(group);
    }
  }

  void CommitGroup(const std::vector<Pending*>& group) {
    rocksdb::WriteBatch batch;
    std::vector<uint64_t> next = next_offset_;
    for (Pending* p : group) {
      p->positions.reserve(p->records.size());
      for (const LogRecord& r : p->records) {
        uint32_t part = PartitionFor(r.key);
        uint64_t off = next[part]++;
        batch.Put(store_->cf(kRecordsCf), RecordKey(part, off), EncodeValue(r));
        p->positions.push_back({part, off});
      }
    }
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    absl::Status s = FromRocks(store_->db()->Write(wo, &batch));
    if (s.ok()) {
      next_offset_ = next;
      for (size_t i = 0; i < next.size(); ++i)
        durable_end_[i].store(next[i], std::memory_order_release);
    }
    {
      absl::MutexLock lock(&notify_mu_);
      ++generation_;  // the readers start on the new records meanwhile
    }
    if (s.ok()) NotifyObserver(group);
    absl::MutexLock lock(&mu_);
    if (!s.ok())
      fatal_ = absl::UnavailableError("embedded log write failed: " + std::string(s.message()));
    for (Pending* p : group) {
      if (!s.ok()) {
        p->status = s;
        p->positions.clear();
      }
      p->done = true;
    }
  }

  // Hands the group's records to the observer. The appenders are still
  // waiting, so their records can be moved: the batch holds its own copy.
  void NotifyObserver(const std::vector<Pending*>& group) {
    absl::MutexLock lock(&observer_mu_);
    if (observer_ == nullptr) return;
    std::vector<StoredRecord> durable;
    for (Pending* p : group)
      for (size_t i = 0; i < p->records.size(); ++i)
        durable.push_back(
            {p->positions[i], std::move(p->records[i].key), std::move(p->records[i].value)});
    observer_->OnDurable(durable);
  }

  absl::Mutex store_mu_;  // readers vs. Close
  std::unique_ptr<Store> store_;
  const EmbeddedLogOptions options_;
  std::vector<uint64_t> next_offset_;  // owned by the writer thread
  std::vector<std::atomic<uint64_t>> durable_end_;
  std::thread writer_;

  absl::Mutex mu_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status fatal_ ABSL_GUARDED_BY(mu_);

  absl::Mutex observer_mu_;  // held while the observer runs
  CommitObserver* observer_ ABSL_GUARDED_BY(observer_mu_) = nullptr;

  absl::Mutex notify_mu_;
  uint64_t generation_ ABSL_GUARDED_BY(notify_mu_) = 0;
};

absl::StatusOr<std::vector<StoredRecord>> EmbeddedLogReader::Poll(size_t max_records,
                                                                  absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::vector<StoredRecord> out;
  for (;;) {
    if (log_->closed()) return absl::UnavailableError("event log is closed");
    uint64_t seen = log_->generation();
    // Round-robin over partitions so that one busy partition cannot starve
    // the others; each partition's records stay in offset order.
    for (size_t i = 0; i < cursors_.size() && out.size() < max_records; ++i) {
      auto& [partition, next] = cursors_[(round_robin_ + i) % cursors_.size()];
      size_t before = out.size();
      absl::Status s = log_->ReadRange(partition, next, max_records - out.size(), &out);
      if (!s.ok()) return s;
      next += out.size() - before;
    }
    if (!cursors_.empty()) round_robin_ = (round_robin_ + 1) % cursors_.size();
    if (!out.empty() || absl::Now() >= deadline) return out;
    if (log_->secondary()) {
      // No notification from another process: poll the owner's writes.
      absl::SleepFor(std::min(absl::Milliseconds(100), deadline - absl::Now()));
      if (absl::Status s = log_->Refresh(); !s.ok()) return s;
      continue;
    }
    log_->WaitForAppend(seen, deadline);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> OpenEmbeddedEventLog(const EmbeddedLogOptions& given) {
  EmbeddedLogOptions options = given;
  const bool secondary = !options.secondary_dir.empty();
  if ((options.partitions == 0 && !secondary) || options.partitions > 1024)
    return absl::InvalidArgumentError("partitions must be in 1..1024");
  StoreOptions so;
  so.path = options.dir;
  so.column_families = {kRecordsCf};
  so.secondary_path = options.secondary_dir;
  if (secondary && !std::filesystem::exists(options.dir + "/CURRENT"))
    return absl::NotFoundError("no embedded event log at " + options.dir);
  auto store = Store::Open(so);
  if (!store.ok()) return store.status();
  rocksdb::DB* db = (*store)->db();

  // The partition count is fixed when the log is created.
  std::string stored;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kMetaPartitions, &stored);
  if (secondary) {
    if (!s.ok()) return absl::NotFoundError("no embedded event log at " + options.dir);
    uint32_t n = static_cast<uint32_t>(std::strtoul(stored.c_str(), nullptr, 10));
    if (options.partitions != 0 && options.partitions != n)
      return absl::FailedPreconditionError("embedded log at " + options.dir + " has " + stored +
                                           " partitions");
    options.partitions = n;
  } else if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, kMetaPartitions, std::to_string(options.partitions));
    if (!s.ok()) return FromRocks(s);
  } else if (!s.ok()) {
    return FromRocks(s);
  } else if (stored != std::to_string(options.partitions)) {
    return absl::FailedPreconditionError("embedded log at " + options.dir + " has " + stored +
                                         " partitions, not " + std::to_string(options.partitions));
  }

  std::vector<uint64_t> ends(options.partitions, 0);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), (*store)->cf(kRecordsCf)));
  for (uint32_t p = 0; p < options.partitions; ++p) {
    it->SeekForPrev(RecordKey(p, ~0ull));
    if (it->Valid() && it->key().size() == 12 && ReadBigEndian32(it->key().ToStringView()) == p)
      ends[p] = ReadBigEndian64(it->key().ToStringView().substr(4)) + 1;
  }
  if (!it->status().ok()) return FromRocks(it->status());
  it.reset();
  return std::unique_ptr<EventLog>(new EmbeddedEventLog(std::move(*store), options, ends));
}

}  // namespace lens
