//===- sieve-compile.cpp - One-shot compiler driver -----------------------===//
//
// Part of Sieve. Runs the registered compile pipeline stage by stage on a
// model and writes an object file (or assembly, LLVM IR, MLIR), the C header
// of the entry point, and the memory report.
//
//   sieve-compile model.mlir --target=cortex-m55 --memory-budget=256KiB -o m.o
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/MacCount.h"
#include "sieve/Import/TFLite/TFLiteImporter.h"
#include "sieve/InitAll.h"
#include "sieve/Pipelines/Pipelines.h"
#include "sieve/Support/ToolSupport.h"
#include "sieve/Target/CodeEmitter.h"
#include "sieve/Target/MemoryMap.h"
#include "sieve/Target/ModelInterface.h"
#include "sieve/Target/TargetInfo.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace sieve;
namespace cl = llvm::cl;

static cl::OptionCategory category("sieve-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.mlir|model.tflite>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
static cl::opt<std::string> targetName("target",
                                       cl::desc("Target (see --list-targets)"),
                                       cl::init("x86-64-avx2"),
                                       cl::cat(category));
static cl::opt<std::string> memoryBudget(
    "memory-budget",
    cl::desc("Largest arena, e.g. 256KiB, 320KB, 262144; 'none' for no limit "
             "(default: the board's SRAM on an MCU target, none on a CPU)"),
    cl::cat(category));
static cl::opt<std::string> flashBudget(
    "flash-budget",
    cl::desc("Largest total of weights and other constants, e.g. 1MiB; "
             "'none' for no limit (default: the board's flash on an MCU, the "
             "2 GiB of the small code model on a CPU)"),
    cl::cat(category));
enum class EmitKind { MLIR, LLVM, Asm, Obj };
static cl::opt<EmitKind> emitKind(
    "emit", cl::desc("What to write to -o"), cl::init(EmitKind::Obj),
    cl::values(clEnumValN(EmitKind::MLIR, "mlir", "the LLVM-dialect MLIR"),
               clEnumValN(EmitKind::LLVM, "llvm", "optimized LLVM IR"),
               clEnumValN(EmitKind::Asm, "asm", "target assembly"),
               clEnumValN(EmitKind::Obj, "obj", "an ELF object file")),
    cl::cat(category));
static cl::opt<std::string>
    modelName("name",
              cl::desc("Model name, the prefix of the C symbols (default: "
                       "the output file's stem)"),
              cl::cat(category));
static cl::opt<std::string>
    entryName("entry",
              cl::desc("Entry function (default: the only public one)"),
              cl::cat(category));
static cl::opt<std::string> headerFile(
    "header",
    cl::desc("Where to write the C header (default with --emit=obj: the "
             "output's path with .h)"),
    cl::cat(category));
static cl::opt<std::string>
    reportFile("report",
               cl::desc("Where to write the JSON memory report (default with "
                        "--emit=obj: the output's path with .json)"),
               cl::cat(category));
static cl::opt<std::string>
    memoryMap("memory-map",
              cl::desc("Where to write the arena plan as an SVG picture"),
              cl::value_desc("file.svg"), cl::cat(category));
static cl::opt<std::string> saveStages(
    "save-stages",
    cl::desc("Write the IR before the first and after every stage to "
             "DIR/NN-<stage>.mlir"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<AssertMode> asserts(
    "asserts",
    cl::desc("Run-time checks (cf.assert) that do not fold away at compile "
             "time"),
    cl::init(AssertMode::Check),
    cl::values(clEnumValN(AssertMode::Check, "check",
                          "a failed check makes the entry point return its "
                          "number as the status (default)"),
               clEnumValN(AssertMode::Drop, "drop",
                          "remove them, with a remark each")),
    cl::cat(category));
static cl::opt<std::string>
    placement("placement",
              cl::desc("Arena placement: best (default), greedy-by-size, "
                       "greedy-by-breadth, by-lifetime"),
              cl::init("best"), cl::cat(category));
static cl::opt<AttentionMode> attention(
    "attention", cl::desc("Attention: raise it to attn ops, and how to run it"),
    cl::init(AttentionMode::Dense),
    cl::values(clEnumValN(AttentionMode::Off, "off",
                          "leave it to upstream's lowering"),
               clEnumValN(AttentionMode::Dense, "dense",
                          "raise it to attn ops, unchanged (default)"),
               clEnumValN(AttentionMode::LogSparse, "logsparse",
                          "raise it, then make dense causal attention "
                          "LogSparse (changes the model)"),
               clEnumValN(AttentionMode::TokenSparse, "token-sparse",
                          "raise it, then run prefill attention over the "
                          "tokens holding --tau of the probe score (ZipVL; "
                          "changes the model)")),
    cl::cat(category));
static cl::opt<std::string> attentionVariant(
    "attention-variant",
    cl::desc("With --attention=logsparse: plain (default), local (a dense "
             "window, then LogSparse steps) or restart (LogSparse within "
             "sub-sequences)"),
    cl::init("plain"), cl::cat(category));
static cl::opt<int64_t> attentionWindow(
    "attention-window",
    cl::desc("The local window or restart length of --attention-variant"),
    cl::init(0), cl::cat(category));
static cl::opt<bool> attentionFuseConv(
    "attention-fuse-conv",
    cl::desc("Convolutional self-attention: compute Q in the flash lowering "
             "from the causal convolution's input, so that Q never occupies "
             "the arena (default on)"),
    cl::init(true), cl::cat(category));
static cl::opt<double>
    tau("tau",
        cl::desc("With --attention=token-sparse: the fraction of the probe "
                 "score the kept tokens hold, in (0, 1] (default 0.97)"),
        cl::init(0.97), cl::cat(category));
static cl::opt<int64_t> attentionProbe(
    "attention-probe",
    cl::desc("With --attention=token-sparse: probe queries, the last rows "
             "(default 64)"),
    cl::init(64), cl::cat(category));
static cl::opt<int64_t> attentionStride(
    "attention-stride",
    cl::desc("With --attention=token-sparse: also probe every n-th row "
             "before them (default 0: none)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> attentionSinks(
    "attention-sinks",
    cl::desc("With --attention=token-sparse: first tokens always kept "
             "(default 4)"),
    cl::init(4), cl::cat(category));
static cl::opt<int64_t> attentionRecent(
    "attention-recent",
    cl::desc("With --attention=token-sparse: last tokens always kept "
             "(default 0)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> kvCache(
    "kv-cache",
    cl::desc("With --attention=token-sparse: the prefill also returns each "
             "attention's compacted KV cache of this capacity (>= L) and its "
             "kept count (docs/abi.md, \"KV cache\"; default 0: not)"),
    cl::init(0), cl::cat(category));
static cl::opt<PatchMode> patchMode(
    "patch",
    cl::desc("Run the first layers patch by patch to fit --memory-budget "
             "(docs/patch.md)"),
    cl::init(PatchMode::Auto),
    cl::values(clEnumValN(PatchMode::Auto, "auto",
                          "only when the plain plan does not fit (default)"),
               clEnumValN(PatchMode::Off, "off", "never")),
    cl::cat(category));
static cl::opt<std::string> patchStrategies(
    "patch-strategies",
    cl::desc("Overlap strategies the patch planner may choose: recompute, "
             "cache (row strips with line buffers), cache-grid (2-D grids "
             "with cached columns); default recompute,cache,cache-grid: the "
             "fewest MACs, without cache-grid where that costs at most 10% "
             "more MACs (docs/patch.md)"),
    cl::init("recompute,cache,cache-grid"), cl::cat(category));
static cl::opt<bool> patchStaticBorders(
    "patch-static-borders",
    cl::desc("Give recomputed border patches static shapes of their own, so "
             "that the int8 kernels run in every patch; where the arena "
             "placed then misses the budget, the patches keep dynamic shapes "
             "(default on; =false: always dynamic; docs/patch.md)"),
    cl::init(true), cl::cat(category));
/// Registered in main: libLLVM already has an undocumented, hidden
/// `--threads` that the driver takes over.
static std::optional<cl::opt<int>> threads;
static void registerThreadsOption() {
  if (cl::Option *other = cl::getRegisteredOptions().lookup("threads"))
    other->removeArgument();
  threads.emplace(
      "threads",
      cl::desc("Workers of the parallel-for hook: copies of per-worker "
               "scratch and <NAME>_MAX_WORKERS (default: 4 on a CPU, 1 on an "
               "MCU; see docs/parallel.md)"),
      cl::init(0), cl::cat(category));
}
static cl::opt<bool>
    ternary("ternary",
            cl::desc("Raise and lower matmuls with constant ternary weights "
                     "(default on; --ternary=false keeps them as matmuls)"),
            cl::init(true), cl::cat(category));
static cl::opt<std::string>
    ternaryKernel("ternary-kernel", cl::desc(getTernaryKernelOptionHelp()),
                  cl::init("auto"), cl::cat(category));
static cl::opt<std::string>
    ternaryPacking("ternary-packing",
                   cl::desc("Packing of ternary weights: auto (default), i2 "
                            "(2 bits per weight), t5 (5 weights per byte)"),
                   cl::init("auto"), cl::cat(category));
static cl::opt<bool> ternaryQuantize(
    "ternary-quantize",
    cl::desc("Quantise f32 matmul weights that are not ternary BitNet-style "
             "(approximate: a warning states the error)"),
    cl::cat(category));
static cl::opt<std::string> int8Kernels(
    "int8-kernels",
    cl::desc("Kernels of int8 convolutions: "
             "auto (default: the target's SIMD or DSP kernels where it has "
             "them, else generic), generic (scalar loops), vector (the "
             "target's kernels), avx2, avx512 (VNNI), neon, dsp "
             "(Cortex-M4/M7), mve "
             "(Cortex-M55)"),
    cl::init("auto"), cl::cat(category));
static cl::opt<bool> outlineLayers(
    "outline-layers",
    cl::desc("Give each layer its own function so that LLVM compiles in time "
             "linear in the layers (default on; --outline-layers=false keeps "
             "one function, as before)"),
    cl::init(true), cl::cat(category));
static cl::opt<std::string> attentionTiles(
    "attention-tiles",
    cl::desc("Flash lowering tiles as ROWSxCOLS:BLOCK (a register tile of "
             "ROWS rows by COLS f32 lanes, blocks of BLOCK queries and keys; "
             "default: the target's)"),
    cl::init(""), cl::cat(category));
static cl::opt<bool>
    quiet("quiet", cl::desc("Do not print the report table nor remarks"),
          cl::cat(category));
static cl::opt<bool> listTargets("list-targets",
                                 cl::desc("Print the target table and exit"),
                                 cl::cat(category));
static cl::opt<bool>
    verbose("v", cl::desc("Print each stage as it finishes, with its time"),
            cl::cat(category));

/// Errors reported so far, by `fail` or as diagnostics: the driver never
/// exits non-zero without saying why.
static unsigned numErrors = 0;
/// Longer source lines are not quoted under a diagnostic.
static constexpr size_t kMaxSourceLineToShow = 1000;

static int fail(const llvm::Twine &message) {
  ++numErrors;
  llvm::WithColor::error(llvm::errs(), "sieve-compile") << message << "\n";
  return 1;
}

/// Regions, attributes and types nest no deeper than this in any real model.
/// The parser, the verifier and the passes recurse once per level, so a
/// deeper input would overflow even the large stack the compilation runs on.
constexpr unsigned kMaxNestingDepth = 1000;

/// Where `text` nests brackets deeper than kMaxNestingDepth: an error message
/// with line and column, or "". Strings and comments are skipped.
static std::string checkNestingDepth(StringRef text, StringRef path) {
  unsigned depth = 0, line = 1;
  size_t lineStart = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      lineStart = i + 1;
    } else if (c == '"') {
      for (++i; i < e && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
    } else if (c == '/' && i + 1 < e && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == StringRef::npos)
        break;
      --i;
    } else if (c == '{' || c == '(' || c == '[' || c == '<') {
      if (++depth > kMaxNestingDepth)
        return llvm::formatv("{0}:{1}:{2}: the input nests brackets more than "
                             "{3} levels deep; Sieve does not compile it",
                             path, line, i - lineStart + 1, kMaxNestingDepth)
            .str();
    } else if ((c == '}' || c == ')' || c == ']' || c == '>') && depth) {
      --depth;
    }
  }
  return "";
}

static void printTargets(llvm::raw_ostream &os) {
  os << llvm::formatv("{0,-15} {1,-28} {2,-15} {3,-7} {4,-12} {5,-9} {6}\n",
                      "target", "triple", "cpu", "simd", "table", "dot",
                      "runs here via");
  for (const TargetInfo &t : getAllTargets()) {
    std::string run = t.runCommand.empty() ? stringifyRunner(t.runner).str()
                                           : t.runCommand.str();
    if (t.runner == Runner::None)
      run = "compile only";
    os << llvm::formatv("{0,-15} {1,-28} {2,-15} {3,-7} {4,-12} {5,-9} {6}\n",
                        t.name, t.triple, t.cpu, t.vectorBits,
                        stringifyTableLookup(t.tableLookup),
                        stringifyDotProduct(t.dotProduct), run);
  }
}

/// A C identifier from a file name, up to its first dot: "mbv2-w35.o" and
/// "mbv2-w35.llvm.mlir" give "mbv2_w35".
static std::string identifierFromPath(StringRef path) {
  std::string name = llvm::sys::path::filename(path).split('.').first.str();
  for (char &c : name)
    if (!llvm::isAlnum(c))
      c = '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name = "model_" + name;
  return name;
}

static std::string replaceExtension(StringRef path, StringRef extension) {
  llvm::SmallString<256> result(path);
  llvm::sys::path::replace_extension(result, extension);
  return std::string(result.str());
}

static LogicalResult writeFile(StringRef path, StringRef contents) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    fail(error);
    return failure();
  }
  file->os() << contents;
  file->os().flush();
  if (std::error_code ec = file->os().error()) {
    // Cleared, or the stream would abort with "IO failure" when destroyed.
    file->os().clear_error();
    fail("cannot write '" + path + "': " + ec.message());
    return failure();
  }
  file->keep();
  return success();
}

/// Writes `module` with its locations, so that a stage replayed with
/// sieve-opt still points diagnostics and reports at the original model.
static LogicalResult writeModule(ModuleOp module, StringRef path) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, OpPrintingFlags().enableDebugInfo());
  os << "\n";
  return writeFile(path, text);
}

/// After a plan that does not fit: where the budgets the user did not set
/// came from.
static void noteDefaultBudgets(const TargetInfo &target) {
  if (!target.isMicrocontroller)
    return;
  std::string sram = llvm::formatv("{0} KiB of SRAM", target.sramBytes / 1024);
  std::string flash =
      llvm::formatv("{0} KiB of flash", target.flashBytes / 1024);
  if (memoryBudget.empty() && flashBudget.empty())
    llvm::errs() << "note: the budgets default to the " << sram << " and "
                 << flash << " of the " << target.name
                 << " reference board; set them with --memory-budget and "
                    "--flash-budget\n";
  else if (memoryBudget.empty() || flashBudget.empty())
    llvm::errs() << "note: the " << (memoryBudget.empty() ? "memory" : "flash")
                 << " budget defaults to the "
                 << (memoryBudget.empty() ? sram : flash) << " of the "
                 << target.name << " reference board; set it with --"
                 << (memoryBudget.empty() ? "memory" : "flash") << "-budget\n";
}

/// Runs `step`. Upstream verifiers let some malformed IR through that later
/// crashes a pass, and a few op parsers crash outright: if `step` crashes,
/// the user gets `message()` as an error and exit status 1 instead of a
/// signal. The process state is unreliable after a crash, so it ends at
/// once (leaving what the crashed step allocated to the system).
static void runRecoveringFromCrash(llvm::function_ref<void()> step,
                                   llvm::function_ref<std::string()> message) {
  llvm::CrashRecoveryContext::Enable();
  llvm::CrashRecoveryContext recovery;
  if (recovery.RunSafely(step))
    return;
  fail(message());
  std::_Exit(1);
}

/// Compiles the model again from the plan-patches stage when what it planned
/// does not place within the budget. The placed arena can exceed the
/// planner's peak (docs/patch.md): by D bytes, the stages are planned again
/// for the budget lowered by D (a few times); when that does not help, or
/// planning fails, with static border patches, they are planned again with
/// dynamic borders, at the budget. Each try starts from the module as it was
/// before plan-patches; its diagnostics are held back until it has placed
/// its memory, and a failed try's are dropped (if none succeeds, those of
/// the last try at the user's budget are reported, unless an earlier one
/// found no plan under a smaller floor: then the smallest floor's).
class PlanRetry {
public:
  PlanRetry(MLIRContext &context, ModuleOp module, size_t stage,
            uint64_t budget, bool staticBorders)
      : saved(module.clone()), stage(stage), budget(budget), planBudget(budget),
        staticBorders(staticBorders) {
    handler = context.getDiagEngine().registerHandler([this](Diagnostic &d) {
      held.push_back(std::move(d));
      return success();
    });
  }
  /// Stage index of plan-patches, where a retry starts.
  size_t firstStage() const { return stage; }
  bool settled() const { return !saved; }
  /// The budget the current try plans for.
  uint64_t plannedFor() const { return planBudget; }
  /// What plan-patches gave the try: whether its plan has stages with
  /// static border patches, and whether a smaller budget could change it
  /// (both unknown, so assumed, until plan-patches has run).
  void planned(bool hasStaticBorders, bool budgetMatters, uint64_t peak) {
    planHasStaticBorders = hasStaticBorders;
    planBudgetMatters = budgetMatters;
    planPeak = peak;
  }

  /// The try placed its memory: what it said reaches the user.
  void settle(MLIRContext &context) {
    stopHolding(context);
    if (verbose && planBudget < budget)
      llvm::errs() << "sieve-compile: planned for " << planBudget
                   << " bytes, the arena fits the budget of " << budget
                   << " bytes\n";
    emit(context, held);
    reported.clear();
    saved = nullptr;
  }

  /// Stage `failedStage` failed with `overshoot` bytes of arena over the
  /// budget (0: not a placement over the budget), or, with `floor`, found
  /// no plan whose peak is under that. Returns the module before
  /// plan-patches for the next try, with `options` set for it, or null when
  /// no try is left; then what the last try at the budget said is reported,
  /// or, when tries found no plan, what the one of the smallest floor said.
  OwningOpRef<ModuleOp> next(MLIRContext &context, StringRef failedStage,
                             uint64_t overshoot, uint64_t floor,
                             CompileOptions &options) {
    if (planBudget == budget &&
        !(floor && reportedFloor && floor > reportedFloor)) {
      reported = std::move(held);
      reportedFloor = floor;
    }
    held.clear();
    // A failure at plan-memory other than the arena's size (the flash
    // budget, an arena the target cannot address) does not depend on the
    // plan: planning again cannot help.
    bool placement = failedStage == "plan-memory";
    if (placement && !overshoot)
      return giveUp(context);
    if (overshoot && planBudgetMatters && tries < kMaxTries &&
        overshoot < planBudget) {
      ++tries;
      planBudget -= overshoot;
      // A budget still at or above the plan's peak would give the same plan
      // again: lowered from the peak instead.
      if (planPeak && planPeak <= planBudget && overshoot < planPeak)
        planBudget = planPeak - overshoot;
      if (verbose)
        llvm::errs() << "sieve-compile: the arena is " << overshoot
                     << " bytes over the budget of " << budget
                     << " bytes; planning again for " << planBudget
                     << " bytes (try " << tries + 1 << ")\n";
    } else if (staticBorders && planHasStaticBorders) {
      staticBorders = false;
      planBudget = budget;
      tries = 0;
      if (verbose)
        llvm::errs() << "sieve-compile: static border patches do not fit the "
                        "budget; planning again with dynamic borders\n";
    } else {
      return giveUp(context);
    }
    options.patchStaticBorders = staticBorders;
    options.patchPlanBudget = planBudget < budget ? planBudget : 0;
    planHasStaticBorders = planBudgetMatters = true;
    // The saved module stays for further tries.
    return OwningOpRef<ModuleOp>(saved->clone());
  }

private:
  /// Budget cuts per kind of border patches.
  static constexpr int kMaxTries = 3;

  OwningOpRef<ModuleOp> giveUp(MLIRContext &context) {
    stopHolding(context);
    emit(context, reported);
    saved = nullptr;
    return nullptr;
  }
  static void emit(MLIRContext &context, std::vector<Diagnostic> &diags) {
    for (Diagnostic &d : diags)
      context.getDiagEngine().emit(std::move(d));
    diags.clear();
  }
  void stopHolding(MLIRContext &context) {
    if (handler)
      context.getDiagEngine().eraseHandler(*handler);
    handler.reset();
  }

  OwningOpRef<ModuleOp> saved;
  size_t stage;
  uint64_t budget, planBudget;
  bool staticBorders, planHasStaticBorders = true, planBudgetMatters = true;
  uint64_t planPeak = 0;
  /// The floor of the try whose diagnostics are `reported` (0: it did not
  /// fail for want of a plan).
  uint64_t reportedFloor = 0;
  int tries = 0;
  std::optional<DiagnosticEngine::HandlerID> handler;
  std::vector<Diagnostic> held, reported;
};

/// Bytes by which the arena plan-memory placed exceeds the budget, as the
/// failed pass recorded them on the entry (0 when it failed otherwise).
static uint64_t getArenaOvershoot(ModuleOp module) {
  uint64_t overshoot = 0;
  module.walk([&](func::FuncOp func) {
    if (auto bytes =
            func->getAttrOfType<IntegerAttr>("sieve.arena_over_budget"))
      overshoot = std::max<uint64_t>(overshoot, bytes.getInt());
  });
  return overshoot;
}

/// The smallest peak of any plan, when plan-patches found none within the
/// budget (0 otherwise).
static uint64_t getPlanFloor(ModuleOp module) {
  uint64_t floor = 0;
  module.walk([&](func::FuncOp func) {
    if (auto bytes = func->getAttrOfType<IntegerAttr>("sieve.smallest_peak"))
      floor = std::max<uint64_t>(floor, bytes.getInt());
  });
  return floor;
}

/// Whether planning `module` for less than `budget` can give another plan:
/// its plan has patched stages, or the planner counted the plain network
/// within `budget` (below it, it patches). A network patches cannot shrink
/// keeps its plain plan whatever the budget.
static bool budgetMatters(ModuleOp module, bool patched, uint64_t budget) {
  if (patched)
    return true;
  bool fits = false;
  module.walk([&](func::FuncOp func) {
    if (auto plan =
            func->getAttrOfType<DictionaryAttr>(sieve::attrs::kPatchPlan))
      if (auto peak = plan.getAs<IntegerAttr>("plain_peak"))
        fits |= uint64_t(peak.getInt()) <= budget;
  });
  return fits;
}

/// Prints, with -v, how long each step took.
class StepTimer {
public:
  /// Wall time, then the CPU time of this process (user + system): on a
  /// machine shared with other jobs, the CPU time is the one to compare.
  void done(StringRef step) {
    auto now = std::chrono::steady_clock::now();
    std::chrono::nanoseconds cpu = getCpuTime();
    if (verbose)
      llvm::errs() << llvm::formatv(
          "sieve-compile: {0,-14} {1,8:f3} s  cpu {2,8:f3} s\n", step,
          std::chrono::duration<double>(now - start).count(),
          std::chrono::duration<double>(cpu - startCpu).count());
    start = now;
    startCpu = cpu;
  }

private:
  static std::chrono::nanoseconds getCpuTime() {
    llvm::sys::TimePoint<> elapsed;
    std::chrono::nanoseconds user, system;
    llvm::sys::Process::GetTimeUsage(elapsed, user, system);
    return user + system;
  }

  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
  std::chrono::nanoseconds startCpu = getCpuTime();
};

static int compile() {
  if (listTargets) {
    printTargets(llvm::outs());
    return 0;
  }
  for (const std::string &error :
       {checkTargetName(targetName), checkBudget(memoryBudget, "memory"),
        checkBudget(flashBudget, "flash")})
    if (!error.empty())
      return fail(error);
  const TargetInfo *target = lookupTarget(targetName);
  if (threads->getNumOccurrences())
    if (std::string error = checkThreads(*threads, *target); !error.empty())
      return fail(error);
  if (inputFile.empty())
    return fail("no input file; usage: sieve-compile model.mlir "
                "--target=<name> -o out.o");
  if (outputFile.empty())
    outputFile = replaceExtension(llvm::sys::path::filename(inputFile),
                                  emitKind == EmitKind::Obj    ? "o"
                                  : emitKind == EmitKind::Asm  ? "s"
                                  : emitKind == EmitKind::LLVM ? "ll"
                                                               : "llvm.mlir");
  bool toStdout = outputFile == "-";
  if (modelName.empty())
    modelName = identifierFromPath(toStdout ? StringRef(inputFile)
                                            : StringRef(outputFile));
  if (std::string error = checkModelName(modelName); !error.empty())
    return fail(error + "; choose one with --name");
  if (emitKind == EmitKind::Obj && !toStdout) {
    if (headerFile.empty())
      headerFile = replaceExtension(outputFile, "h");
    if (reportFile.empty())
      reportFile = replaceExtension(outputFile, "json");
  }

  CompileOptions options;
  options.target = targetName;
  options.entry = entryName;
  options.modelName = modelName;
  options.memoryBudget = memoryBudget;
  options.flashBudget = flashBudget;
  options.placement = placement;
  options.asserts = asserts;
  options.attention = attention;
  if (attentionVariant != "plain" && attentionVariant != "local" &&
      attentionVariant != "restart")
    return fail("unknown --attention-variant '" + attentionVariant +
                "'; expected plain, local or restart");
  options.attentionVariant = attentionVariant;
  options.attentionWindow = attentionWindow;
  options.attentionFuseConv = attentionFuseConv;
  if (!(tau > 0.0 && tau <= 1.0)) {
    char value[32];
    snprintf(value, sizeof(value), "%g", double(tau));
    return fail(llvm::Twine("--tau must be in (0, 1], got ") + value);
  }
  if (attentionProbe < 1)
    return fail("--attention-probe must be >= 1, got " +
                std::to_string(attentionProbe));
  if (attentionSinks < 0 || attentionRecent < 0 || attentionStride < 0)
    return fail("--attention-sinks, --attention-recent and --attention-stride "
                "must be >= 0");
  options.tau = tau;
  options.attentionProbe = attentionProbe;
  options.attentionStride = attentionStride;
  options.attentionSinks = attentionSinks;
  options.attentionRecent = attentionRecent;
  if (kvCache < 0)
    return fail("--kv-cache must be >= 0, got " + std::to_string(kvCache));
  if (kvCache > 0 && attention != AttentionMode::TokenSparse)
    return fail("--kv-cache needs --attention=token-sparse");
  options.kvCache = kvCache;
  options.patch = patchMode;
  options.patchStrategies = patchStrategies;
  options.patchStaticBorders = patchStaticBorders;
  options.threads = threads->getNumOccurrences() ? int(*threads) : 0;
  options.ternary = ternary;
  options.ternaryKernel = ternaryKernel;
  options.int8Kernels = int8Kernels;
  options.ternaryPacking = ternaryPacking;
  options.ternaryQuantize = ternaryQuantize;
  options.outlineLayers = outlineLayers;
  if (!attentionTiles.empty() && !parseAttentionTiles(attentionTiles))
    return fail("--attention-tiles '" + attentionTiles +
                "': expected ROWSxCOLS:BLOCK with BLOCK a multiple of ROWS "
                "and COLS, e.g. 4x16:128");
  options.attentionTiles = attentionTiles;

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics point at the model's source; the generic form of the op
  // they would add is noise for a model author.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  // A TFLite flatbuffer is recognised by its file identifier, whatever its
  // name, and imported as TOSA; anything else is parsed as MLIR.
  bool isTFLite = isTFLiteFlatbuffer(input->getBuffer());
  // Diagnostics then point into the model by operator and tensor name.
  std::optional<TFLiteDiagnosticHandler> tfliteDiagnostics;
  if (isTFLite)
    tfliteDiagnostics.emplace(&context);
  // Counts the errors that reach the user, then lets the source manager's
  // handler print them; without the source line when that line is very long
  // (a weight constant written inline runs to megabytes).
  context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++numErrors;
    // Remarks (a convolution keeping the generic loops, ...) are advice:
    // --quiet drops them with the report table.
    if (quiet && diag.getSeverity() == DiagnosticSeverity::Remark)
      return success();
    auto onLongLine = [&](Location loc) {
      auto fileLoc = loc->findInstanceOf<FileLineColLoc>();
      if (!fileLoc || sourceMgr.getNumBuffers() == 0)
        return false;
      unsigned id = sourceMgr.getMainFileID();
      llvm::StringRef text = sourceMgr.getMemoryBuffer(id)->getBuffer();
      llvm::SMLoc start =
          sourceMgr.FindLocForLineAndColumn(id, fileLoc.getLine(), 1);
      if (!start.isValid())
        return false;
      llvm::StringRef line = text.substr(start.getPointer() - text.data());
      return line.find('\n') > kMaxSourceLineToShow;
    };
    bool longLine = onLongLine(diag.getLocation());
    for (Diagnostic &note : diag.getNotes())
      longLine |= onLongLine(note.getLocation());
    if (!longLine)
      return failure();
    diagnostics.emitDiagnostic(diag.getLocation(), diag.str(),
                               diag.getSeverity(), /*displaySourceLine=*/false);
    for (Diagnostic &note : diag.getNotes())
      diagnostics.emitDiagnostic(note.getLocation(), note.str(),
                                 note.getSeverity(),
                                 /*displaySourceLine=*/false);
    return success();
  });

  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope rootTiming = timing.getRootScope();
  StepTimer steps;

  if (!isTFLite) {
    if (std::string deep = checkNestingDepth(input->getBuffer(), inputFile);
        !deep.empty())
      return fail(deep);
  }
  TimingScope parseTiming = rootTiming.nest(isTFLite ? "import" : "parse");
  OwningOpRef<ModuleOp> module;
  if (isTFLite) {
    module = importTFLite(*input, &context);
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    // A few of MLIR 22's op parsers crash on malformed input (a
    // linalg.batch_matmul of index elements, an out-of-range permutation);
    // the user gets a diagnostic instead of a signal.
    runRecoveringFromCrash(
        [&] { module = parseSourceFile<ModuleOp>(sourceMgr, &context); },
        [&] {
          return "MLIR's parser crashed on '" + inputFile + "'" +
                 (numErrors ? " after the errors above" : "") +
                 " (a bug of MLIR 22 that this input triggers)";
        });
  }
  parseTiming.stop();
  if (!module) {
    // Some op parsers fail without a message; say at least which file.
    if (!numErrors)
      return fail("could not parse '" + inputFile +
                  "' as MLIR (the parser gave no reason)");
    return 1;
  }
  steps.done(isTFLite ? "import" : "parse");

  if (!saveStages.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(saveStages))
      return fail("cannot create '" + saveStages + "': " + ec.message());
    if (failed(writeModule(*module, saveStages + "/00-input.mlir")))
      return 1;
  }

  std::optional<ModelInterface> model;
  uint64_t plainMacs = 0, macs = 0;
  std::vector<AttentionInfo> attentionOps;
  std::optional<PatchInfo> patchPlan;
  // The arena placed for a patched plan can exceed the planner's peak;
  // then the stages are planned again (PlanRetry).
  std::optional<PlanRetry> retry;
  uint64_t memoryBudgetBytes = getMemoryBudget(options, *target);
  ArrayRef<CompileStage> stages = getCompileStages();
  for (size_t i = 0; i < stages.size(); ++i) {
    const CompileStage &stage = stages[i];
    if (stage.name == "plan-patches" && options.patch != PatchMode::Off &&
        memoryBudgetBytes && !retry)
      retry.emplace(context, *module, i, memoryBudgetBytes,
                    options.patchStaticBorders);
    PassManager pm(&context);
    TimingScope stageTiming = rootTiming.nest(StringRef(stage.name));
    pm.enableTiming(stageTiming);
    if (failed(applyPassManagerCLOptions(pm)) ||
        failed(addStage(pm, stage, options)))
      return 1;
    LogicalResult result = failure();
    // The fuzzer counts "internal compiler error" as a finding.
    StringRef stageName = stage.name;
    runRecoveringFromCrash(
        [&] { result = pm.run(*module); },
        [&] {
          return ("internal compiler error: stage '" + stageName +
                  "' crashed on this model; please report it (sieve-opt "
                  "replays the stage on the IR that --save-stages writes, "
                  "with a stack trace)")
              .str();
        });
    if (failed(result) && retry && !retry->settled()) {
      module = retry->next(
          context, stage.name,
          stage.name == "plan-memory" ? getArenaOvershoot(*module) : 0,
          stage.name == "plan-patches" ? getPlanFloor(*module) : 0, options);
      if (!module) {
        if (stage.name == "plan-memory")
          noteDefaultBudgets(*target);
        return 1;
      }
      i = retry->firstStage() - 1;
      continue;
    }
    if (failed(result)) {
      if (stage.name == "plan-memory")
        noteDefaultBudgets(*target);
      return 1;
    }
    if (retry && !retry->settled() && stage.name == "plan-memory")
      retry->settle(context);
    steps.done(stage.name);
    if (!saveStages.empty() &&
        failed(writeModule(*module, llvm::formatv("{0}/{1:d2}-{2}.mlir",
                                                  saveStages, i + 1, stage.name)
                                        .str())))
      return 1;
    // Work is counted on linalg before tiling; the interface is complete
    // once the entry point has its C signature.
    if (stage.name == "lower-tosa")
      macs = plainMacs = countMacs(*module);
    // Before a later stage lowers them.
    if (stage.name == "raise-attention")
      attentionOps = collectAttention(*module, attentionFuseConv);
    // MACs executed: the plain count plus what the patches recompute.
    if (stage.name == "plan-patches") {
      uint64_t extraMacs = 0;
      patchPlan = collectPatchPlan(*module, extraMacs);
      macs = plainMacs + extraMacs;
      if (patchPlan)
        patchPlan->planBudget = retry ? retry->plannedFor() : memoryBudgetBytes;
      if (retry && !retry->settled())
        retry->planned(
            patchPlan && llvm::any_of(patchPlan->stages,
                                      [](const PatchStageInfo &s) {
                                        return s.staticBorders;
                                      }),
            budgetMatters(*module, patchPlan.has_value(), retry->plannedFor()),
            patchPlan ? patchPlan->peak : 0);
    }
    if (stage.name == "plan-memory") {
      FailureOr<ModelInterface> extracted =
          extractModelInterface(*module, modelName);
      if (failed(extracted))
        return 1;
      model = std::move(*extracted);
      model->macs = macs;
      model->attention = std::move(attentionOps);
      model->patch = std::move(patchPlan);
    }
  }
  assert(model && "the pipeline has a plan-memory stage");

  ReportContext report;
  report.source = inputFile;
  if (emitKind == EmitKind::MLIR) {
    if (failed(writeModule(*module, outputFile)))
      return 1;
  } else {
    CodeKind kind = emitKind == EmitKind::LLVM  ? CodeKind::LLVMIR
                    : emitKind == EmitKind::Asm ? CodeKind::Assembly
                                                : CodeKind::Object;
    TimingScope codegenTiming = rootTiming.nest("codegen");
    FailureOr<std::string> code = failure();
    runRecoveringFromCrash(
        [&] { code = emitCode(*module, *target, kind); },
        [] {
          return std::string("internal compiler error: LLVM crashed "
                             "generating code for this model; please report "
                             "it (--emit=mlir writes its input)");
        });
    codegenTiming.stop();
    if (failed(code))
      return 1;
    steps.done("codegen");
    if (kind == CodeKind::Object) {
      report.undefinedSymbols = listUndefinedSymbols(*code);
      report.codeBytes = getCodeBytes(*code);
    }
    if (failed(writeFile(outputFile, *code)))
      return 1;
  }

  if (!headerFile.empty()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    emitCHeader(*model, *target, os);
    if (failed(writeFile(headerFile, text)))
      return 1;
  }
  if (!reportFile.empty()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    emitJsonReport(*model, *target, report, os);
    if (failed(writeFile(reportFile, text)))
      return 1;
  }
  if (!memoryMap.empty()) {
    std::string text;
    llvm::raw_string_ostream os(text);
    emitMemoryMapSvg(*model, *target, os);
    if (failed(writeFile(memoryMap, text)))
      return 1;
  }
  if (!quiet)
    printReportTable(*model, *target, report,
                     toStdout ? llvm::errs() : llvm::outs());
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerAllPasses();
  registerSievePassesAndPipelines();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerAsmPrinterCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerThreadsOption();
  cl::ParseCommandLineOptions(
      argc, argv,
      "sieve-compile: compile a TOSA or linalg model, or a TFLite flatbuffer, "
      "to an object file, a C header and a memory report\n");

  installFatalErrorHandler("sieve-compile");
  int status = runWithLargeStack(compile);
  if (status != 0 && numErrors == 0)
    fail("compilation failed without a diagnostic; please report this model");
  return status;
}
