//===- TernDialect.h - The tern dialect -------------------------*- C++ -*-===//
//
// Part of Sieve: the ternary matmul dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_IR_TERNDIALECT_H
#define SIEVE_DIALECT_TERN_IR_TERNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "sieve/Dialect/Tern/IR/TernOpsDialect.h.inc"

#endif // SIEVE_DIALECT_TERN_IR_TERNDIALECT_H
