// The one adapter from rocksdb::Status to absl::Status.
#ifndef LENS_STORE_ROCKSDB_STATUS_H_
#define LENS_STORE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace lens {

absl::Status FromRocks(const rocksdb::Status& s);

}  // namespace lens

#endif  // LENS_STORE_ROCKSDB_STATUS_H_
