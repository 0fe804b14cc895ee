//===- Pipelines.h - The compile pipeline and its stages --------*- C++ -*-===//
//
// Part of Sieve. `sieve-compile` runs these stages in order; each is also a
// registered pipeline (`sieve-<stage>-pipeline`) so that `sieve-opt` can replay
// any one of them on the IR that `--save-stages` wrote before it.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_PIPELINES_PIPELINES_H
#define SIEVE_PIPELINES_PIPELINES_H

#include "sieve/Dialect/Tern/Transforms/TernaryKernels.h"
#include "sieve/Target/TargetInfo.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

#include <optional>
#include <string>

namespace sieve {

/// The error for an option value, or "" when it is valid: a target of the
/// table; a memory or flash budget (`what`) that is "" (the target's
/// default), "none", or a size such as "256KiB"; a model name that is a C
/// identifier.
std::string checkTargetName(llvm::StringRef name);
std::string checkBudget(llvm::StringRef budget, llvm::StringRef what);
std::string checkModelName(llvm::StringRef name);
/// The error for `--threads=N` on `target`, or "": N is at least 1 and at
/// most kMaxParallelWorkers, and 1 on an MCU (which has no threads).
std::string checkThreads(int64_t threads, const TargetInfo &target);

/// Accepts only the names of the target table.
struct TargetNameParser : public llvm::cl::parser<std::string> {
  using llvm::cl::parser<std::string>::parser;
  bool parse(llvm::cl::Option &option, llvm::StringRef argName,
             llvm::StringRef arg, std::string &value);
};

/// Accepts "" (the target's default), "none", or a size such as "256KiB".
struct BudgetParser : public llvm::cl::parser<std::string> {
  using llvm::cl::parser<std::string>::parser;
  bool parse(llvm::cl::Option &option, llvm::StringRef argName,
             llvm::StringRef arg, std::string &value);
};

/// What becomes of the run-time checks (`cf.assert`) of a model.
enum class AssertMode {
  Check, ///< a failed check sets the entry point's status
  Drop,  ///< removed, with a remark each
};

/// What the attention stage does (docs/architecture.md).
enum class AttentionMode {
  Off,         ///< nothing: attention goes through upstream's lowering
  Dense,       ///< raise to attn ops, keep their meaning
  LogSparse,   ///< raise, then make dense causal attention LogSparse
  TokenSparse, ///< raise, then ZipVL token-sparse prefill attention
};

/// Whether the plan-patches stage runs stages patch by patch (docs/patch.md).
enum class PatchMode {
  Auto, ///< only when the plain plan does not fit the memory budget
  Off,  ///< never
};

struct CompileOptions : public mlir::PassPipelineOptions<CompileOptions> {
  PassOptions::Option<std::string, TargetNameParser> target{
      *this, "target", llvm::cl::desc("Target to compile for"),
      llvm::cl::init("x86-64-avx2")};
  PassOptions::Option<std::string> entry{
      *this, "entry",
      llvm::cl::desc("Entry function (default: the only public function)")};
  PassOptions::Option<std::string> modelName{
      *this, "name",
      llvm::cl::desc("Model name: prefix of the C symbols and macros"),
      llvm::cl::init("model")};
  PassOptions::Option<std::string, BudgetParser> memoryBudget{
      *this, "memory-budget",
      llvm::cl::desc("Largest arena, e.g. 256KiB or 320KB; 'none' for no "
                     "limit (default: the board's SRAM on an MCU, none on a "
                     "CPU)")};
  PassOptions::Option<std::string, BudgetParser> flashBudget{
      *this, "flash-budget",
      llvm::cl::desc("Largest total of weights and other constants, e.g. "
                     "1MiB; 'none' for no limit (default: the board's flash "
                     "on an MCU, the small code model's 2 GiB on a CPU)")};
  PassOptions::Option<AssertMode> asserts{
      *this, "asserts",
      llvm::cl::desc("Run-time checks (cf.assert) that do not fold away"),
      llvm::cl::init(AssertMode::Check),
      llvm::cl::values(
          clEnumValN(AssertMode::Check, "check",
                     "a failed check makes the entry point return its "
                     "number as the status"),
          clEnumValN(AssertMode::Drop, "drop",
                     "remove them, with a remark each"))};
  PassOptions::Option<std::string> placement{
      *this, "placement",
      llvm::cl::desc("Arena placement strategy (see sieve-plan-memory)"),
      llvm::cl::init("best")};
  PassOptions::Option<AttentionMode> attention{
      *this, "attention",
      llvm::cl::desc("Raise attention to attn ops, and how to run it"),
      llvm::cl::init(AttentionMode::Dense),
      llvm::cl::values(
          clEnumValN(AttentionMode::Off, "off",
                     "leave attention to upstream's lowering"),
          clEnumValN(AttentionMode::Dense, "dense",
                     "raise it to attn ops, unchanged (default)"),
          clEnumValN(AttentionMode::LogSparse, "logsparse",
                     "raise it, then replace dense causal attention by "
                     "LogSparse attention (changes the model)"),
          clEnumValN(AttentionMode::TokenSparse, "token-sparse",
                     "raise it, then keep only the tokens holding --tau of "
                     "the probe score (ZipVL; changes the model)"))};
  PassOptions::Option<std::string> attentionVariant{
      *this, "attention-variant",
      llvm::cl::desc("LogSparse variant: plain, local or restart"),
      llvm::cl::init("plain")};
  PassOptions::Option<int64_t> attentionWindow{
      *this, "attention-window",
      llvm::cl::desc("LogSparse local window or restart length"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> attentionFuseConv{
      *this, "attention-fuse-conv",
      llvm::cl::desc("Convolutional self-attention: compute Q in the flash "
                     "lowering from the causal convolution's input"),
      llvm::cl::init(true)};
  // Token-sparse attention (docs/token-sparse.md).
  PassOptions::Option<double> tau{
      *this, "tau",
      llvm::cl::desc("Token-sparse: score fraction the kept tokens hold"),
      llvm::cl::init(0.97)};
  PassOptions::Option<int64_t> attentionProbe{
      *this, "attention-probe",
      llvm::cl::desc("Token-sparse: probe queries (the last rows)"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> attentionStride{
      *this, "attention-stride",
      llvm::cl::desc("Token-sparse: also probe every n-th row (0: none)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> attentionSinks{
      *this, "attention-sinks",
      llvm::cl::desc("Token-sparse: first tokens always kept"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> attentionRecent{
      *this, "attention-recent",
      llvm::cl::desc("Token-sparse: last tokens always kept"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> kvCache{
      *this, "kv-cache",
      llvm::cl::desc("Token-sparse: prefill also returns the compacted KV "
                     "caches of this capacity and the kept counts (0: not)"),
      llvm::cl::init(0)};
  PassOptions::Option<PatchMode> patch{
      *this, "patch",
      llvm::cl::desc("Run the first layers patch by patch to fit the memory "
                     "budget"),
      llvm::cl::init(PatchMode::Auto),
      llvm::cl::values(
          clEnumValN(PatchMode::Auto, "auto",
                     "only when the plain plan does not fit the budget"),
          clEnumValN(PatchMode::Off, "off", "never"))};
  PassOptions::Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Workers of the parallel-for hook (docs/parallel.md); 0: "
                     "the target's default, 4 on a CPU, 1 on an MCU"),
      llvm::cl::init(0)};
  // Stage 'ternary' (docs/ternary.md).
  PassOptions::Option<bool> ternary{
      *this, "ternary",
      llvm::cl::desc("Raise matmuls with constant ternary weights to "
                     "tern.matmul and lower them to ternary kernels"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> ternaryKernel{
      *this, "ternary-kernel", llvm::cl::desc(getTernaryKernelOptionHelp()),
      llvm::cl::init("auto")};
  PassOptions::Option<std::string> ternaryPacking{
      *this, "ternary-packing",
      llvm::cl::desc("auto, i2 (2 bits per weight) or t5 (5 per byte)"),
      llvm::cl::init("auto")};
  PassOptions::Option<bool> ternaryQuantize{
      *this, "ternary-quantize",
      llvm::cl::desc("Quantise f32 weights that are not ternary BitNet-style "
                     "(approximate; warns with the error)"),
      llvm::cl::init(false)};
  // Stage 'bufferize': int8 convolution kernels (sieve-vectorize-int8).
  PassOptions::Option<std::string> int8Kernels{
      *this, "int8-kernels",
      llvm::cl::desc("auto (default: the target's SIMD or DSP kernels "
                     "where it has them, else generic), generic (scalar "
                     "loops), vector (the target's kernels), or avx2 / "
                     "avx512 / neon / dsp / mve forced"),
      llvm::cl::init("auto")};
  // Stage 'lower-to-llvm' (docs/compile-time.md).
  PassOptions::Option<bool> outlineLayers{
      *this, "outline-layers",
      llvm::cl::desc("Give each layer of the entry its own function, so that "
                     "LLVM compiles in time linear in the layers"),
      llvm::cl::init(true)};
  // Stage 'attention': the flash lowering's tiles (bench/attention_bench.py).
  PassOptions::Option<std::string> attentionTiles{
      *this, "attention-tiles",
      llvm::cl::desc("Flash tiles as ROWSxCOLS:BLOCK (register tile of ROWS "
                     "rows by COLS f32 lanes, blocks of BLOCK queries and "
                     "keys); empty: the target's"),
      llvm::cl::init("")};
  // Stage 'plan-patches' (docs/patch.md).
  PassOptions::Option<std::string> patchStrategies{
      *this, "patch-strategies",
      llvm::cl::desc("Overlap strategies the planner may choose: recompute, "
                     "cache (row strips with line buffers), cache-grid "
                     "(2-D grids with cached columns)"),
      llvm::cl::init("recompute,cache,cache-grid")};
  PassOptions::Option<bool> patchStaticBorders{
      *this, "patch-static-borders",
      llvm::cl::desc("Recomputed border patches get static shapes of their "
                     "own, so the int8 kernels run in every patch "
                     "(docs/patch.md)"),
      llvm::cl::init(false)};
  PassOptions::Option<uint64_t> patchPlanBudget{
      *this, "patch-plan-budget",
      llvm::cl::desc("Bytes the patch planner plans for, when below the "
                     "memory budget (0: the memory budget); sieve-compile "
                     "lowers it when the arena placed exceeds the budget"),
      llvm::cl::init(0)};
};

/// The flash tiles of --attention-tiles=ROWSxCOLS:BLOCK, or std::nullopt
/// when `spec` is not that (positive, BLOCK a multiple of ROWS and COLS).
struct AttentionTiles {
  int64_t rows, cols, block;
};
std::optional<AttentionTiles> parseAttentionTiles(llvm::StringRef spec);

/// The budgets `options` ask for on `target`, in bytes; 0 means none.
uint64_t getMemoryBudget(const CompileOptions &options,
                         const TargetInfo &target);
uint64_t getFlashBudget(const CompileOptions &options,
                        const TargetInfo &target);
/// The workers `options` ask for on `target` (`threads`, or the default).
unsigned getMaxWorkers(const CompileOptions &options, const TargetInfo &target);

/// One step of the compile pipeline.
struct CompileStage {
  llvm::StringLiteral name;
  llvm::StringLiteral summary;
  /// The stage's passes, as a textual pipeline on `builtin.module`.
  std::string (*pipeline)(const CompileOptions &options,
                          const TargetInfo &target);
};

/// The stages, in order: import, lower-tosa, raise-attention, attention,
/// ternary, fuse, bufferize, plan-memory, lower-to-llvm.
llvm::ArrayRef<CompileStage> getCompileStages();

/// Adds `stage` (or the whole pipeline) to `pm`, which must be anchored on
/// builtin.module.
mlir::LogicalResult addStage(mlir::OpPassManager &pm, const CompileStage &stage,
                             const CompileOptions &options);
mlir::LogicalResult buildCompilePipeline(mlir::OpPassManager &pm,
                                         const CompileOptions &options);

/// Registers `sieve-compile-pipeline` and one `sieve-<stage>-pipeline` per
/// stage.
void registerSievePipelines();

} // namespace sieve

#endif // SIEVE_PIPELINES_PIPELINES_H
