//===- Passes.h - Sieve's target-independent passes -------------*- C++ -*-===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TRANSFORMS_PASSES_H
#define SIEVE_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "sieve/Dialect/Patch/IR/PatchDialect.h"

namespace sieve {

#define GEN_PASS_DECL
#include "sieve/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "sieve/Transforms/Passes.h.inc"

/// Attribute names shared by the passes and the emitters.
namespace attrs {
/// Marks the function that becomes the C entry point.
inline constexpr llvm::StringLiteral kEntry = "sieve.entry";
/// Arrays of dictionaries describing the entry's inputs and outputs.
inline constexpr llvm::StringLiteral kInputs = "sieve.inputs";
inline constexpr llvm::StringLiteral kOutputs = "sieve.outputs";
/// The memory plan recorded by sieve-plan-memory.
inline constexpr llvm::StringLiteral kMemoryPlan = "sieve.memory_plan";
/// The run-time checks of the entry point, recorded by sieve-export-entry:
/// an array of {status, message, loc} dictionaries.
inline constexpr llvm::StringLiteral kChecks = "sieve.checks";
/// User-provided quantisation scale on an argument or result.
inline constexpr llvm::StringLiteral kScale = "sieve.scale";
/// Name and zero point of an argument or result, as an importer that knows
/// them (the TFLite importer) records them; they take precedence over what
/// sieve-record-interface would infer.
inline constexpr llvm::StringLiteral kName = "sieve.name";
inline constexpr llvm::StringLiteral kZeroPoint = "sieve.zero_point";
/// Marks an `scf.forall` whose iterations are independent (docs/parallel.md).
inline constexpr llvm::StringLiteral kParallelLoop = "sieve.parallel";
/// What sieve-outline-parallel did with a function's marked loops, for the
/// header and the report: {max_workers, outlined, loops = [{loc, tasks,
/// scratch_bytes, scratch_buffers}]}.
inline constexpr llvm::StringLiteral kParallelPlan = "sieve.parallel_plan";
/// On the launch declarations of sieve-outline-parallel: the task function,
/// the number of tasks and the workers the scratch was sized for.
inline constexpr llvm::StringLiteral kParallelTask = "sieve.parallel_task";
inline constexpr llvm::StringLiteral kParallelTasks = "sieve.parallel_tasks";
inline constexpr llvm::StringLiteral kParallelMaxWorkers =
    "sieve.parallel_max_workers";
/// The patch plan recorded by sieve-plan-patches.
inline constexpr llvm::StringLiteral kPatchPlan = "sieve.patch_plan";
} // namespace attrs

/// The most workers `sieve-compile --threads` accepts: each multiplies the
/// per-worker scratch in the arena.
inline constexpr unsigned kMaxParallelWorkers = 1024;

/// Tiling a padding guards against tiles whose input slice is empty (the
/// tile lies in the padding); the guard computes those rows into a buffer of
/// their own, beside the one the padded copy is built in. In the loops under
/// `loop`, a guard whose slice size cannot be zero (getIndexRange, else
/// getExactIndexRange) folds away, leaving the one padded buffer the planner
/// counts. Used by sieve-fuse-into-rows and sieve-lower-patch-stages.
void foldNonEmptyPadGuards(mlir::RewriterBase &rewriter, mlir::Operation *loop);

/// Code that runs a few times per inference and does little work each time
/// (the unrolled patches of a cached 2-D grid: once, or once per band in
/// the band loop): its ops' locations carry this mark (a FusedLoc's
/// metadata, so that the layer names stay), and sieve-outline-layers gives
/// the functions it moves them into LLVM's `optsize`, which stops -O3
/// unrolling them (docs/patch.md).
inline constexpr llvm::StringLiteral kColdCode = "sieve.cold";
/// Marks `op` and the ops nested in it as cold code (kColdCode).
void markColdCode(mlir::Operation *op);
/// Whether `op`'s location carries the kColdCode mark.
bool isColdCode(mlir::Operation *op);

} // namespace sieve

#endif // SIEVE_TRANSFORMS_PASSES_H
