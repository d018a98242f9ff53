#include "storage/record_ref.h"

#include <gtest/gtest.h>

namespace tern::storage {
namespace {

TEST(RecordRefTest, HandleKeepsBodyAliveUntilReleased) {
  record::Record r;
  r.Set("a", record::Value::Integer(1));
  RecordRef ref = RecordRef::Make(r);
  uint64_t handle = RecordRef(ref).ReleaseToHandle();
  RecordRef pinned = RecordRef::FromHandle(handle);
  ref = RecordRef();                 // the writer's copy is gone
  RecordRef::ReleaseHandle(handle);  // the index dropped it (a newer version swapped in)
  ASSERT_TRUE(pinned);               // the reader's view is still whole
  EXPECT_EQ(pinned->Find("a")->value, record::Value::Integer(1));
}

TEST(RecordRefTest, EmptyRefsAreSafe) {
  RecordRef empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.ReleaseToHandle(), 0u);
  RecordRef::ReleaseHandle(0);
}

}  // namespace
}  // namespace tern::storage
