// LEB128 varints and length-prefixed strings, as LevelDB's coding.h writes
// them: the compact binary records of the read models (posting blocks,
// stored posts and profiles).
#ifndef LENS_BASE_VARINT_H_
#define LENS_BASE_VARINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace lens {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint at p, advancing it; false when [p, end) holds none.
inline bool GetVarint(const char*& p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && p < end; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}

inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

inline bool GetLengthPrefixed(const char*& p, const char* end, std::string_view* s) {
  uint64_t n;
  if (!GetVarint(p, end, &n) || n > static_cast<uint64_t>(end - p)) return false;
  *s = std::string_view(p, n);
  p += n;
  return true;
}

}  // namespace lens

#endif  // LENS_BASE_VARINT_H_
