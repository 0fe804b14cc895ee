//===- AttnOps.h - Ops of the attn dialect ----------------------*- C++ -*-===//
//
// Part of Sieve: the attention dialect.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_ATTN_IR_ATTNOPS_H
#define SIEVE_DIALECT_ATTN_IR_ATTNOPS_H

#include "sieve/Analysis/AttentionPattern.h"
#include "sieve/Dialect/Attn/IR/AttnDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

namespace sieve::attn {

/// Where the dims of an attention operand of `rank` are in `layout`: the
/// length (L), the heads (-1 when rank is 2: one head) and the depth (D, the
/// last). Every other dim is a batch dim.
struct AttentionDims {
  int64_t length;
  int64_t head;
  int64_t depth;
};
AttentionDims getAttentionDims(int64_t rank, Layout layout);

/// The pattern of a `#attn.logsparse` or `#attn.diagonals` attribute.
std::optional<AttentionPattern> getAttentionPattern(mlir::Attribute attr);
/// The attribute of `pattern`.
mlir::Attribute getPatternAttr(mlir::MLIRContext *context,
                               const AttentionPattern &pattern);

} // namespace sieve::attn

#define GET_OP_CLASSES
#include "sieve/Dialect/Attn/IR/AttnOps.h.inc"

#endif // SIEVE_DIALECT_ATTN_IR_ATTNOPS_H
