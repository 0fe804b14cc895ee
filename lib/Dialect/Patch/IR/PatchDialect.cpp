//===- PatchDialect.cpp - The patch dialect -------------------------------===//
//
// Part of Sieve: the patch-based inference dialect.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Patch/IR/PatchDialect.h"
#include "sieve/Dialect/Patch/IR/PatchOps.h"

using namespace mlir;
using namespace sieve::patch;

#include "sieve/Dialect/Patch/IR/PatchOpsDialect.cpp.inc"

void PatchDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/Dialect/Patch/IR/PatchOps.cpp.inc"
      >();
}
