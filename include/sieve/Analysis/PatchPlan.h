//===- PatchPlan.h - Patch-based execution plans and their cost -*- C++ -*-===//
//
// Part of Sieve. A plan cuts a network (see ReceptiveField.h) into stages of
// consecutive layers; a stage runs either whole, layer by layer, or patch by
// patch over a grid of tiles of its last layer's output, each patch computing
// the receptive field of its tile in every layer of the stage. Overlapping
// receptive fields are recomputed (MCUNetV2) or kept in per-layer buffers
// that slide along the patch row (msf-CNN, StreamNet). This file costs such
// plans (peak activation memory under several published rules, MACs) and
// searches the plan with the fewest MACs that fits a budget.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ANALYSIS_PATCHPLAN_H
#define SIEVE_ANALYSIS_PATCHPLAN_H

#include "sieve/Analysis/ReceptiveField.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sieve {

/// How the peak activation memory of a plan is counted. Under every rule
/// weights live in flash and the network's inputs and outputs in caller
/// buffers (not counted).
enum class PeakRule {
  /// Sieve's arena: live buffers, plus the scratch of row-by-row reductions
  /// (one row of accumulators and, for padded inputs, kernel-height padded
  /// rows) and the padded window a patch reads.
  Sieve,
  /// MCUNetV2: per layer, input + output + every other live tensor.
  McuNetV2,
  /// MCUNetV2 with depthwise convolutions running in place.
  McuNetV2InPlace,
  /// msf-CNN (TVM's static workspace): per layer input + output + live
  /// tensors + the per-layer caches; no in-place depthwise, no other scratch.
  MsfCnn,
};

enum class OverlapStrategy {
  /// Every patch computes its whole receptive field (MCUNetV2).
  Recompute,
  /// Every layer of the stage keeps its region of the previous patch in the
  /// patch row and computes only the new columns (rows for row strips).
  Cache,
};

const char *stringifyPeakRule(PeakRule rule);
const char *stringifyOverlapStrategy(OverlapStrategy strategy);
std::optional<PeakRule> parsePeakRule(const std::string &name);

/// One stage: layers `[first, last]` over tiles of `tileRows x tileCols` of
/// the output of its tiled layer (stageTiledLayer; the last tiles of a row or
/// column may be smaller). A single layer with a tile of its whole output runs
/// plainly.
struct StageConfig {
  int first = 0;
  int last = 0;
  int64_t tileRows = 0;
  int64_t tileCols = 0;
  OverlapStrategy strategy = OverlapStrategy::Recompute;
};

struct StageCost {
  StageConfig config;
  int64_t gridRows = 1;
  int64_t gridCols = 1;
  /// Peak bytes while the stage runs, and the layer where it occurs.
  uint64_t peak = 0;
  int peakLayer = 0;
  uint64_t macs = 0;
  /// Bytes the cache strategy keeps across patches.
  uint64_t cacheBytes = 0;
  /// Per layer of the stage (index layer - first): the rows and columns of
  /// its output a patch holds (the largest over the patches), and the halo:
  /// how many of them exceed the layer's share of a grid without overlap.
  std::vector<int64_t> rows, cols, haloRows, haloCols;
  /// Whether layers the int8 kernels take with static shapes keep the
  /// generic loops: a recomputed stage whose patches have dynamic shapes
  /// (tiles that differ, not peeled into static border patches).
  bool genericLoops = false;
  /// Whether the border patches of a recomputed stage with static shapes
  /// write the regions a reduction reads padded into buffers of the padded
  /// shape, read in place (sieve-lower-patch-stages' padInPlace), where
  /// that gives a smaller peak than the padded input rows.
  bool padsInPlace = false;

  bool patched() const {
    return config.first != config.last || gridRows * gridCols > 1;
  }
};

/// Whether `[first, last]` can run as one patched stage; when not, `why`
/// says so and `*culprit` is the layer to blame.
bool isValidStage(const Network &net, int first, int last, std::string *why,
                  int *culprit);

/// The layer whose output the patches of stage `[first, last]` tile: the
/// last one, or the one before when the last reduces its whole input to one
/// pixel (global pooling), which then accumulates over the patches.
int stageTiledLayer(const Network &net, int first, int last);

/// At most this many border patches per axis of a recomputed stage run one
/// by one with static shapes (sieve-lower-patch-stages{static-borders});
/// with more, that axis keeps dynamic shapes.
constexpr size_t kMaxStaticBorderPatches = 8;

/// Whether a recomputed stage `[first, last]` is worth static border
/// patches (with `PlanOptions::staticBorders`): when one of its layers runs
/// as an int8 kernel with its requantisation fused (`NetLayer::fusedKernel`),
/// which takes static shapes only. sieve-plan-patches marks such stages
/// (`sieve.static_borders`).
bool stageHasStaticBorders(const Network &net, int first, int last);
/// The windows of a cached stage along one axis (`axis` 0 rows, 1
/// columns), whose patches compute only the part of each layer's region
/// `fields[i][k]` (patch `i`, layer `first + k`, regions moving forward) not
/// computed before. Per layer, the fewest indices a window must hold: from
/// the first index that the new parts of the patch read of the layer (its
/// consumers' reads, its own new part) to the last index computed so far.
/// The regions themselves are larger: they also hold what the consumers
/// read in earlier patches and no longer need (msf-CNN's column caches hold
/// only kernel - stride columns per layer).
/// With `extents` (per layer, as `borderExtents` gives them), the reads
/// are clamped to those instead of the tensors: windows that hold their
/// border.
std::vector<int64_t>
cachedWindowSizes(const Network &net, int first, int axis,
                  const std::vector<std::vector<Interval>> &fields,
                  const std::vector<Interval> *extents = nullptr);

/// Per layer of a cached stage along one axis (`axis` 0 rows, 1 columns),
/// from `first`, with `fields` as for cachedWindowSizes: whether its window
/// keeps nothing for a later patch, every patch's consumers in the stage
/// reading of it (within the tensor) only the part that patch computed.
/// sieve-lower-patch-stages gives each patch such a window of its own, alive
/// from its layer to its last reader in the patch; the planner counts it so.
std::vector<bool>
cachedWindowsPerPatch(const Network &net, int first, int axis,
                      const std::vector<std::vector<Interval>> &fields);

/// A cached 2-D stage's windows hold their padding: per layer from `first`
/// to `last`, the indices along `axis` (0 rows, 1 columns) of its tensor
/// widened by how far the padded reads of its consumers in the stage reach
/// outside it (the tensor itself for a layer no consumer pads, and for the
/// last). The window keeps the padding value there, so that a padded
/// consumer reads it in place instead of through a padded copy.
std::vector<Interval> borderExtents(const Network &net, int first, int last,
                                    int axis);

/// `fields` (per patch, per layer from `first`: the regions the patches
/// compute) with each layer's region widened to what its consumers'
/// regions in the stage read of it, padding included, within `extents`:
/// the regions of windows that hold their border.
std::vector<std::vector<Interval>>
borderFields(const Network &net, int first, int axis,
             const std::vector<std::vector<Interval>> &fields,
             const std::vector<Interval> &extents);

/// The regions (per layer from `first`) of the patches a cached stage runs
/// before its first one along `axis`, for tiles of `tile` (the patches at
/// -1, -2, ... tiles, clipped to the tensors), first one first, the last
/// layer's empty: they compute the first patch's columns a few at a time
/// (msf-CNN's and StreamNet's warm-up), so that no window must hold the
/// first patch's whole region.
std::vector<std::vector<Interval>>
warmUpFields(const Network &net, int first, int last, int axis, int64_t tile);

/// Cost of one stage. The stage must be valid. Under Sieve's rule every
/// buffer counted takes a multiple of `alignment` bytes, as in the arena.
/// `staticBorders`: as PlanOptions::staticBorders.
StageCost evaluateStage(const Network &net, const StageConfig &config,
                        PeakRule rule, uint64_t alignment = 1,
                        bool staticBorders = false);

/// A whole plan: consecutive stages covering every layer.
struct NetworkPlan {
  std::vector<StageCost> stages;
  uint64_t peak = 0;
  uint64_t macs = 0;
  /// Index into `stages` of the stage at the peak.
  int peakStage = 0;

  bool patched() const;
  int peakLayer() const { return stages[peakStage].peakLayer; }
};

/// The plan that runs every layer plainly.
NetworkPlan plainPlan(const Network &net, PeakRule rule,
                      uint64_t alignment = 1);

struct PlanOptions {
  PeakRule rule = PeakRule::Sieve;
  /// Byte alignment of the arena's buffers (Sieve's rule only).
  uint64_t alignment = 1;
  /// Longest patched stage searched, in layers.
  int maxStageLayers = 24;
  bool allowRecompute = true;
  bool allowCache = true;
  /// Recomputed stages for which stageHasStaticBorders holds are lowered
  /// with static border patches (sieve-lower-patch-stages: every patch of
  /// static shapes, so the int8 kernels take them): costed patch by patch.
  bool staticBorders = false;
  /// The cache strategy on grids of several columns as well (cached
  /// columns, recomputed rows); under Sieve's rule `allowCache` alone
  /// covers row strips only (what was lowered before).
  bool allowCacheGrid = false;
  /// Forced stages (`[first, last]` pairs); empty: searched.
  std::vector<std::pair<int, int>> split;
  /// Forced grid (patches per column and per row); 0: searched.
  int64_t gridRows = 0;
  int64_t gridCols = 0;
};

struct PlanSearch {
  /// The plan with the fewest MACs whose peak fits the budget, if any; of
  /// those, the fewest patches among the plans that fit the smallest peak
  /// of one of them. With `allowCacheGrid` (Sieve's rule), the plan chosen
  /// so among those without cache-grid stages when it has at most 10% more
  /// MACs (cached columns run more instructions per MAC).
  std::optional<NetworkPlan> best;
  /// The plan with the smallest peak (fewest MACs among those).
  NetworkPlan smallest;
  /// (peak, MACs) of the plans that no other plan visited dominates, by
  /// decreasing peak.
  std::vector<std::pair<uint64_t, uint64_t>> pareto;
  /// Stages costed.
  uint64_t stagesCosted = 0;
};

/// Searches stages (one or several; the patched ones up to
/// `maxStageLayers` long) and, for each, tiles (square, non-square, row and
/// column strips, down to single pixels) and overlap strategies. A budget of
/// 0 means no limit. `options.split` and the grid restrict the search.
PlanSearch searchPlans(const Network &net, uint64_t budget,
                       const PlanOptions &options);

} // namespace sieve

#endif // SIEVE_ANALYSIS_PATCHPLAN_H
