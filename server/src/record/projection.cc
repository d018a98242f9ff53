#include "record/projection.h"

#include "record/cdt_operation.h"

namespace tern::record {

Record Project(const Record& full, const Projection& p) {
  Record out;
  out.key = full.key;
  for (const Projection::Op& op : p.ops) {
    if (!op.collection && op.bin.empty()) {
      out.bins.insert(out.bins.end(), full.bins.begin(), full.bins.end());
      continue;
    }
    const Bin* bin = full.Find(op.bin);
    Value v;
    if (!op.collection) {
      if (bin) v = bin->value;
    } else if (absl::StatusOr<Value> r = CdtRead(op.packed, bin ? bin->value : Value()); r.ok()) {
      v = *std::move(r);
    }
    if (!v.is_null() || p.respond_all_ops) out.bins.push_back(Bin{op.bin, std::move(v)});
  }
  return out;
}

}  // namespace tern::record
