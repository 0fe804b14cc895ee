//===- Passes.h - Passes of the tern dialect --------------------*- C++ -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_H
#define SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace sieve::tern {

#define GEN_PASS_DECL
#include "sieve/Dialect/Tern/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sieve/Dialect/Tern/Transforms/Passes.h.inc"

} // namespace sieve::tern

#endif // SIEVE_DIALECT_TERN_TRANSFORMS_PASSES_H
