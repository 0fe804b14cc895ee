//===- ModelInterface.h - A compiled model seen from C ----------*- C++ -*-===//
//
// Part of Sieve. The facts about a compiled model that its users rely on:
// the entry point's inputs and outputs and the memory plan. Extracted once
// from the IR after `sieve-export-entry`, then written as a C header, a JSON
// report and a table (docs/abi.md and docs/report.md describe them).
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_TARGET_MODELINTERFACE_H
#define SIEVE_TARGET_MODELINTERFACE_H

#include "sieve/Target/TargetInfo.h"
#include "sieve/Transforms/MemoryPlan.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace sieve {

struct TensorInterface {
  std::string name;
  std::vector<int64_t> shape;
  /// MLIR element type ("i8", "f32") and the C type that holds it.
  std::string elementType;
  std::string cType;
  uint64_t bytes = 0;
  std::optional<int64_t> zeroPoint;
  std::optional<double> scale;
};

/// A run-time check of the model (a `cf.assert` of the exporter): when it
/// fails first, the entry point returns `status`.
struct RuntimeCheck {
  int64_t status = 0;
  std::string message, loc;
};

/// One attention of the model as the attention stage left it (report field
/// `attention`, docs/report.md). Pairs are (query, key) dot products of one
/// head of one batch element.
struct AttentionInfo {
  std::string location;
  /// "dense" (attn.attention) or "sparse" (attn.sparse_attention).
  std::string kind;
  /// "full", "causal", "mask" (a general mask operand, with or without
  /// causal) or the sparse pattern (AttentionPattern::describe()).
  std::string pattern;
  int64_t queryLength = 0, keyLength = 0;
  /// Product of the batch dims; query heads; key/value heads.
  int64_t batch = 1, heads = 1, kvHeads = 1;
  int64_t depth = 0, valueDepth = 0;
  /// The storage type of Q, K, V and the result ("f32", "f16", "bf16"); the
  /// lowering computes in f32 whatever it is.
  std::string elementType;
  /// Pairs computed per head, and those of dense causal attention.
  int64_t pairs = 0, causalPairs = 0;
  /// Set by sieve-attn-logsparse: the op no longer computes the model's
  /// dense attention.
  bool changesModel = false;
  /// With changesModel: sieve-attn-logsparse's estimate of the change
  /// (AttentionError.h), the relative error of output rows against dense
  /// attention on seeded random inputs, over `errorRows` query rows.
  double maxRelError = 0, meanRelError = 0, rmsError = 0;
  int64_t errorRows = 0, errorSeed = 0;
  /// Convolutional self-attention: the kernel of the causal convolution
  /// that produces Q / K (attn.query_conv / attn.key_conv), 0 if none;
  /// whether the flash lowering computes Q from the convolution's input
  /// (matchQueryConv), and the bytes of the convolution-made Q and K
  /// tensors that still exist and of those the fusion removed.
  int64_t queryConv = 0, keyConv = 0;
  bool queryConvFused = false;
  int64_t convTensorBytes = 0, fusedBytes = 0;
  /// Token-sparse attention (kind "token-sparse"): bounds of the kept count
  /// decided at run time; -1 otherwise.
  int64_t keptMin = -1, keptMax = -1;
  /// Decode attention over a KV cache (kind "kv-cache"): its capacity in
  /// tokens and the bytes one cached token takes (keys and values of every
  /// KV head, one batch index); -1 and 0 otherwise.
  int64_t cacheCapacity = -1, cacheTokenBytes = 0;
};

/// The attention ops of `module` (after the attention stage, before their
/// lowering).
/// `fuseQueryConv`: the lowering's fuse-query-conv option.
std::vector<AttentionInfo> collectAttention(mlir::ModuleOp module,
                                            bool fuseQueryConv = true);

/// A loop marked `sieve.parallel` (docs/parallel.md).
struct ParallelLoop {
  std::string loc;
  int64_t tasks = 0;
  /// Bytes of scratch each worker has for it, and in how many buffers.
  uint64_t scratchBytes = 0;
  int64_t scratchBuffers = 0;
};

/// The parallel-for hook's side of the interface.
struct ParallelInfo {
  /// Whether `<name>_run_parallel` exists (CPU targets).
  bool entry = false;
  unsigned maxWorkers = 1;
  std::vector<ParallelLoop> loops;
  /// The scratch of one worker, summed over the loops (the arena holds
  /// maxWorkers copies of each loop's scratch).
  uint64_t scratchBytesPerWorker() const;
};

/// One layer that the 'ternary' stage raised (docs/ternary.md).
struct TernaryLayer {
  std::string location, kernel, packing, activations;
  int64_t m = 0, n = 0, k = 0;
  uint64_t packedBytes = 0;
  /// Relative error of weights quantised by --ternary-quantize.
  std::optional<double> quantizationError;
};

/// One int8 convolution and the kernel sieve-vectorize-int8 chose for it.
struct Int8Layer {
  /// `fused`: "requant" when the kernel computes its requantising consumer.
  std::string location, op, kernel, fused;
  uint64_t packedBytes = 0;
};

/// One stage run patch by patch (report field `patch`, docs/report.md).
struct PatchStageInfo {
  std::string first, last;
  int64_t grid[2] = {0, 0}, tile[2] = {0, 0};
  /// Rows and columns of halo per layer of the stage.
  std::vector<int64_t> halo;
  std::string strategy;
  /// Border patches of static shapes of their own (the int8 kernels run in
  /// every patch); false: border patches of dynamic shapes.
  bool staticBorders = false;
};

/// The patch plan sieve-plan-patches chose, when it patched the model.
struct PatchInfo {
  std::string rule;
  /// The planner's peaks of the plain and the patched network.
  uint64_t plainPeak = 0, peak = 0;
  /// MACs of the patched network over the plain one's.
  double macOverhead = 1.0;
  std::vector<PatchStageInfo> stages;
  /// (peak, MACs) points of the search that nothing dominates.
  std::vector<std::pair<uint64_t, uint64_t>> pareto;
  uint64_t plainMacs = 0;
  /// The budget the planner planned for: the memory budget, or less when
  /// sieve-compile planned again after an arena over the budget.
  uint64_t planBudget = 0;
};

/// The plan of `module`'s entry function after the plan-patches stage, if
/// it has patched stages; `extraMacs` is set to the MACs the patches
/// recompute.
std::optional<PatchInfo> collectPatchPlan(mlir::ModuleOp module,
                                          uint64_t &extraMacs);

struct ModelInterface {
  std::string name;
  std::string entrySymbol;
  /// The entry function's name in the source model.
  std::string sourceFunction;
  std::vector<TensorInterface> inputs, outputs;
  MemoryPlan memory;
  /// Bytes of constant globals (weights, tables): flash on an MCU.
  uint64_t weightBytes = 0;
  /// Multiply-accumulates of one run: counted on linalg before tiling, plus
  /// what patches recompute.
  uint64_t macs = 0;
  /// Absent when no stage runs patch by patch.
  std::optional<PatchInfo> patch;
  std::vector<RuntimeCheck> checks;
  std::vector<AttentionInfo> attention;
  /// Absent when sieve-outline-parallel did not run.
  std::optional<ParallelInfo> parallel;
  std::vector<TernaryLayer> ternaryLayers;
  /// Absent when sieve-vectorize-int8 did not run (--int8-kernels=generic).
  std::optional<std::vector<Int8Layer>> int8Layers;
};

/// Reads the interface from a module after `sieve-export-entry`.
mlir::FailureOr<ModelInterface> extractModelInterface(mlir::ModuleOp module,
                                                      llvm::StringRef name);

/// The C header: entry point prototype, arena size and alignment, shapes,
/// element types and quantisation parameters of every input and output.
void emitCHeader(const ModelInterface &model, const TargetInfo &target,
                 llvm::raw_ostream &os);

/// Facts the report adds beyond the interface.
struct ReportContext {
  std::string source;
  /// Symbols the object file leaves for the link (memcpy, ...).
  std::vector<std::string> undefinedSymbols;
  uint64_t codeBytes = 0;
};

/// The memory report as JSON (fields in docs/report.md).
void emitJsonReport(const ModelInterface &model, const TargetInfo &target,
                    const ReportContext &context, llvm::raw_ostream &os);

/// The memory report as a table for people.
void printReportTable(const ModelInterface &model, const TargetInfo &target,
                      const ReportContext &context, llvm::raw_ostream &os);

} // namespace sieve

#endif // SIEVE_TARGET_MODELINTERFACE_H
