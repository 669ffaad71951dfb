// Fixed-width big-endian encodings for RocksDB keys: byte order equals
// numeric order, so a key range scan walks ids in time order.
#ifndef LENS_BASE_BIG_ENDIAN_H_
#define LENS_BASE_BIG_ENDIAN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace lens {

inline void AppendBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

inline void AppendBigEndian32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 4);
}

inline uint64_t ReadBigEndian64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

inline uint32_t ReadBigEndian32(std::string_view s) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

inline std::string BigEndian64(uint64_t v) {
  std::string s;
  AppendBigEndian64(&s, v);
  return s;
}

}  // namespace lens

#endif  // LENS_BASE_BIG_ENDIAN_H_
