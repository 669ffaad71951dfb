// Posting blocks: a set of (id, payload) entries kept in one value, sorted
// by id, largest (newest) first, and changed only with Merge() operands
// that add or remove entries. Writers never read a block back; the store's
// merge operator folds the operands (store.cc), and a reader gets the
// merged block. An inverted index stores one block per term and time
// window, so that a reader walks a dense term a block at a time instead of
// one key per entry.
//
// Format (values and operands alike):
//   'P' varint(count) count × [varint(id delta) varint(payload << 1 | removed)]
// The first delta is the id itself, the others the previous id minus this
// one. A merged value holds no removals. An encoding of exactly 8 bytes gets
// a trailing pad byte, so that a block is never taken for an int64 counter
// (the other kind of value the merge operator folds).
//
// Order: operands for one id must reach a key in the order they were
// written (the later one wins), as they do for one writer per id.
#ifndef LENS_STORE_POSTING_BLOCK_H_
#define LENS_STORE_POSTING_BLOCK_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lens {

struct Posting {
  uint64_t id = 0;
  uint32_t payload = 0;
  bool removed = false;  // in operands only
};

// An operand adding (or replacing) one entry.
std::string PostingAdd(uint64_t id, uint32_t payload);
// An operand removing the entry of `id`, if any.
std::string PostingRemoval(uint64_t id);

// Whether `value` is in the posting block format (and not a counter).
bool IsPostingBlock(std::string_view value);

// Appends the entries of `value` to `out`, in stored order. False when
// `value` is not a well-formed block.
bool DecodePostingBlock(std::string_view value, std::vector<Posting>* out);

// Folds `operands`, oldest first, onto `base` (empty: none) into `out`.
// `keep_removals`: a partial merge, whose removals must still cancel
// entries of an older base; a full merge drops them. False when a block
// is malformed.
bool MergePostingBlocks(std::string_view base, std::span<const std::string_view> operands,
                        bool keep_removals, std::string* out);

}  // namespace lens

#endif  // LENS_STORE_POSTING_BLOCK_H_
