//===- PlanPatches.cpp - Patch-based stages chosen for a budget -----------===//
//
// Part of Sieve. The early layers of a CNN hold most of its activations; run
// patch by patch, they need a fraction of the memory for a few more MACs.
// This pass reads the network's layers from linalg, searches the plan with
// the fewest MACs that fits the budget (PatchPlan.h), and writes it as
// patch.stage ops and a sieve.patch_plan attribute.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/PatchPlan.h"
#include "sieve/Analysis/PatchPlanGraph.h"
#include "sieve/Dialect/Patch/IR/PatchOps.h"
#include "sieve/Transforms/EntryFunction.h"
#include "sieve/Transforms/Int8Kernels.h"
#include "sieve/Transforms/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace sieve {
#define GEN_PASS_DEF_PLANPATCHES
#include "sieve/Transforms/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Parses "a-b,c-d" (single numbers are one-layer stages).
std::optional<std::vector<std::pair<int, int>>> parseSplit(StringRef text) {
  std::vector<std::pair<int, int>> ranges;
  SmallVector<StringRef> parts;
  text.split(parts, ',', -1, false);
  for (StringRef part : parts) {
    auto [a, b] = part.trim().split('-');
    int first, last;
    if (a.getAsInteger(10, first))
      return std::nullopt;
    if (b.empty())
      last = first;
    else if (b.getAsInteger(10, last))
      return std::nullopt;
    ranges.push_back({first, last});
  }
  return ranges;
}

struct PlanPatchesPass final : sieve::impl::PlanPatchesBase<PlanPatchesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (mode == "off")
      return;
    if (mode != "auto" && mode != "on") {
      module.emitError("unknown patch mode '")
          << mode << "'; use auto, on or off";
      return signalPassFailure();
    }
    std::optional<PeakRule> peakRule = parsePeakRule(rule);
    if (!peakRule) {
      module.emitError("unknown peak rule '")
          << rule << "'; use sieve, mcunetv2, mcunetv2-inplace or msf-cnn";
      return signalPassFailure();
    }
    for (func::FuncOp func : getCompiledFunctions(module))
      if (failed(plan(func, *peakRule)))
        return signalPassFailure();
  }

  /// The layers sieve-vectorize-int8 will give a kernel with the
  /// requantisation fused (the arena then holds no row of their
  /// accumulators): the decision that pass takes, asked of the tensors it
  /// will see.
  void markFusedKernels(NetworkOps &graph) {
    for (auto [layer, anchor] : llvm::zip(graph.net.layers, graph.anchor))
      if (auto op = dyn_cast_or_null<linalg::LinalgOp>(anchor))
        layer.fusedKernel = int8KernelFusesRequant(op, int8Isa, int8Kernels);
  }

  LogicalResult parseOptions(func::FuncOp func, const NetworkOps &graph,
                             PlanOptions &options) {
    options.maxStageLayers = maxStageLayers;
    options.alignment = std::max<uint64_t>(1, alignment);
    options.staticBorders = staticBorders;
    options.allowRecompute = options.allowCache = false;
    SmallVector<StringRef> names;
    StringRef(strategies).split(names, ',', -1, /*KeepEmpty=*/false);
    bool unknown = names.empty();
    for (StringRef name : names) {
      name = name.trim();
      if (name == "recompute")
        options.allowRecompute = true;
      else if (name == "cache")
        options.allowCache = true;
      else if (name == "cache-grid")
        options.allowCacheGrid = true;
      else
        unknown = true;
    }
    if (unknown)
      return func.emitError("unknown overlap strategies '")
             << strategies
             << "'; use recompute, cache or both (and cache-grid: cached "
                "columns on grids of several columns)";
    int numLayers = graph.net.layers.size();
    if (!split.empty()) {
      auto ranges = parseSplit(split);
      if (!ranges)
        return func.emitError("invalid split '")
               << split << "'; write layer ranges such as 0-9 or 0-5,7-9";
      int previous = -1;
      for (auto [first, last] : *ranges) {
        if (first < 0 || last >= numLayers || first > last || first <= previous)
          return func.emitError("invalid split '")
                 << split << "': the network has layers 0 to " << numLayers - 1
                 << ", and ranges must be ordered and disjoint";
        std::string why;
        int culprit = first;
        if (!isValidStage(graph.net, first, last, &why, &culprit))
          return graph.anchor[culprit]->emitError("cannot run layers ")
                 << first << " to " << last << " as one patch stage: " << why;
        previous = last;
      }
      options.split = *ranges;
    }
    if (!grid.empty()) {
      auto [rows, cols] = StringRef(grid).split('x');
      if (split.empty())
        return func.emitError("a forced grid needs a forced split");
      if (rows.getAsInteger(10, options.gridRows) ||
          cols.getAsInteger(10, options.gridCols) || options.gridRows <= 0 ||
          options.gridCols <= 0)
        return func.emitError("invalid grid '")
               << grid << "'; write rows x columns, such as 4x4";
      for (auto [first, last] : options.split) {
        const NetTensor &out =
            graph.net
                .tensors[graph.net
                             .layers[stageTiledLayer(graph.net, first, last)]
                             .output];
        if (options.gridRows > out.height || options.gridCols > out.width)
          return graph.anchor[last]->emitError("a grid of ")
                 << grid << " patches does not fit the " << out.height << "x"
                 << out.width << " output of the stage ending here";
        // Equal tiles of ceil(size / grid) must give that many patches.
        auto patches = [](int64_t size, int64_t grid) {
          int64_t tile = (size + grid - 1) / grid;
          return (size + tile - 1) / tile;
        };
        if (patches(out.height, options.gridRows) != options.gridRows ||
            patches(out.width, options.gridCols) != options.gridCols)
          return graph.anchor[last]->emitError("a grid of ")
                 << grid << " patches cannot cover the " << out.height << "x"
                 << out.width
                 << " output of the stage ending here with equal tiles (the "
                    "tiles of "
                 << (out.height + options.gridRows - 1) / options.gridRows
                 << "x" << (out.width + options.gridCols - 1) / options.gridCols
                 << " give " << patches(out.height, options.gridRows) << "x"
                 << patches(out.width, options.gridCols) << " patches)";
      }
    }
    return success();
  }

  LogicalResult plan(func::FuncOp func, PeakRule peakRule) {
    NetworkOps graph = buildNetwork(func);
    if (graph.net.layers.empty())
      return success();
    markFusedKernels(graph);
    PlanOptions options;
    options.rule = peakRule;
    if (failed(parseOptions(func, graph, options)))
      return failure();

    NetworkPlan plain = plainPlan(graph.net, peakRule, options.alignment);
    bool forced = !options.split.empty();
    uint64_t budget = memoryBudget;
    if (mode == "auto" && !forced && (!budget || plain.peak <= budget)) {
      // Nothing to do: no search (sieve-compile runs this on every model).
      PlanSearch none;
      none.smallest = plain;
      none.pareto.push_back({plain.peak, plain.macs});
      recordPlan(func, graph, plain, plain, none, peakRule);
      return success();
    }
    PlanSearch search = searchPlans(graph.net, budget, options);
    if (!search.best) {
      const NetworkPlan &smallest = search.smallest;
      // A model patches cannot shrink stays as it is: the arena planner
      // says by how much it misses the budget.
      if (mode == "auto" && !forced && smallest.peak >= plain.peak) {
        recordPlan(func, graph, plain, plain, search, peakRule);
        return success();
      }
      if (smallest.stages.empty())
        return func.emitError("no patch plan covers the network");
      // For sieve-compile, which reports the smallest of the floors its
      // searches reach (PlanRetry).
      func->setAttr("sieve.smallest_peak",
                    IntegerAttr::get(IntegerType::get(func.getContext(), 64),
                                     smallest.peak));
      Operation *at = graph.anchor[smallest.peakLayer()];
      return at->emitError("no plan fits the memory budget of ")
             << budget << " bytes: the smallest peak any "
             << (forced ? "plan with the forced split" : "plan")
             << " reaches is " << smallest.peak << " bytes ("
             << stringifyPeakRule(peakRule)
             << " rule), and this op is at its peak";
    }
    NetworkPlan chosen = *search.best;

    recordPlan(func, graph, plain, chosen, search, peakRule);
    if (materialize)
      for (const StageCost &stage : llvm::reverse(chosen.stages))
        if (stage.patched())
          wrapStage(func, graph, stage);
    return success();
  }

  void recordPlan(func::FuncOp func, const NetworkOps &graph,
                  const NetworkPlan &plain, const NetworkPlan &chosen,
                  const PlanSearch &search, PeakRule peakRule) {
    MLIRContext *ctx = func.getContext();
    Builder b(ctx);
    auto i64 = [&](uint64_t v) { return b.getI64IntegerAttr(v); };
    double overhead = plain.macs ? double(chosen.macs) / plain.macs : 1.0;
    SmallVector<Attribute> stages;
    llvm::json::Array jsonStages;
    for (const StageCost &stage : chosen.stages) {
      if (!stage.patched())
        continue;
      SmallVector<int64_t> halo;
      for (size_t k = 0; k < stage.haloRows.size(); ++k) {
        halo.push_back(stage.haloRows[k]);
        halo.push_back(stage.haloCols[k]);
      }
      std::string first = describeOp(graph.anchor[stage.config.first]);
      std::string last = describeOp(graph.anchor[stage.config.last]);
      const char *strategy = stringifyOverlapStrategy(stage.config.strategy);
      // Cached strips have static shapes anyway; the option is about the
      // border patches of recomputed stages.
      bool staticShapes = staticBorders &&
                          stage.config.strategy == OverlapStrategy::Recompute &&
                          stageHasStaticBorders(graph.net, stage.config.first,
                                                stage.config.last);
      stages.push_back(b.getDictionaryAttr({
          b.getNamedAttr("first", b.getStringAttr(first)),
          b.getNamedAttr("last", b.getStringAttr(last)),
          b.getNamedAttr("layers", b.getDenseI64ArrayAttr({stage.config.first,
                                                           stage.config.last})),
          b.getNamedAttr(
              "grid", b.getDenseI64ArrayAttr({stage.gridRows, stage.gridCols})),
          b.getNamedAttr("tile",
                         b.getDenseI64ArrayAttr(
                             {stage.config.tileRows, stage.config.tileCols})),
          b.getNamedAttr("halo", b.getDenseI64ArrayAttr(halo)),
          b.getNamedAttr("strategy", b.getStringAttr(strategy)),
          b.getNamedAttr("static_borders", b.getBoolAttr(staticShapes)),
          b.getNamedAttr("peak", i64(stage.peak)),
          b.getNamedAttr("macs", i64(stage.macs)),
      }));
      jsonStages.push_back(llvm::json::Object{
          {"first", first},
          {"last", last},
          {"layers", llvm::json::Array{stage.config.first, stage.config.last}},
          {"grid", llvm::json::Array{stage.gridRows, stage.gridCols}},
          {"tile",
           llvm::json::Array{stage.config.tileRows, stage.config.tileCols}},
          {"halo", llvm::json::Array(halo)},
          {"strategy", strategy},
          {"static_borders", staticShapes},
          {"cache_bytes", int64_t(stage.cacheBytes)},
          {"peak", int64_t(stage.peak)},
          {"macs", int64_t(stage.macs)},
      });
    }
    SmallVector<Attribute> pareto;
    llvm::json::Array jsonPareto;
    for (auto [peak, macs] : search.pareto) {
      pareto.push_back(b.getDenseI64ArrayAttr({int64_t(peak), int64_t(macs)}));
      jsonPareto.push_back(llvm::json::Object{
          {"peak", int64_t(peak)},
          {"macs", int64_t(macs)},
          {"mac_overhead", plain.macs ? double(macs) / plain.macs : 1.0}});
    }
    std::string peakOp = describeOp(graph.anchor[chosen.peakLayer()]);
    llvm::json::Array layerMacs;
    for (const NetLayer &layer : graph.net.layers)
      layerMacs.push_back(int64_t(layer.macs));
    func->setAttr(
        attrs::kPatchPlan,
        b.getDictionaryAttr({
            b.getNamedAttr("rule",
                           b.getStringAttr(stringifyPeakRule(peakRule))),
            b.getNamedAttr("budget", i64(memoryBudget)),
            b.getNamedAttr("plain_peak", i64(plain.peak)),
            b.getNamedAttr("peak", i64(chosen.peak)),
            b.getNamedAttr("peak_op", b.getStringAttr(peakOp)),
            b.getNamedAttr("plain_macs", i64(plain.macs)),
            b.getNamedAttr("macs", i64(chosen.macs)),
            b.getNamedAttr("mac_overhead", b.getF64FloatAttr(overhead)),
            b.getNamedAttr("stages", b.getArrayAttr(stages)),
            b.getNamedAttr("pareto", b.getArrayAttr(pareto)),
        }));
    if (reportFile.empty())
      return;
    llvm::json::Object report{
        {"rule", stringifyPeakRule(peakRule)},
        {"budget", int64_t(memoryBudget)},
        {"layers", int64_t(graph.net.layers.size())},
        {"plain_peak", int64_t(plain.peak)},
        {"peak", int64_t(chosen.peak)},
        {"peak_op", peakOp},
        {"smallest_peak", int64_t(search.smallest.peak)},
        {"smallest_mac_overhead",
         plain.macs ? double(search.smallest.macs) / plain.macs : 1.0},
        {"plain_macs", int64_t(plain.macs)},
        {"macs", int64_t(chosen.macs)},
        {"mac_overhead", overhead},
        {"stages_costed", int64_t(search.stagesCosted)},
        {"layer_macs", std::move(layerMacs)},
        {"stages", std::move(jsonStages)},
        {"pareto", std::move(jsonPareto)},
    };
    std::error_code ec;
    llvm::raw_fd_ostream os(reportFile, ec, llvm::sys::fs::OF_Text);
    if (ec) {
      func.emitError("cannot write the patch plan to '")
          << reportFile << "': " << ec.message();
      return signalPassFailure();
    }
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  }

  /// Moves the ops of `stage`'s layers into a patch.stage op. Activations
  /// from outside become its inputs; the non-constant helpers they use
  /// (accumulator initialisations) are cloned in.
  void wrapStage(func::FuncOp func, const NetworkOps &graph,
                 const StageCost &stage) {
    llvm::SetVector<Operation *> ops;
    llvm::DenseMap<Operation *, int> layerOf;
    for (int l = stage.config.first; l <= stage.config.last; ++l)
      for (Operation *op : graph.ops[l]) {
        ops.insert(op);
        layerOf[op] = l;
      }
    SmallVector<Operation *> ordered(ops.begin(), ops.end());
    llvm::sort(ordered, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    Operation *lastOp = ordered.back();
    Value output = lastOp->getResult(0);

    // Inputs: activations (layer outputs or network inputs) from outside.
    llvm::SetVector<Value> inputs;
    llvm::SetVector<Operation *> helpers;
    std::function<void(Value)> visitOperand = [&](Value value) {
      Operation *def = value.getDefiningOp();
      if (def && ops.contains(def))
        return;
      bool activation = !def;
      for (int l = 0, e = graph.net.layers.size(); !activation && l < e; ++l)
        activation = llvm::is_contained(graph.ops[l], def);
      if (activation) {
        inputs.insert(value);
        return;
      }
      if (def->hasTrait<OpTrait::ConstantLike>() || helpers.contains(def))
        return;
      for (Value operand : def->getOperands())
        visitOperand(operand);
      helpers.insert(def);
    };
    for (Operation *op : ordered)
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          Operation *owner = operand.getParentBlock()->getParentOp();
          if (owner != op && !op->isProperAncestor(owner))
            visitOperand(operand);
        }
      });

    OpBuilder builder(lastOp);
    SmallVector<Value> inputValues(inputs.begin(), inputs.end());
    auto stageOp = patch::StageOp::create(
        builder, lastOp->getLoc(), output.getType(), inputValues,
        {stage.gridRows, stage.gridCols},
        {stage.config.tileRows, stage.config.tileCols}, {},
        stringifyOverlapStrategy(stage.config.strategy));
    Block &body = stageOp.getBody().front();
    IRMapping mapping;
    for (auto [input, arg] : llvm::zip(inputValues, body.getArguments()))
      mapping.map(input, arg);
    OpBuilder inner = OpBuilder::atBlockEnd(&body);
    SmallVector<Operation *> helperOps(helpers.begin(), helpers.end());
    llvm::sort(helperOps, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
    for (Operation *helper : helperOps)
      inner.clone(*helper, mapping);
    llvm::DenseMap<Operation *, int> clonedLayer;
    for (Operation *op : ordered)
      clonedLayer[inner.clone(*op, mapping)] = layerOf[op];
    patch::YieldOp::create(inner, lastOp->getLoc(), mapping.lookup(output));

    SmallVector<int64_t> halo;
    for (Operation *op : stageOp.getLayerOps()) {
      int k = clonedLayer.lookup(op) - stage.config.first;
      halo.push_back(stage.haloRows[k]);
      halo.push_back(stage.haloCols[k]);
    }
    stageOp.setHalo(halo);
    // The planner counted the recomputed border patches with static shapes
    // (and the kernels in them): sieve-lower-patch-stages lowers them so.
    if (staticBorders &&
        stageHasStaticBorders(graph.net, stage.config.first, stage.config.last))
      stageOp->setAttr(kStaticBordersAttrName, builder.getUnitAttr());
    if (stage.padsInPlace)
      stageOp->setAttr(kPadsInPlaceAttrName, builder.getUnitAttr());

    output.replaceAllUsesWith(stageOp.getResult());
    for (Operation *op : llvm::reverse(ordered))
      op->erase();
    for (Operation *helper : llvm::reverse(helperOps))
      if (helper->use_empty())
        helper->erase();
  }
};

} // namespace
