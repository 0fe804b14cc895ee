//===- AttnDialect.cpp - The attn dialect ---------------------------------===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnDialect.h"
#include "sieve/Dialect/Attn/IR/AttnOps.h"

using namespace mlir;
using namespace sieve::attn;

#include "sieve/Dialect/Attn/IR/AttnOpsDialect.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
}
