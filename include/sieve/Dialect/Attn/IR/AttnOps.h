//===- AttnOps.h - Ops of the attn dialect ----------------------*- C++ -*-===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_IR_ATTNOPS_H
#define SIEVE_DIALECT_ATTN_IR_ATTNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "sieve/Dialect/Attn/IR/AttnDialect.h"

#define GET_OP_CLASSES
#include "sieve/Dialect/Attn/IR/AttnOps.h.inc"

#endif // SIEVE_DIALECT_ATTN_IR_ATTNOPS_H
