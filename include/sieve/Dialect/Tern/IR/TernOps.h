//===- TernOps.h - Ops of the tern dialect ----------------------*- C++ -*-===//
//
// Part of Sieve: the ternary matmul dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_IR_TERNOPS_H
#define SIEVE_DIALECT_TERN_IR_TERNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "sieve/Dialect/Tern/IR/TernDialect.h"

#define GET_OP_CLASSES
#include "sieve/Dialect/Tern/IR/TernOps.h.inc"

#endif // SIEVE_DIALECT_TERN_IR_TERNOPS_H
