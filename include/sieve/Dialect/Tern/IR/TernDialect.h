//===- TernDialect.h - The tern dialect -------------------------*- C++ -*-===//
//
// Part of Sieve: the ternary matmul dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_IR_TERNDIALECT_H
#define SIEVE_DIALECT_TERN_IR_TERNDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include <optional>
#include <string>

#include "sieve/Dialect/Tern/IR/TernOpsDialect.h.inc"

#include "sieve/Dialect/Tern/IR/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/Dialect/Tern/IR/TernAttrs.h.inc"

#endif // SIEVE_DIALECT_TERN_IR_TERNDIALECT_H
