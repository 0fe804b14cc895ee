//===- Pipelines.cpp - The compile pipeline and its stages ----------------===//
//
// Part of Sieve. Stages are written as textual pipelines: the same text works
// with `sieve-opt -pass-pipeline=...`, so what the driver runs is what a user
// can replay.
//
//===----------------------------------------------------------------------===//

#include "sieve/Pipelines/Pipelines.h"

#include "sieve/Support/ByteSize.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Int8Kernels.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>

using namespace mlir;
using namespace sieve;

std::string sieve::checkTargetName(StringRef name) {
  if (lookupTarget(name))
    return "";
  return ("unknown target '" + name +
          "'; known targets: " + getKnownTargetNames())
      .str();
}

std::string sieve::checkBudget(StringRef budget, StringRef what) {
  if (budget.empty() || budget == "none" || parseByteSize(budget))
    return "";
  return ("invalid " + what + " budget '" + budget +
          "'; write a size such as 262144, 256KiB, 320KB or 0.5MiB, or 'none'")
      .str();
}

std::string sieve::checkModelName(StringRef name) {
  if (isCIdentifier(name))
    return "";
  return ("model name '" + name + "' is not a C identifier").str();
}

std::string sieve::checkThreads(int64_t threads, const TargetInfo &target) {
  if (threads < 1 || threads > kMaxParallelWorkers)
    return llvm::formatv("--threads must be between 1 and {0}, got {1}",
                         kMaxParallelWorkers, threads)
        .str();
  if (target.isMicrocontroller && threads != 1)
    return llvm::formatv("--threads={0}: target '{1}' is a microcontroller "
                         "without threads; marked loops run serially there",
                         threads, target.name)
        .str();
  return "";
}

bool TargetNameParser::parse(llvm::cl::Option &option, llvm::StringRef argName,
                             llvm::StringRef arg, std::string &value) {
  std::string error = checkTargetName(arg);
  if (!error.empty())
    return option.error(error);
  value = arg.str();
  return false;
}

bool BudgetParser::parse(llvm::cl::Option &option, llvm::StringRef argName,
                         llvm::StringRef arg, std::string &value) {
  std::string error =
      checkBudget(arg, argName.starts_with("flash") ? "flash" : "memory");
  if (!error.empty())
    return option.error(error);
  value = arg.str();
  return false;
}

/// A budget option's bytes: `fallback` when it is unset, 0 for "none".
static uint64_t budgetBytes(StringRef budget, uint64_t fallback) {
  if (budget.empty())
    return fallback;
  if (budget == "none")
    return 0;
  return parseByteSize(budget).value_or(0);
}

uint64_t sieve::getMemoryBudget(const CompileOptions &options,
                                const TargetInfo &target) {
  return budgetBytes(options.memoryBudget, target.sramBytes);
}

uint64_t sieve::getFlashBudget(const CompileOptions &options,
                               const TargetInfo &target) {
  return budgetBytes(options.flashBudget, target.defaultFlashBudget());
}

unsigned sieve::getMaxWorkers(const CompileOptions &options,
                              const TargetInfo &target) {
  if (options.threads)
    return options.threads;
  return target.isMicrocontroller ? 1 : 4;
}

static bool is32Bit(const TargetInfo &target) {
  return target.pointerBits == 32;
}

static std::string importStage(const CompileOptions &options,
                               const TargetInfo &target) {
  std::string entry = options.entry;
  // Inline first, so that the interface sees the ops next to the inputs and
  // outputs even when the exporter wrapped them in calls.
  // Canonicalization removes the checks whose condition folds to true.
  // Attention in TOSA form is raised here, after inlining and before
  // lower-tosa decomposes it beyond recognition (docs/architecture.md).
  return llvm::formatv("sieve-verify-input{{entry={0} max-object-bytes={1} "
                       "index-bitwidth={2}{5}}, inline, "
                       "sieve-record-interface{{entry={0}}, symbol-dce, "
                       "{3}canonicalize, cse{4}",
                       entry.empty() ? "''" : entry, target.maxObjectBytes(),
                       target.pointerBits,
                       options.asserts == AssertMode::Drop
                           ? "func.func(sieve-drop-asserts), "
                           : "",
                       options.attention == AttentionMode::Off
                           ? ""
                           : ", func.func(sieve-raise-attention)",
                       options.attention == AttentionMode::TokenSparse
                           ? " token-sparse=true"
                           : "")
      .str();
}

static std::string lowerTosaStage(const CompileOptions &,
                                  const TargetInfo &target) {
  // Upstream's tosa-to-linalg-pipeline without tosa-validate (which wants a
  // TOSA profile declaration that exporters do not write). On 32-bit targets,
  // tosa.apply_scale becomes 32-bit arithmetic (umull and friends) instead of
  // 64-bit multiplies; both are exact.
  return llvm::formatv(
             "func.func(tosa-to-scf, tosa-optional-decompositions, "
             "canonicalize, tosa-infer-shapes, tosa-make-broadcastable, "
             "tosa-to-linalg-named, canonicalize, "
             "tosa-layerwise-constant-fold, "
             "tosa-make-broadcastable, tosa-to-linalg, "
             "tosa-to-arith{{include-apply-rescale=true use-32-bit={0}}, "
             "tosa-to-tensor), canonicalize, cse",
             is32Bit(target) ? "true" : "false")
      .str();
}

static std::string raiseAttentionStage(const CompileOptions &options,
                                       const TargetInfo &) {
  // Linalg-form attention (torch-mlir, TensorFlow) is raised here; the TOSA
  // form was raised at the end of import.
  switch (options.attention) {
  case AttentionMode::Off:
    return "";
  case AttentionMode::Dense:
    return "func.func(sieve-raise-attention)";
  case AttentionMode::LogSparse:
    return llvm::formatv("func.func(sieve-raise-attention, "
                         "sieve-attn-logsparse{{variant={0} window={1}})",
                         std::string(options.attentionVariant),
                         int64_t(options.attentionWindow))
        .str();
  case AttentionMode::TokenSparse:
    return llvm::formatv("func.func(sieve-raise-attention, "
                         "sieve-attn-token-sparse{{tau={0} probe={1} "
                         "stride={2} sinks={3} recent={4} "
                         "cache-capacity={5}})",
                         std::to_string(double(options.tau)),
                         int64_t(options.attentionProbe),
                         int64_t(options.attentionStride),
                         int64_t(options.attentionSinks),
                         int64_t(options.attentionRecent),
                         int64_t(options.kvCache))
        .str();
  }
  return "";
}

static std::string attentionStage(const CompileOptions &options,
                                  const TargetInfo &target) {
  // Register tiles: two SIMD registers of f32 lanes wide (at least 4 lanes,
  // so that targets without SIMD still get a small unrolled tile). Blocks of
  // 128 were the fastest with 4-row tiles (bench/attention_bench.py); MCUs get
  // blocks of 32 so that the scratch (about 4 * block * (D + block) bytes)
  // stays small.
  // On x86 (AVX2, AVX-512): tiles of 6 rows, 12 accumulators, hide the FMA
  // latency better than 4 (8 accumulators: exactly latency x ports), with
  // blocks of 96 (a multiple of 6 and 16): 58% -> 63% of the FMA peak at
  // L = 16384 in bench/attention_bench.py's setting.
  bool x86 = !target.isMicrocontroller && target.vectorBits >= 256;
  int64_t rows = x86 ? 6 : 4;
  int64_t lanes = std::max(4u, 2 * target.vectorBits / 32);
  int64_t block = target.isMicrocontroller ? 32 : x86 ? 96 : 128;
  if (std::optional<AttentionTiles> tiles =
          parseAttentionTiles(options.attentionTiles)) {
    rows = tiles->rows;
    lanes = tiles->cols;
    block = tiles->block;
  }
  // Token-sparse ops lower on their own; the rest as always.
  const char *tokenSparse = options.attention == AttentionMode::TokenSparse
                                ? "func.func(sieve-lower-token-sparse), "
                                : "";
  return llvm::formatv("{3}sieve-lower-attention{{tile-cols={0} block-q={1} "
                       "block-k={1} fuse-query-conv={2} tile-rows={4}}, "
                       "canonicalize",
                       lanes, block, bool(options.attentionFuseConv),
                       tokenSparse, rows)
      .str();
}

std::optional<AttentionTiles> sieve::parseAttentionTiles(llvm::StringRef spec) {
  auto [tile, blockText] = spec.split(':');
  auto [rowsText, colsText] = tile.split('x');
  AttentionTiles t;
  if (rowsText.getAsInteger(10, t.rows) || colsText.getAsInteger(10, t.cols) ||
      blockText.getAsInteger(10, t.block) || t.rows <= 0 || t.cols <= 0 ||
      t.block <= 0 || t.block % t.rows != 0 || t.block % t.cols != 0)
    return std::nullopt;
  return t;
}

static std::string ternaryStage(const CompileOptions &options,
                                const TargetInfo &target) {
  if (!options.ternary)
    return "";
  return llvm::formatv("func.func(sieve-raise-ternary{{quantize={0}}), "
                       "sieve-select-ternary-kernel{{target={1} kernel={2} "
                       "packing={3}}, func.func(sieve-lower-ternary{{"
                       "target={1}}), canonicalize, cse",
                       options.ternaryQuantize ? "true" : "false", target.name,
                       std::string(options.ternaryKernel),
                       std::string(options.ternaryPacking))
      .str();
}

/// The int8 instructions sieve-vectorize-int8 has kernels for on `target`.
static StringRef int8Isa(const TargetInfo &target) {
  StringRef triple = target.triple;
  if (triple.starts_with("x86_64") && target.vectorBits >= 512 &&
      target.dotProduct == DotProduct::X86Vnni)
    return "avx512";
  if (triple.starts_with("x86_64") && target.vectorBits >= 256)
    return "avx2";
  if (triple.starts_with("aarch64") &&
      target.dotProduct == DotProduct::AArch64Sdot)
    return "neon";
  if (target.dotProduct == DotProduct::ArmSmlad)
    return "dsp";
  if (target.dotProduct == DotProduct::MveVmlav)
    return "mve";
  return "none";
}

static std::string planPatchesStage(const CompileOptions &options,
                                    const TargetInfo &target) {
  // Without a budget there is nothing to fit. The planner picks, per stage,
  // recomputed halos or cached row strips, whichever costs fewer MACs
  // (--patch-strategies; docs/patch.md).
  uint64_t budget = getMemoryBudget(options, target);
  if (options.patch == PatchMode::Off || !budget)
    return "";
  // Below the memory budget when a plan placed more than it (sieve-compile).
  if (options.patchPlanBudget && options.patchPlanBudget < budget)
    budget = options.patchPlanBudget;
  return llvm::formatv("sieve-plan-patches{{memory-budget={0} mode=auto "
                       "strategies={2} alignment={1} int8-isa={3} "
                       "int8-kernels={4} static-borders={5}}, "
                       "func.func(sieve-lower-patch-stages), canonicalize, cse",
                       budget, target.arenaAlignment,
                       std::string(options.patchStrategies), int8Isa(target),
                       resolveInt8Kernels(options.int8Kernels, int8Isa(target)),
                       bool(options.patchStaticBorders))
      .str();
}

static std::string fuseStage(const CompileOptions &, const TargetInfo &) {
  // No CSE after cloning inits: it would merge the clones again.
  return "convert-elementwise-to-linalg, linalg-fuse-elementwise-ops, "
         "func.func(sieve-fold-constants), canonicalize, cse, "
         "func.func(sieve-clone-shared-inits, sieve-fuse-into-rows), "
         "canonicalize";
}

static std::string int8KernelsPass(const CompileOptions &options,
                                   const TargetInfo &target) {
  // On buffers, inside the row loops, before the arena is planned (the
  // kernels need no scratch; their repacked weights are constants).
  // auto (the default): the target's kernels wherever it has them
  // (bit-exact with the generic loops and faster on every layer measured:
  // bench/int8_bench.py on the host, bench/int8_mcu_bench.py on Cortex-M),
  // the generic loops elsewhere. sieve-plan-patches counts what they leave
  // in the arena (the same decision, sieve/Transforms/Int8Kernels.h).
  std::string kernels =
      resolveInt8Kernels(options.int8Kernels, int8Isa(target));
  if (kernels == "generic")
    return "";
  return llvm::formatv(", sieve-vectorize-int8{{target={0} isa={1} "
                       "kernels={2}}, canonicalize, cse",
                       target.name, int8Isa(target), kernels)
      .str();
}

static std::string bufferizeStage(const CompileOptions &options,
                                  const TargetInfo &target) {
  // Marked loops are outlined (or, on MCUs, get their scratch hoisted)
  // before buffer-loop-hoisting, which would share one scratch buffer
  // between the iterations of a parallel loop.
  return llvm::formatv(
             "func.func(sieve-fill-splat-results, sieve-copy-repeated-results, "
             "sieve-clone-shared-inits), "
             "eliminate-empty-tensors, "
             "empty-tensor-to-alloc-tensor, "
             "func.func(sieve-read-inserted-slices), "
             "one-shot-bufferize{{bufferize-function-boundaries=true "
             "function-boundary-type-conversion=identity-layout-map}, "
             "buffer-results-to-out-params{{hoist-static-allocs=true "
             "modify-public-functions=true}, "
             "sieve-outline-parallel{{max-workers={0} outline={1}}, "
             "func.func(buffer-hoisting, buffer-loop-hoisting), "
             "canonicalize, "
             "func.func(sieve-elide-copies), canonicalize, cse{2}",
             getMaxWorkers(options, target),
             target.isMicrocontroller ? "false" : "true",
             int8KernelsPass(options, target))
      .str();
}

static std::string planMemoryStage(const CompileOptions &options,
                                   const TargetInfo &target) {
  return llvm::formatv("sieve-plan-memory{{alignment={0} memory-budget={1} "
                       "strategy={2} max-arena-bytes={3} flash-budget={4}}, "
                       "sieve-export-entry{{name={5}}",
                       target.arenaAlignment, getMemoryBudget(options, target),
                       std::string(options.placement), target.maxObjectBytes(),
                       getFlashBudget(options, target),
                       std::string(options.modelName))
      .str();
}

static std::string lowerToLLVMStage(const CompileOptions &options,
                                    const TargetInfo &target) {
  unsigned bits = target.pointerBits;
  // First, each layer into a function of its own: LLVM's time grows faster
  // than linearly with the size of a function (docs/compile-time.md).
  std::string outline = options.outlineLayers ? "sieve-outline-layers, " : "";
  // CPU targets get the parallel entry point (docs/parallel.md).
  const char *parallel =
      target.isMicrocontroller ? "" : "sieve-lower-parallel-launches, ";
  return llvm::formatv(
             "{3}func.func(sieve-expand-strided-copies, "
             "convert-linalg-to-loops, "
             "sieve-approximate-math), lower-affine, convert-scf-to-cf, "
             "expand-strided-metadata, lower-affine, arith-expand, "
             "{1}convert-vector-to-llvm, convert-math-to-llvm, "
             "finalize-memref-to-llvm{{index-bitwidth={0}}, "
             "convert-arith-to-llvm{{index-bitwidth={0}}, "
             "convert-index-to-llvm{{index-bitwidth={0}}, "
             "convert-cf-to-llvm{{index-bitwidth={0}}, "
             "convert-func-to-llvm{{index-bitwidth={0} "
             "use-bare-ptr-memref-call-conv=true}, "
             "reconcile-unrealized-casts, {2}canonicalize",
             bits,
             // Upstream's vector lowering builds 64-bit memref descriptors.
             is32Bit(target)
                 ? "sieve-convert-vector-to-llvm{index-bitwidth=32}, "
                 : "",
             parallel, outline)
      .str();
}

static const CompileStage kStages[] = {
    {"import", "check the model, record its interface, inline", importStage},
    {"lower-tosa", "TOSA to linalg, arith and tensor", lowerTosaStage},
    {"raise-attention", "attention raised to attn ops; LogSparse on request",
     raiseAttentionStage},
    {"attention", "attn ops to flash-style tiled loops", attentionStage},
    {"ternary", "constant ternary matmuls to packed ternary kernels",
     ternaryStage},
    {"plan-patches", "the first layers patch by patch when they do not fit",
     planPatchesStage},
    {"fuse", "elementwise fusion; convolutions by rows with their consumers",
     fuseStage},
    {"bufferize", "tensors to buffers; outputs into caller buffers",
     bufferizeStage},
    {"plan-memory", "static arena placement; the C entry point",
     planMemoryStage},
    {"lower-to-llvm", "loops, then the LLVM dialect", lowerToLLVMStage},
};

ArrayRef<CompileStage> sieve::getCompileStages() { return kStages; }

LogicalResult sieve::addStage(OpPassManager &pm, const CompileStage &stage,
                              const CompileOptions &options) {
  const TargetInfo *target = lookupTarget(options.target);
  if (!target)
    return failure();
  if (options.threads) {
    std::string error = checkThreads(options.threads, *target);
    if (!error.empty()) {
      llvm::errs() << "error: " << error << "\n";
      return failure();
    }
  }
  std::string text = stage.pipeline(options, *target);
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (failed(parsePassPipeline(text, pm, errorStream))) {
    llvm::errs() << "internal error: stage '" << stage.name
                 << "' has an invalid pipeline: " << error << "\n";
    return failure();
  }
  return success();
}

LogicalResult sieve::buildCompilePipeline(OpPassManager &pm,
                                          const CompileOptions &options) {
  for (const CompileStage &stage : kStages)
    if (failed(addStage(pm, stage, options)))
      return failure();
  return success();
}

void sieve::registerSievePipelines() {
  PassPipelineRegistration<CompileOptions>(
      "sieve-compile-pipeline",
      "The whole compile pipeline, from a TOSA or linalg model to the LLVM "
      "dialect",
      [](OpPassManager &pm, const CompileOptions &options) {
        (void)buildCompilePipeline(pm, options);
      });
  for (const CompileStage &stage : kStages) {
    std::string name = ("sieve-" + stage.name + "-pipeline").str();
    std::string summary =
        ("Stage '" + stage.name + "' of sieve-compile: " + stage.summary).str();
    PassPipelineRegistration<CompileOptions>(
        name, summary,
        [&stage](OpPassManager &pm, const CompileOptions &options) {
          (void)addStage(pm, stage, options);
        });
  }
}
