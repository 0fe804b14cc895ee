//===- TernDialect.cpp - The tern dialect ---------------------------------===//
//
// Part of Sieve: the ternary matmul dialect.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/IR/TernDialect.h"
#include "sieve/Dialect/Tern/IR/TernOps.h"

using namespace mlir;
using namespace sieve::tern;

#include "sieve/Dialect/Tern/IR/TernOpsDialect.cpp.inc"

void TernDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/Dialect/Tern/IR/TernOps.cpp.inc"
      >();
}
