//===- TernDialect.cpp - The tern dialect ---------------------------------===//
//
// Part of Sieve: the ternary matmul dialect.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Tern/IR/TernDialect.h"
#include "sieve/Dialect/Tern/IR/TernOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sieve::tern;

#include "sieve/Dialect/Tern/IR/TernOpsDialect.cpp.inc"

#include "sieve/Dialect/Tern/IR/TernEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/Dialect/Tern/IR/TernAttrs.cpp.inc"

void TernDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/Dialect/Tern/IR/TernOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "sieve/Dialect/Tern/IR/TernAttrs.cpp.inc"
      >();
}
