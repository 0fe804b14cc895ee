//===- TargetInfoTest.cpp - The target table ------------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Target/TargetInfo.h"

#include "llvm/ADT/StringSet.h"

#include <gtest/gtest.h>

using namespace sieve;

TEST(TargetInfo, HasTheSixTargets) {
  for (const char *name : {"x86-64-avx2", "x86-64-avx512", "aarch64",
                           "cortex-m4", "cortex-m7", "cortex-m55"})
    EXPECT_NE(lookupTarget(name), nullptr) << name;
  EXPECT_EQ(getAllTargets().size(), 6u);
  EXPECT_EQ(getAllTargets().front().name, "x86-64-avx2");
}

TEST(TargetInfo, UnknownNames) {
  EXPECT_EQ(lookupTarget("cortex-m85"), nullptr);
  EXPECT_EQ(lookupTarget(""), nullptr);
  EXPECT_EQ(getKnownTargetNames(),
            "x86-64-avx2, x86-64-avx512, aarch64, cortex-m4, cortex-m7, "
            "cortex-m55");
}

TEST(TargetInfo, RowsAreConsistent) {
  llvm::StringSet<> names;
  for (const TargetInfo &t : getAllTargets()) {
    EXPECT_TRUE(names.insert(t.name).second) << "duplicate " << t.name.str();
    // MCUs are 32-bit bare metal with a board memory; CPUs have neither.
    EXPECT_EQ(t.isMicrocontroller, t.sramBytes != 0) << t.name.str();
    EXPECT_EQ(t.isMicrocontroller, t.pointerBits == 32) << t.name.str();
    EXPECT_EQ(t.isMicrocontroller, t.runner == Runner::QemuSystem)
        << t.name.str();
    EXPECT_EQ(t.runCommand.empty(),
              t.runner == Runner::Native || t.runner == Runner::None)
        << t.name.str();
    EXPECT_TRUE(t.arenaAlignment &&
                !(t.arenaAlignment & (t.arenaAlignment - 1)))
        << t.name.str();
  }
}

TEST(TargetInfo, SimdCapabilities) {
  EXPECT_EQ(lookupTarget("aarch64")->tableLookup, TableLookup::AArch64Tbl);
  EXPECT_EQ(lookupTarget("aarch64")->dotProduct, DotProduct::AArch64Sdot);
  EXPECT_EQ(lookupTarget("cortex-m4")->tableLookup, TableLookup::None);
  EXPECT_EQ(lookupTarget("cortex-m55")->dotProduct, DotProduct::MveVmlav);
  EXPECT_EQ(lookupTarget("x86-64-avx512")->runner, Runner::None);
}
