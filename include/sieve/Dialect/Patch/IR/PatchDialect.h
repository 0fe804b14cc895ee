//===- PatchDialect.h - The patch dialect -----------------------*- C++ -*-===//
//
// Part of Sieve: the patch-based inference dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_PATCH_IR_PATCHDIALECT_H
#define SIEVE_DIALECT_PATCH_IR_PATCHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "sieve/Dialect/Patch/IR/PatchOpsDialect.h.inc"

#endif // SIEVE_DIALECT_PATCH_IR_PATCHDIALECT_H
