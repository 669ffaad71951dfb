// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with its
// contents when the object dies (kept when LENS_KEEP_TEST_DIRS is set, to
// look at a failure).
#ifndef LENS_TESTS_SUPPORT_TEMP_DIR_H_
#define LENS_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace lens::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace lens::testing

#endif  // LENS_TESTS_SUPPORT_TEMP_DIR_H_
