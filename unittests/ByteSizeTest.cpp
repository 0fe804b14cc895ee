//===- ByteSizeTest.cpp - Parsing memory sizes ----------------------------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Support/ByteSize.h"

#include <gtest/gtest.h>

using sieve::parseByteSize;

TEST(ByteSize, PlainBytes) {
  EXPECT_EQ(parseByteSize("262144"), 262144u);
  EXPECT_EQ(parseByteSize("512B"), 512u);
  EXPECT_EQ(parseByteSize(" 0 "), 0u);
}

TEST(ByteSize, BinaryAndDecimalUnits) {
  EXPECT_EQ(parseByteSize("256KiB"), 262144u);
  EXPECT_EQ(parseByteSize("256 KiB"), 262144u);
  EXPECT_EQ(parseByteSize("256K"), 262144u);
  EXPECT_EQ(parseByteSize("320KB"), 320000u);
  EXPECT_EQ(parseByteSize("320kB"), 320000u);
  EXPECT_EQ(parseByteSize("0.5MiB"), 524288u);
  EXPECT_EQ(parseByteSize("2MB"), 2000000u);
}

TEST(ByteSize, Rejects) {
  EXPECT_FALSE(parseByteSize(""));
  EXPECT_FALSE(parseByteSize("KiB"));
  EXPECT_FALSE(parseByteSize("12 parsecs"));
  EXPECT_FALSE(parseByteSize("-4KiB"));
  EXPECT_FALSE(parseByteSize("1.5")); // not a whole number of bytes
  EXPECT_FALSE(parseByteSize("1.2.3KiB"));
}
