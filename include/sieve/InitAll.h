//===- InitAll.h - Register everything Sieve adds to MLIR -------*- C++ -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_INITALL_H
#define SIEVE_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace sieve {

/// Adds the attn, patch and tern dialects.
void registerSieveDialects(mlir::DialectRegistry &registry);

/// Adds every upstream dialect and extension plus Sieve's: what sieve-opt and
/// sieve-compile load, so that any exporter's IR parses.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers Sieve's passes and named pipelines with the global registry, so
/// that `sieve-opt -<pass>` and `-pass-pipeline=` find them.
void registerSievePassesAndPipelines();

} // namespace sieve

#endif // SIEVE_INITALL_H
