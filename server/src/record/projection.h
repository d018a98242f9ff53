// A foreground scan or query may name read operations instead of bins (Aerospike 8.1.2): each
// record is answered as an operate with those ops would answer it, e.g. one map entry of a bin.
#pragma once

#include <string>
#include <vector>

#include "record/record.h"

namespace tern::record {

struct Projection {
  struct Op {
    bool collection = false;  // a list/map read (wire op 3); else a plain bin read (op 1)
    std::string bin;          // empty with a plain read = every bin
    std::string packed;       // the list/map operation
  };
  std::vector<Op> ops;
  bool respond_all_ops = false;  // one bin per op, null when it answers nothing

  bool empty() const { return ops.empty(); }
};

// `full` as the projection shows it. A list/map read that fails on this record (say the bin is
// not a map) answers nothing for it, as a missing bin would.
Record Project(const Record& full, const Projection& p);

}  // namespace tern::record
