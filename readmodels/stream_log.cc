#include "readmodels/stream_log.h"

#include <memory>

#include "base/big_endian.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace stream_log {

namespace {
void AppendBigEndian32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}
void AppendBigEndian16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v & 0xff));
}
}  // namespace

std::string Key(uint64_t user, uint32_t partition, uint64_t offset, uint16_t n) {
  std::string k = BigEndian64(user);
  AppendBigEndian32(&k, partition);
  AppendBigEndian64(&k, offset);
  AppendBigEndian16(&k, n);
  return k;
}

std::string Value(int64_t ts_ms, std::string_view type, std::string_view json) {
  std::string v = BigEndian64(static_cast<uint64_t>(ts_ms));
  v += type;
  v.push_back('\0');
  v += json;
  return v;
}

}  // namespace stream_log

absl::StatusOr<std::vector<StreamEntry>> StreamLogReader::Read(uint64_t user, uint32_t partition,
                                                               StreamCursor from, size_t max,
                                                               int64_t min_ts_ms) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::string start = stream_log::Key(user, partition, from.offset, from.n);
  std::string upper = partition == ~uint32_t{0}
                          ? stream_log::Key(user + 1, 0, 0, 0)
                          : stream_log::Key(user, partition + 1, 0, 0);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(
      store->db()->NewIterator(ro, store->cf(cf_)));
  std::vector<StreamEntry> out;
  for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
    std::string_view k = it->key().ToStringView();
    std::string_view v = it->value().ToStringView();
    if (k.size() != 22 || v.size() < 9) continue;
    StreamEntry e;
    e.partition = partition;
    e.offset = ReadBigEndian64(k.substr(12));
    e.n = static_cast<uint16_t>((static_cast<uint8_t>(k[20]) << 8) | static_cast<uint8_t>(k[21]));
    e.ts_ms = static_cast<int64_t>(ReadBigEndian64(v));
    if (e.ts_ms < min_ts_ms) continue;
    size_t zero = v.find('\0', 8);
    if (zero == std::string_view::npos) continue;
    e.type = std::string(v.substr(8, zero - 8));
    e.json = std::string(v.substr(zero + 1));
    out.push_back(std::move(e));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

}  // namespace lens
