#include "store/posting_block.h"

#include <algorithm>

#include "base/varint.h"

namespace lens {
namespace {

constexpr char kMagic = 'P';

// `entries` sorted by id, largest first, each id once.
std::string Encode(const std::vector<Posting>& entries) {
  std::string out;
  out.reserve(2 + entries.size() * 6);
  out.push_back(kMagic);
  PutVarint(&out, entries.size());
  uint64_t previous = 0;
  bool first = true;
  for (const Posting& e : entries) {
    PutVarint(&out, first ? e.id : previous - e.id);
    PutVarint(&out, (static_cast<uint64_t>(e.payload) << 1) | (e.removed ? 1 : 0));
    previous = e.id;
    first = false;
  }
  if (out.size() == 8) out.push_back('\0');  // never mistaken for a counter
  return out;
}

}  // namespace

std::string PostingAdd(uint64_t id, uint32_t payload) { return Encode({{id, payload, false}}); }

std::string PostingRemoval(uint64_t id) { return Encode({{id, 0, true}}); }

bool IsPostingBlock(std::string_view value) {
  return value.size() != 8 && !value.empty() && value[0] == kMagic;
}

bool DecodePostingBlock(std::string_view value, std::vector<Posting>* out) {
  if (!IsPostingBlock(value)) return false;
  const char* p = value.data() + 1;
  const char* end = value.data() + value.size();
  uint64_t count = 0;
  if (!GetVarint(p, end, &count) || count > value.size()) return false;
  if (out->empty()) out->reserve(count);  // appends to a run keep the vector's growth
  uint64_t id = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t delta = 0, word = 0;
    if (!GetVarint(p, end, &delta) || !GetVarint(p, end, &word)) return false;
    id = i == 0 ? delta : id - delta;
    out->push_back({id, static_cast<uint32_t>(word >> 1), (word & 1) != 0});
  }
  return true;
}

bool MergePostingBlocks(std::string_view base, std::span<const std::string_view> operands,
                        bool keep_removals, std::string* out) {
  // The operands as one run, newest id first, one entry per id: the last
  // written wins (a stable sort keeps the write order among equal ids).
  // Operands are few and small next to the base, which is already sorted.
  std::vector<Posting> delta;
  for (std::string_view op : operands)
    if (!DecodePostingBlock(op, &delta)) return false;
  if (operands.size() > 1) {
    std::stable_sort(delta.begin(), delta.end(),
                     [](const Posting& a, const Posting& b) { return a.id > b.id; });
    size_t kept = 0;
    for (size_t i = 0; i < delta.size(); ++i) {
      if (i + 1 < delta.size() && delta[i + 1].id == delta[i].id) continue;
      delta[kept++] = delta[i];
    }
    delta.resize(kept);
  }
  std::vector<Posting> older;
  if (!base.empty() && !DecodePostingBlock(base, &older)) return false;
  // Merge the two runs; on equal ids the delta wins.
  std::vector<Posting> merged;
  merged.reserve(older.size() + delta.size());
  size_t i = 0, j = 0;
  while (i < older.size() || j < delta.size()) {
    const Posting* next;
    if (j == delta.size() || (i < older.size() && older[i].id > delta[j].id)) {
      next = &older[i++];
    } else {
      if (i < older.size() && older[i].id == delta[j].id) ++i;
      next = &delta[j++];
    }
    if (next->removed && !keep_removals) continue;
    merged.push_back(*next);
  }
  *out = Encode(merged);
  return true;
}

}  // namespace lens
