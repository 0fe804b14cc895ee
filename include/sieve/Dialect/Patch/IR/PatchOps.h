//===- PatchOps.h - Ops of the patch dialect --------------------*- C++ -*-===//
//
// Part of Sieve: the patch-based inference dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_PATCH_IR_PATCHOPS_H
#define SIEVE_DIALECT_PATCH_IR_PATCHOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "sieve/Dialect/Patch/IR/PatchDialect.h"

#define GET_OP_CLASSES
#include "sieve/Dialect/Patch/IR/PatchOps.h.inc"

#endif // SIEVE_DIALECT_PATCH_IR_PATCHOPS_H
