//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H
#define SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "sieve/Dialect/Attn/IR/AttnOpsDialect.h.inc"

#endif // SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H
