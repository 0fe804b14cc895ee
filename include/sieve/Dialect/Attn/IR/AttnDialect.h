//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H
#define SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "sieve/Dialect/Attn/IR/AttnOpsDialect.h.inc"

#include "sieve/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/Dialect/Attn/IR/AttnAttrs.h.inc"

#endif // SIEVE_DIALECT_ATTN_IR_ATTNDIALECT_H
