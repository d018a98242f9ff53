#include "base/result_code.h"

#include <gtest/gtest.h>

namespace tern::base {
namespace {

TEST(ResultCodeTest, RoundTripsThroughStatus) {
  absl::Status s = MakeError(ResultCode::kGenerationError, "generation mismatch");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(ResultCodeOf(s), ResultCode::kGenerationError);
  EXPECT_EQ(s.message(), "generation mismatch");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ResultCodeTest, OkAndForeignStatuses) {
  EXPECT_TRUE(MakeError(ResultCode::kOk, "x").ok());
  EXPECT_EQ(ResultCodeOf(absl::OkStatus()), ResultCode::kOk);
  EXPECT_EQ(ResultCodeOf(absl::InternalError("boom")), ResultCode::kServerError);
}

TEST(ResultCodeTest, NamesFollowTheClient) {
  EXPECT_EQ(ResultCodeName(ResultCode::kRecordNotFound), "ERR_RECORD_NOT_FOUND");
  EXPECT_EQ(ResultCodeName(ResultCode::kNamespaceNotFound), "ERR_NAMESPACE_NOT_FOUND");
}

}  // namespace
}  // namespace tern::base
