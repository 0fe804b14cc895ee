//===- PatchPlan.cpp - Patch-based execution plans and their cost ---------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/PatchPlan.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <tuple>

using namespace sieve;

const char *sieve::stringifyPeakRule(PeakRule rule) {
  switch (rule) {
  case PeakRule::Sieve:
    return "sieve";
  case PeakRule::McuNetV2:
    return "mcunetv2";
  case PeakRule::McuNetV2InPlace:
    return "mcunetv2-inplace";
  case PeakRule::MsfCnn:
    return "msf-cnn";
  }
  return "?";
}

const char *sieve::stringifyOverlapStrategy(OverlapStrategy strategy) {
  return strategy == OverlapStrategy::Cache ? "cache" : "recompute";
}

std::optional<PeakRule> sieve::parsePeakRule(const std::string &name) {
  for (PeakRule rule : {PeakRule::Sieve, PeakRule::McuNetV2,
                        PeakRule::McuNetV2InPlace, PeakRule::MsfCnn})
    if (name == stringifyPeakRule(rule))
      return rule;
  return std::nullopt;
}

bool NetworkPlan::patched() const {
  return std::any_of(stages.begin(), stages.end(),
                     [](const StageCost &stage) { return stage.patched(); });
}

bool sieve::isValidStage(const Network &net, int first, int last,
                         std::string *why, int *culprit) {
  auto fail = [&](int layer, std::string reason) {
    if (why)
      *why = std::move(reason);
    if (culprit)
      *culprit = layer;
    return false;
  };
  if (first < 0 || last >= int(net.layers.size()) || first > last)
    return fail(std::max(0, std::min(first, int(net.layers.size()) - 1)),
                "the stage's layers are out of range");
  for (int l = first; l <= last; ++l)
    if (!net.layers[l].spatial)
      return fail(l, net.layers[l].opaqueReason.empty()
                         ? "the analysis cannot see how it reads its inputs"
                         : net.layers[l].opaqueReason);
  for (int l = first; l < last; ++l) {
    int out = net.layers[l].output;
    if (net.tensors[out].isOutput)
      return fail(l, "its result is a network output, but only the stage's "
                     "last layer may leave the stage");
    if (net.lastUse(out) > last)
      return fail(l, "its result is also read after the stage, but only the "
                     "stage's last layer may leave the stage");
  }
  return true;
}

int sieve::stageTiledLayer(const Network &net, int first, int last) {
  if (first >= last)
    return last;
  const NetLayer &tail = net.layers[last];
  const NetTensor &out = net.tensors[tail.output];
  if (tail.inputs.size() != 1 || out.height != 1 || out.width != 1)
    return last;
  const LayerInput &input = tail.inputs[0];
  const NetTensor &in = net.tensors[input.tensor];
  if (in.producer != last - 1)
    return last;
  // Its one output pixel reads the whole input, without padding.
  if (input.rows.inputOf({0, 0}) == Interval{0, in.height - 1} &&
      input.cols.inputOf({0, 0}) == Interval{0, in.width - 1})
    return last - 1;
  return last;
}

namespace {

/// A stage's receptive fields along one axis for one tile size.
struct AxisSummary {
  int64_t grid = 1;
  /// Per layer of the stage: largest and smallest region, sum of regions
  /// over the patches, and sum of the parts not shared with the previous
  /// patch.
  std::vector<int64_t> maxSize, minSize, sum, newSum;
  /// Per layer of the stage: the largest part shared with the previous
  /// patch.
  std::vector<int64_t> maxShared;
  /// Per layer of the stage: the largest part not shared with the previous
  /// patch.
  std::vector<int64_t> maxNew;
  /// Per tensor read from outside the stage: largest window.
  std::vector<int64_t> externalMax;
  /// Per tensor read from outside the stage: the largest window of the
  /// parts of the patches not computed before (what a cached patch reads).
  std::vector<int64_t> externalNewMax;
  /// Whether sieve-lower-patch-stages{static-borders} gives every patch
  /// along this axis static shapes (`peelableBorders`), and whether it then
  /// runs the first patch on its own (not as the first iteration of a loop).
  bool staticShapes = false, firstPeeled = false;
  /// Whether every patch along this axis has the same region in every layer
  /// and the same window of every tensor read from outside the stage: tiled
  /// with constant sizes, its shapes are static without peeling.
  bool uniform = false;
  /// With static shapes, the patches whose working sets differ: those run
  /// on their own and one of the loop (`peelableBorders`); per patch, its
  /// region in each layer and its window of each tensor read from outside,
  /// and whether each input of each layer reads padding (layers' inputs in
  /// order).
  std::vector<int64_t> classes;
  std::vector<std::vector<int64_t>> patchSizes, patchExternal;
  std::vector<std::vector<char>> patchPadded;
  /// Set on the summary of one patch: its padding flags, which then replace
  /// the layer's.
  std::vector<char> padded;
  /// Per layer of the stage: the smallest window a cached patch needs
  /// (`cachedWindowSizes`), and the most a slide of such a window keeps.
  std::vector<int64_t> window, windowKept;
  /// Per layer of the stage: the largest part a cached patch computes,
  /// after the warm-up patches.
  std::vector<int64_t> walkedNew;
  /// Per layer of the stage, for a cached 2-D stage whose windows hold
  /// their padding (`borderFields`): the largest region, and the window.
  std::vector<int64_t> borderMax, borderWindow;
  /// Per layer, for a cached 2-D stage: whether its window is a patch's own
  /// (`cachedWindowsPerPatch` on the walked regions with their border).
  std::vector<bool> borderPerPatch;
};

/// What sieve-lower-patch-stages{static-borders} does along one axis: the
/// longest run of patches whose regions have the same sizes in every layer
/// and every window read from outside the stage stays one loop; the patches
/// before and after it run one by one, with shapes of their own, when they
/// are at most kMaxStaticBorderPatches. Then every patch has static shapes.
bool peelableBorders(const std::vector<std::vector<int64_t>> &sizes,
                     bool *firstPeeled, std::vector<int64_t> *classes) {
  size_t runFirst = 0, bestFirst = 0, bestLast = 0;
  for (size_t i = 1; i < sizes.size(); ++i) {
    if (sizes[i] != sizes[i - 1])
      runFirst = i;
    if (i - runFirst > bestLast - bestFirst) {
      bestFirst = runFirst;
      bestLast = i;
    }
  }
  // The run stays a loop, inlined when it has one iteration.
  *firstPeeled = bestFirst > 0 || bestFirst == bestLast;
  for (size_t i = 0; i < sizes.size(); ++i)
    if (i <= bestFirst || i > bestLast)
      classes->push_back(i);
  return sizes.empty() ||
         bestFirst + (sizes.size() - 1 - bestLast) <= kMaxStaticBorderPatches;
}

/// What sieve-lower-patch-stages does with the window of each layer (a
/// window of `windowRows[k]` rows, holding the regions `fields[i][k]` of
/// the patches): each patch computes the rows the window does not hold yet
/// and first slides the window, moving the rows it keeps to its top. Per
/// layer, the most rows a slide keeps. (The lowering also keeps a row from
/// the first patch that needs it to the last one; without dilation that is
/// the regions themselves.)
std::vector<int64_t>
windowSlides(const std::vector<std::vector<Interval>> &fields,
             const std::vector<int64_t> &windowRows) {
  size_t n = windowRows.size();
  std::vector<int64_t> kept(n, 0), done(n, -1), base(n, 0);
  for (const std::vector<Interval> &field : fields)
    for (size_t k = 0; k < n && k < field.size(); ++k) {
      int64_t lo = std::max(field[k].lo, done[k] + 1), hi = field[k].hi;
      if (lo > hi)
        continue;
      int64_t newBase = hi - windowRows[k] + 1;
      int64_t shift = newBase - base[k];
      if (done[k] >= 0 && shift > 0 && shift < windowRows[k])
        kept[k] = std::max(kept[k], windowRows[k] - shift);
      base[k] = newBase;
      done[k] = hi;
    }
  return kept;
}

/// Raises `most[t]` to the size of the window of every tensor `t` read
/// from outside the stage that the parts of `field` (per layer from
/// `first`) after `previous` (the last patch's, empty for the first) read.
void newExternalReads(const Network &net, int first, int axis,
                      const std::vector<Interval> &field,
                      const std::vector<Interval> &previous,
                      std::vector<int64_t> &most) {
  for (size_t k = 0; k < field.size(); ++k) {
    Interval fresh = field[k];
    if (!previous.empty() && !previous[k].empty())
      fresh.lo = std::max(fresh.lo, previous[k].hi + 1);
    if (fresh.empty())
      continue;
    for (const LayerInput &input : net.layers[first + k].inputs)
      if (net.tensors[input.tensor].producer < first) {
        const AxisAccess &access = axis == 0 ? input.rows : input.cols;
        most[input.tensor] =
            std::max(most[input.tensor], access.inputOf(fresh).size());
      }
  }
}

} // namespace

namespace {

/// A walk over a cached stage's patches along one axis: after `advance`
/// with a patch's regions (per layer), `fresh[k]` is the part of layer k's
/// region no earlier patch computed and `done[k]` the last index computed
/// so far (before the first patch, below any index, for windows that hold
/// their border before 0).
struct NewParts {
  explicit NewParts(size_t n)
      : done(n, std::numeric_limits<int64_t>::min() / 4), fresh(n) {}
  void advance(const std::vector<Interval> &field) {
    for (size_t k = 0; k < done.size(); ++k) {
      fresh[k] = {std::max(field[k].lo, done[k] + 1), field[k].hi};
      if (!fresh[k].empty())
        done[k] = fresh[k].hi;
    }
  }
  std::vector<int64_t> done;
  std::vector<Interval> fresh;
};

/// Calls `visit(k, tensor, read)` for every read, by the new part of a
/// layer of the stage from `first`, of layer k's output (k < the reader's
/// index): `read` the indices along `axis` its taps span, unclamped.
template <typename Visit>
void forEachReadInStage(const Network &net, int first, int axis,
                        const std::vector<Interval> &fresh, Visit visit) {
  for (size_t j = 0; j < fresh.size(); ++j) {
    if (fresh[j].empty())
      continue;
    for (const LayerInput &input : net.layers[first + j].inputs) {
      const NetTensor &t = net.tensors[input.tensor];
      int k = t.producer - first;
      if (t.producer < first || k >= int(j))
        continue;
      const AxisAccess &access = axis == 0 ? input.rows : input.cols;
      visit(k, t, access.inputOf(fresh[j]));
    }
  }
}

/// The indices along `axis` of tensor `t`.
Interval tensorExtent(const NetTensor &t, int axis) {
  return {0, (axis == 0 ? t.height : t.width) - 1};
}

} // namespace

std::vector<int64_t>
sieve::cachedWindowSizes(const Network &net, int first, int axis,
                         const std::vector<std::vector<Interval>> &fields,
                         const std::vector<Interval> *extents) {
  size_t n = fields.empty() ? 0 : fields.front().size();
  std::vector<int64_t> window(n, 0);
  NewParts parts(n);
  for (const std::vector<Interval> &field : fields) {
    parts.advance(field);
    // The first index of each layer read in this patch: its own new part
    // and what its consumers' new parts read of it (padding excluded).
    std::vector<int64_t> firstRead(n, std::numeric_limits<int64_t>::max());
    for (size_t k = 0; k < n; ++k)
      if (!parts.fresh[k].empty())
        firstRead[k] = parts.fresh[k].lo;
    forEachReadInStage(net, first, axis, parts.fresh,
                       [&](int k, const NetTensor &t, Interval taps) {
                         // The tiled ops read the hull of the taps, clamped to
                         // the tensor (or to its border, held in the window).
                         Interval read = taps.intersect(
                             extents ? (*extents)[k] : tensorExtent(t, axis));
                         if (!read.empty())
                           firstRead[k] = std::min(firstRead[k], read.lo);
                       });
    for (size_t k = 0; k < n; ++k)
      if (firstRead[k] <= parts.done[k])
        window[k] = std::max(window[k], parts.done[k] - firstRead[k] + 1);
  }
  return window;
}

std::vector<bool>
sieve::cachedWindowsPerPatch(const Network &net, int first, int axis,
                             const std::vector<std::vector<Interval>> &fields) {
  size_t n = fields.empty() ? 0 : fields.front().size();
  std::vector<bool> perPatch(n, true);
  NewParts parts(n);
  for (const std::vector<Interval> &field : fields) {
    parts.advance(field);
    forEachReadInStage(
        net, first, axis, parts.fresh,
        [&](int k, const NetTensor &t, Interval taps) {
          Interval read = taps.intersect(tensorExtent(t, axis));
          const Interval &own = parts.fresh[k];
          if (!read.empty() &&
              (own.empty() || read.lo < own.lo || read.hi > own.hi))
            perPatch[k] = false;
        });
  }
  return perPatch;
}

std::vector<Interval> sieve::borderExtents(const Network &net, int first,
                                           int last, int axis) {
  std::vector<Interval> extents;
  for (int l = first; l <= last; ++l) {
    const NetTensor &t = net.tensors[net.layers[l].output];
    extents.push_back({0, (axis == 0 ? t.height : t.width) - 1});
  }
  for (int j = first; j <= last; ++j) {
    const NetTensor &out = net.tensors[net.layers[j].output];
    for (const LayerInput &input : net.layers[j].inputs) {
      int producer = net.tensors[input.tensor].producer;
      if (producer < first || producer >= last)
        continue;
      const AxisAccess &access = axis == 0 ? input.rows : input.cols;
      Interval &extent = extents[producer - first];
      extent = extent.hull(
          access.inputOf({0, (axis == 0 ? out.height : out.width) - 1}));
    }
  }
  return extents;
}

std::vector<std::vector<Interval>>
sieve::borderFields(const Network &net, int first, int axis,
                    const std::vector<std::vector<Interval>> &fields,
                    const std::vector<Interval> &extents) {
  std::vector<std::vector<Interval>> widened = fields;
  for (size_t i = 0; i < fields.size(); ++i)
    for (size_t j = 0; j < fields[i].size(); ++j) {
      if (fields[i][j].empty())
        continue;
      for (const LayerInput &input : net.layers[first + j].inputs) {
        int k = net.tensors[input.tensor].producer - first;
        if (k < 0 || k >= int(fields[i].size()))
          continue;
        const AxisAccess &access = axis == 0 ? input.rows : input.cols;
        Interval read = access.inputOf(fields[i][j]).intersect(extents[k]);
        widened[i][k] = widened[i][k].hull(read);
      }
    }
  return widened;
}

std::vector<std::vector<Interval>> sieve::warmUpFields(const Network &net,
                                                       int first, int last,
                                                       int axis, int64_t tile) {
  auto sizeOf = [&](const NetTensor &t) {
    return axis == 0 ? t.height : t.width;
  };
  std::vector<std::vector<Interval>> before;
  int n = last - first + 1;
  // Every patch further left reads less; none reads anything once the
  // region is far enough left.
  for (int64_t i = -1; i >= -sizeOf(net.tensors[net.layers[last].output]) - 1;
       --i) {
    // The region of the patch left of the image, back through the layers
    // as if the tensors went on left (receptiveField stops at the
    // borders), then clipped to them.
    std::vector<Interval> field(n);
    field[n - 1] = {i * tile, (i + 1) * tile - 1};
    for (int l = last; l >= first; --l) {
      if (field[l - first].empty())
        continue;
      for (const LayerInput &input : net.layers[l].inputs) {
        int producer = net.tensors[input.tensor].producer;
        if (producer < first || producer > last)
          continue;
        const AxisAccess &access = axis == 0 ? input.rows : input.cols;
        Interval &need = field[producer - first];
        need = need.hull(access.inputOf(field[l - first]));
      }
    }
    field[n - 1] = Interval{};
    bool any = false;
    for (int k = 0; k < n; ++k) {
      field[k] = field[k].intersect(
          {0, sizeOf(net.tensors[net.layers[first + k].output]) - 1});
      any |= !field[k].empty();
    }
    if (!any)
      break;
    before.push_back(std::move(field));
  }
  std::reverse(before.begin(), before.end());
  return before;
}

namespace {

AxisSummary summarize(const Network &net, int first, int last, int axis,
                      int64_t tile, bool staticBorders) {
  int tiled = stageTiledLayer(net, first, last);
  const NetTensor &out = net.tensors[net.layers[tiled].output];
  int64_t size = axis == 0 ? out.height : out.width;
  tile = std::max<int64_t>(1, std::min(tile, size));
  int n = tiled - first + 1;
  AxisSummary summary;
  summary.grid = (size + tile - 1) / tile;
  summary.maxSize.assign(n, 0);
  summary.minSize.assign(n, std::numeric_limits<int64_t>::max());
  summary.sum.assign(n, 0);
  summary.newSum.assign(n, 0);
  summary.maxShared.assign(n, 0);
  summary.maxNew.assign(n, 0);
  summary.externalMax.assign(net.tensors.size(), 0);
  summary.externalNewMax.assign(net.tensors.size(), 0);
  std::vector<std::vector<Interval>> fields;
  std::vector<std::vector<int64_t>> sizes;
  std::vector<Interval> previous;
  for (int64_t i = 0; i < summary.grid; ++i) {
    Interval region{i * tile, std::min(size, (i + 1) * tile) - 1};
    AxisField field = receptiveField(net, first, tiled, axis, region);
    std::vector<int64_t> &shape = sizes.emplace_back();
    for (const Interval &r : field.layer)
      shape.push_back(r.size());
    for (const Interval &r : field.external)
      shape.push_back(r.size());
    if (staticBorders) {
      summary.patchSizes.emplace_back(field.layer.size());
      for (size_t j = 0; j < field.layer.size(); ++j)
        summary.patchSizes.back()[j] = field.layer[j].size();
      std::vector<int64_t> &external = summary.patchExternal.emplace_back();
      for (const Interval &r : field.external)
        external.push_back(r.size());
      external.resize(net.tensors.size(), 0);
      std::vector<char> &padded = summary.patchPadded.emplace_back();
      for (int j = 0; j < n; ++j)
        for (const LayerInput &input : net.layers[first + j].inputs) {
          const NetTensor &in = net.tensors[input.tensor];
          Interval read =
              (axis == 0 ? input.rows : input.cols).inputOf(field.layer[j]);
          int64_t inSize = axis == 0 ? in.height : in.width;
          padded.push_back(read.lo < 0 || read.hi >= inSize);
        }
    }
    for (int j = 0; j < n; ++j) {
      int64_t s = field.layer[j].size();
      summary.maxSize[j] = std::max(summary.maxSize[j], s);
      summary.minSize[j] = std::min(summary.minSize[j], s);
      summary.sum[j] += s;
      int64_t shared =
          previous.empty() ? 0 : previous[j].intersect(field.layer[j]).size();
      summary.newSum[j] += s - shared;
      summary.maxShared[j] = std::max(summary.maxShared[j], shared);
      summary.maxNew[j] = std::max(summary.maxNew[j], s - shared);
    }
    for (size_t t = 0; t < field.external.size(); ++t)
      summary.externalMax[t] =
          std::max(summary.externalMax[t], field.external[t].size());
    newExternalReads(net, first, axis, field.layer, previous,
                     summary.externalNewMax);
    fields.push_back(field.layer);
    previous = std::move(field.layer);
  }
  summary.uniform = std::all_of(
      sizes.begin(), sizes.end(),
      [&](const std::vector<int64_t> &shape) { return shape == sizes[0]; });
  // A stage ending in a global pooling keeps dynamic shapes (its patches
  // accumulate into the pooling).
  summary.staticShapes =
      staticBorders && tiled == last &&
      peelableBorders(sizes, &summary.firstPeeled, &summary.classes);
  // Cached windows after the warm-up patches.
  std::vector<std::vector<Interval>> walked =
      warmUpFields(net, first, tiled, axis, tile);
  walked.insert(walked.end(), fields.begin(), fields.end());
  summary.window = cachedWindowSizes(net, first, axis, walked);
  summary.walkedNew.assign(n, 0);
  {
    std::vector<int64_t> done(n, -1);
    for (const std::vector<Interval> &field : walked)
      for (int j = 0; j < n; ++j) {
        Interval fresh{std::max(field[j].lo, done[j] + 1), field[j].hi};
        summary.walkedNew[j] = std::max(summary.walkedNew[j], fresh.size());
        if (!fresh.empty())
          done[j] = fresh.hi;
      }
  }
  summary.windowKept = windowSlides(walked, summary.window);
  std::vector<Interval> extents = borderExtents(net, first, tiled, axis);
  std::vector<std::vector<Interval>> walkedBorders =
      borderFields(net, first, axis, walked, extents);
  summary.borderWindow =
      cachedWindowSizes(net, first, axis, walkedBorders, &extents);
  summary.borderPerPatch =
      cachedWindowsPerPatch(net, first, axis, walkedBorders);
  summary.borderMax.assign(n, 0);
  for (const std::vector<Interval> &field :
       borderFields(net, first, axis, fields, extents))
    for (int j = 0; j < n; ++j)
      summary.borderMax[j] = std::max(summary.borderMax[j], field[j].size());
  if (tiled != last) {
    // The global reduction that ends the stage: one pixel, computed once,
    // accumulated over the patches.
    for (auto *v : {&summary.maxSize, &summary.minSize, &summary.sum,
                    &summary.newSum, &summary.maxNew})
      v->push_back(1);
    summary.maxShared.push_back(0);
    summary.window.push_back(1);
    summary.borderMax.push_back(1);
    summary.borderWindow.push_back(1);
    summary.borderPerPatch.push_back(false);
    summary.windowKept.push_back(0);
    summary.walkedNew.push_back(1);
  }
  return summary;
}

/// For the cached lowering of row strips (sieve-lower-patch-stages: every
/// layer but the last keeps a window of rows), the layers of the stage whose
/// window keeps nothing across patches: no row is shared with the next
/// patch, and every patch fills the window whole. Each patch then overwrites
/// it, and it lives, like a recomputed patch's region, only from its layer
/// to its last reader in the patch.
std::vector<bool> windowsPerPatch(const AxisSummary &rows, int n) {
  std::vector<bool> own(n, false);
  for (int k = 0; k + 1 < n; ++k)
    own[k] =
        rows.maxShared[k] == 0 && rows.sum[k] == rows.grid * rows.maxSize[k];
  return own;
}

/// Whether output `out` of an access reads outside `[0, size)`: the input
/// is padded.
bool readsPadding(const AxisAccess &access, int64_t outSize, int64_t inSize) {
  Interval read = access.inputOf({0, outSize - 1});
  return read.lo < 0 || read.hi >= inSize;
}

/// The row of accumulators a reduction of `cols` x `channels` outputs keeps
/// in Sieve's arena: the generic loops' int32 row, unless the layer runs as
/// a kernel that keeps them in registers. The kernels take static shapes
/// only (`uniform`): in a patched stage, a layer whose region has one size
/// in every patch, or a stage of cached row strips (line buffers, whose
/// border strips are unrolled).
uint64_t accumulatorRowBytes(const NetLayer &layer, bool patched, bool uniform,
                             int64_t cols, int64_t channels) {
  if (!layer.accumulatorBytes || (layer.fusedKernel && (!patched || uniform)))
    return 0;
  return uint64_t(cols) * channels * layer.accumulatorBytes;
}

/// Under Sieve's rule, the working set of a cached stage over a grid of
/// several columns as sieve-lower-patch-stages lowers it (lowerCachedGrid):
/// every layer but the last keeps a window of its band's rows (the largest)
/// by its patches' columns (the largest), except windows that keep no
/// column for the next patch (`cachedWindowsPerPatch`, as the lowering
/// decides), which live within a patch like a recomputed region; each
/// patch computes the
/// band's rows of the new columns only, so a reduction's scratch (its row of
/// accumulators) and the padded rows it reads of a stage input span the new
/// columns only. The windows hold their padding (`borderFields`: the rows
/// and columns past the tensor that padded consumers read, set to the
/// padding value), so no padded copy of them is made; stage inputs are read
/// in place, and only a padded read of one is copied, row by row for a
/// reduction (sieve-fuse-into-rows). All shapes are static. A stage ending
/// in a global pooling holds the pooling's accumulator (`pooledBytes`)
/// until its last layer, which holds the pooled output (`outputBytes`).
/// Returns the bytes held across patches and the largest working set with
/// its layer.
struct CachedGridSet {
  uint64_t held = 0;
  uint64_t worst = 0;
  int worstLayer = 0;
};

CachedGridSet
cachedGridWorkingSet(const Network &net, int first, int last,
                     const AxisSummary &rowsAxis, const AxisSummary &colsAxis,
                     llvm::function_ref<uint64_t(uint64_t)> buffer,
                     uint64_t pooledBytes, uint64_t outputBytes) {
  std::vector<bool> own = colsAxis.borderPerPatch;
  auto windowBytes = [&](int layer) {
    int k = layer - first;
    return buffer(net.tensors[net.layers[layer].output].bytes(
        rowsAxis.borderMax[k], colsAxis.borderWindow[k]));
  };
  // The worst of every layer's working set. Windows slide in place (their
  // kept columns move left in chunks that do not overlap, slideWindow in
  // LowerPatchStages.cpp), so a slide holds nothing beyond the window.
  CachedGridSet set;
  set.worstLayer = first;
  for (int p = first; p < last; ++p)
    if (!own[p - first])
      set.held += windowBytes(p);
  for (int j = first; j <= last; ++j) {
    const NetLayer &layer = net.layers[j];
    const NetTensor &out = net.tensors[layer.output];
    int k = j - first;
    uint64_t live = set.held + (j == last ? outputBytes : pooledBytes);
    for (int p = first; p < last && p <= j; ++p)
      if (own[p - first] && net.lastUse(net.layers[p].output) >= j)
        live += windowBytes(p);
    for (const LayerInput &input : layer.inputs) {
      const NetTensor &in = net.tensors[input.tensor];
      bool inside = in.producer >= first && in.producer <= last;
      bool padded = readsPadding(input.rows, out.height, in.height) ||
                    readsPadding(input.cols, out.width, in.width);
      if (inside || !padded)
        continue;
      // A stage input: its patches read it in place, through a padded copy
      // where they read padding, which sieve-fuse-into-rows takes into a
      // reduction's rows (the input rows one output row reads, of the new
      // columns).
      if (layer.accumulatorBytes) {
        int64_t inCols = input.cols.inputOf({0, colsAxis.maxNew[k] - 1}).size();
        live +=
            buffer(uint64_t(input.rows.dilation * (input.rows.kernel - 1) + 1) *
                   inCols * in.channels * in.elementBytes);
        continue;
      }
      live += buffer(in.bytes(rowsAxis.externalMax[input.tensor],
                              colsAxis.externalNewMax[input.tensor]));
    }
    live += buffer(accumulatorRowBytes(layer, /*patched=*/true,
                                       /*uniform=*/true, colsAxis.maxNew[k],
                                       out.channels));
    if (live > set.worst) {
      set.worst = live;
      set.worstLayer = j;
    }
  }
  return set;
}

uint64_t scaledMacs(uint64_t macs, int64_t pixels, int64_t rows, int64_t cols) {
  unsigned __int128 scaled = (unsigned __int128)macs * rows * cols;
  return uint64_t(scaled / pixels);
}

/// `lateOutput`: the stage's output is alive from its last layer on only
/// (the first patch runs on its own, before anything is written to it).
/// `padsInPlace`: as StageCost::padsInPlace, for one patch of static shapes.
StageCost evaluate(const Network &net, const StageConfig &config, PeakRule rule,
                   uint64_t alignment, const AxisSummary &rowsAxis,
                   const AxisSummary &colsAxis, bool lateOutput = false,
                   bool padsInPlace = false) {
  int first = config.first, last = config.last, n = last - first + 1;
  StageCost cost;
  cost.config = config;
  cost.gridRows = rowsAxis.grid;
  cost.gridCols = colsAxis.grid;
  bool patched = cost.patched();
  bool cache = patched && config.strategy == OverlapStrategy::Cache;
  // Caches slide along the patch row, or down the column of row strips.
  bool cacheCols = cache && cost.gridCols > 1;
  bool cacheRows = cache && cost.gridCols == 1 && cost.gridRows > 1;

  auto counted = [&](int tensor) {
    const NetTensor &t = net.tensors[tensor];
    return t.producer >= 0 && !t.isOutput;
  };
  // The arena gives every buffer a multiple of its alignment.
  auto buffer = [&](uint64_t bytes) {
    return rule == PeakRule::Sieve ? llvm::alignTo(bytes, alignment) : bytes;
  };

  // A stage ending in a global pooling accumulates the pooling over its
  // patches: in Sieve's arena the accumulator, set before the loops, lives
  // through the stage, and the pooled output only from the last layer on.
  bool pooled = patched && rule == PeakRule::Sieve &&
                stageTiledLayer(net, first, last) != last &&
                net.layers[last].accumulatorBytes;
  uint64_t pooledBytes = 0, outputBytes = 0;
  if (pooled)
    pooledBytes =
        buffer(uint64_t(net.tensors[net.layers[last].output].channels) *
               net.layers[last].accumulatorBytes);

  // Full tensors alive during the whole stage: those produced before it and
  // still needed, and the stage's output.
  uint64_t external = 0;
  for (size_t t = 0; t < net.tensors.size(); ++t) {
    if (!counted(t))
      continue;
    int producer = net.tensors[t].producer;
    if (producer == last && (pooled || lateOutput))
      outputBytes = buffer(net.tensors[t].bytes());
    else if ((producer < first && net.lastUse(t) >= first) || producer == last)
      external += buffer(net.tensors[t].bytes());
  }

  cost.rows = rowsAxis.maxSize;
  cost.cols = colsAxis.maxSize;
  cost.haloRows.assign(n, 0);
  cost.haloCols.assign(n, 0);
  auto regionBytes = [&](int layer) {
    const NetTensor &t = net.tensors[net.layers[layer].output];
    return t.bytes(cost.rows[layer - first], cost.cols[layer - first]);
  };

  for (int j = first; j <= last; ++j) {
    const NetTensor &out = net.tensors[net.layers[j].output];
    int k = j - first;
    cost.haloRows[k] = std::max<int64_t>(
        0, cost.rows[k] - (out.height + cost.gridRows - 1) / cost.gridRows);
    cost.haloCols[k] = std::max<int64_t>(
        0, cost.cols[k] - (out.width + cost.gridCols - 1) / cost.gridCols);
    cost.macs += scaledMacs(net.layers[j].macs, out.height * out.width,
                            cacheRows ? rowsAxis.newSum[k] : rowsAxis.sum[k],
                            cacheCols ? colsAxis.newSum[k] : colsAxis.sum[k]);
  }

  // The largest working set over the layers, given `held` bytes kept across
  // patches and whether the regions of the patch are buffers of their own
  // (whole, or only their parts new in this patch when the rest is cached).
  // `own`, when given, the layers whose regions are a patch's own buffers
  // besides those `held` (with `regions` false).
  // `lineBuffers`: the stage as sieve-lower-patch-stages lowers cached row
  // strips, whose patches all have static shapes (the border strips are
  // unrolled), so that the int8 kernels take every layer.
  // One recomputed patch of static shapes (a class of evaluatePeeled):
  // where a reduction reads padding of a region computed in the patch that
  // nothing else reads, its producer writes the region into a buffer of the
  // padded shape, whose border holds the padding value (padInPlace in
  // LowerPatchStages.cpp), and the reduction reads it without padded input
  // rows. Per layer, the padded region's rows and columns (0: none), and
  // per input (layers' inputs in order), whether it reads one.
  std::vector<int64_t> paddedRegionRows(n, 0), paddedRegionCols(n, 0);
  std::vector<char> readsPaddedRegion;
  if (padsInPlace && rule == PeakRule::Sieve && patched && !cache &&
      !rowsAxis.padded.empty()) {
    std::vector<int> readers(net.tensors.size(), 0);
    for (const NetLayer &layer : net.layers)
      for (const LayerInput &input : layer.inputs)
        ++readers[input.tensor];
    size_t index = 0;
    for (int j = first; j <= last; ++j) {
      const NetLayer &layer = net.layers[j];
      int k = j - first;
      for (const LayerInput &input : layer.inputs) {
        int producer = net.tensors[input.tensor].producer;
        bool inPlace = layer.accumulatorBytes && producer >= first &&
                       producer < j && readers[input.tensor] == 1 &&
                       (rowsAxis.padded[index] || colsAxis.padded[index]);
        readsPaddedRegion.push_back(inPlace);
        ++index;
        if (!inPlace)
          continue;
        int64_t rows = input.rows.inputOf({0, cost.rows[k] - 1}).size(),
                cols = input.cols.inputOf({0, cost.cols[k] - 1}).size();
        paddedRegionRows[producer - first] =
            std::max(cost.rows[producer - first], rows);
        paddedRegionCols[producer - first] =
            std::max(cost.cols[producer - first], cols);
      }
    }
  }

  auto workingSet = [&](uint64_t held, bool regions, bool newOnly = false,
                        const std::vector<bool> *own = nullptr,
                        bool lineBuffers = false) {
    auto regionBytes = [&](int layer) {
      const NetTensor &t = net.tensors[net.layers[layer].output];
      int k = layer - first;
      if (paddedRegionRows[k])
        return buffer(t.bytes(paddedRegionRows[k], paddedRegionCols[k]));
      if (!newOnly)
        return buffer(t.bytes(cost.rows[k], cost.cols[k]));
      return buffer(cacheCols ? t.bytes(cost.rows[k], colsAxis.walkedNew[k])
                              : t.bytes(rowsAxis.maxNew[k], cost.cols[k]));
    };
    uint64_t worst = 0;
    int worstLayer = first;
    size_t paddedIndex = 0;
    for (int j = first; j <= last; ++j) {
      const NetLayer &layer = net.layers[j];
      const NetTensor &out = net.tensors[layer.output];
      int k = j - first;
      uint64_t live = held;
      if (pooled)
        live += j == last ? outputBytes : pooledBytes;
      else if (lateOutput && j == last)
        live += outputBytes;
      if (patched && (regions || own)) {
        // The regions of the stage's tensors that this layer reads or
        // writes, or that later layers of the patch still read.
        for (int p = first; p < last && p <= j; ++p)
          if ((regions || (*own)[p - first]) &&
              net.lastUse(net.layers[p].output) >= j)
            live += regionBytes(p);
      }
      // Before the layer computes, its window slides, in place
      // (sieve-lower-patch-stages moves the kept rows up in chunks that do
      // not overlap): no buffer beyond the window.
      uint64_t paddedRows = 0;
      for (size_t i = 0; i < layer.inputs.size(); ++i) {
        const LayerInput &input = layer.inputs[i];
        const NetTensor &in = net.tensors[input.tensor];
        bool inside = in.producer >= first && in.producer <= last;
        bool padded = readsPadding(input.rows, out.height, in.height) ||
                      readsPadding(input.cols, out.width, in.width);
        // One patch of static shapes: only its own borders are padded.
        if (!rowsAxis.padded.empty())
          padded = rowsAxis.padded[paddedIndex + i] ||
                   colsAxis.padded[paddedIndex + i];
        if (patched && !inside &&
            (padded || input.rows.kernel > 1 || input.cols.kernel > 1)) {
          // The patch's window of a full tensor, padded at the borders. The
          // published rules read the network input in place.
          if (rule == PeakRule::Sieve || counted(input.tensor))
            live += buffer(in.bytes(rowsAxis.externalMax[input.tensor],
                                    colsAxis.externalMax[input.tensor]));
          continue;
        }
        if (rule == PeakRule::Sieve && layer.accumulatorBytes && padded &&
            !(!readsPaddedRegion.empty() &&
              readsPaddedRegion[paddedIndex + i])) {
          // Row-by-row reductions keep the padded input rows they read.
          int64_t cols = patched ? cost.cols[k] : out.width;
          int64_t inCols = input.cols.inputOf({0, cols - 1}).size();
          uint64_t rows = buffer(
              uint64_t(input.rows.dilation * (input.rows.kernel - 1) + 1) *
              inCols * in.channels * in.elementBytes);
          live += rows;
          paddedRows += rows;
        }
      }
      uint64_t accumulators = 0;
      if (rule == PeakRule::Sieve)
        accumulators = buffer(accumulatorRowBytes(
            layer, patched,
            lineBuffers ||
                (!cache && rowsAxis.staticShapes && colsAxis.staticShapes) ||
                (rowsAxis.minSize[k] == rowsAxis.maxSize[k] &&
                 colsAxis.minSize[k] == colsAxis.maxSize[k]),
            patched ? cost.cols[k] : out.width, out.channels));
      live += accumulators;
      // A window of one row that lives within a strip, written by the
      // generic loops through their accumulator row: its row is born when
      // the accumulators are requantised into it, after the padded input
      // rows die (one row leaves no row loop to allocate it before), so
      // only the larger of the two is alive.
      if (lineBuffers && own && (*own)[k] && j < last && accumulators &&
          paddedRows && cost.rows[k] == 1)
        live -= std::min(regionBytes(j), paddedRows);
      paddedIndex += layer.inputs.size();
      if (rule == PeakRule::McuNetV2InPlace && layer.channelwise &&
          layer.inputs.size() == 1) {
        // In place: the input's buffer becomes the output's.
        int in = layer.inputs[0].tensor;
        bool inside = net.tensors[in].producer >= first;
        if (counted(in) && net.lastUse(in) == j && counted(layer.output)) {
          if (!patched)
            live -= std::min(net.tensors[in].bytes(), out.bytes());
          else if (inside && j < last && regions)
            live -=
                std::min(regionBytes(net.tensors[in].producer), regionBytes(j));
        }
      }
      if (j == first || live > worst) {
        worst = live;
        worstLayer = j;
      }
    }
    return std::make_pair(worst, worstLayer);
  };

  if (cacheCols && rule == PeakRule::Sieve) {
    CachedGridSet set = cachedGridWorkingSet(
        net, first, last, rowsAxis, colsAxis, buffer, pooledBytes, outputBytes);
    cost.cacheBytes = set.held;
    cost.peakLayer = set.worstLayer;
    cost.peak = external + set.worst;
    return cost;
  }
  std::pair<uint64_t, int> worst = workingSet(0, true);
  if (cache) {
    // Either every layer's region stays alive and slides (the overlap is
    // its older part), or only the overlaps are kept, in caches beside the
    // new parts that live for one patch: whichever is smaller.
    // Under Sieve's rule, the windows of sieve-lower-patch-stages that
    // hold nothing across patches are counted as per-patch regions.
    std::vector<bool> own(n, false);
    if (rule == PeakRule::Sieve && cacheRows)
      own = windowsPerPatch(rowsAxis, n);
    uint64_t regions = 0, overlaps = 0;
    for (int p = first; p < last; ++p) {
      int k = p - first;
      const NetTensor &t = net.tensors[net.layers[p].output];
      // Windows of cached columns hold only what the next patches read.
      if (!own[k])
        regions += buffer(cacheCols ? t.bytes(cost.rows[k], colsAxis.window[k])
                                    : regionBytes(p));
      overlaps +=
          buffer(cacheCols ? t.bytes(cost.rows[k], colsAxis.windowKept[k])
                           : t.bytes(rowsAxis.maxShared[k], cost.cols[k]));
    }
    std::pair<uint64_t, int> sliding = workingSet(
        regions, false, false, &own, rule == PeakRule::Sieve && cacheRows);
    std::pair<uint64_t, int> separate = workingSet(overlaps, true, true);
    // Sieve's arena counts what sieve-lower-patch-stages makes of the
    // stage: sliding windows (line buffers).
    if (rule == PeakRule::Sieve)
      separate.first = std::numeric_limits<uint64_t>::max();
    cost.cacheBytes = sliding.first <= separate.first ? regions : overlaps;
    worst = std::min(sliding, separate);
  }
  cost.peakLayer = worst.second;
  cost.peak = external + worst.first;
  return cost;
}

/// `evaluate` for a recomputed stage lowered with static border patches
/// under Sieve's rule: every patch has its own static shapes, so the peak is
/// the largest over the patches that differ (the borders and one of the
/// loop between them), each with its own regions and windows, and padded
/// buffers only where it reads padding. When both axes run their first
/// patch on its own, nothing is written to the stage's output before that
/// patch's last layer.
StageCost evaluatePeeled(const Network &net, const StageConfig &config,
                         PeakRule rule, uint64_t alignment,
                         const AxisSummary &rowsAxis,
                         const AxisSummary &colsAxis) {
  StageCost cost = evaluate(net, config, rule, alignment, rowsAxis, colsAxis);
  cost.genericLoops = cost.patched() &&
                      config.strategy == OverlapStrategy::Recompute &&
                      !((rowsAxis.staticShapes || rowsAxis.uniform) &&
                        (colsAxis.staticShapes || colsAxis.uniform)) &&
                      stageHasStaticBorders(net, config.first, config.last);
  if (rule != PeakRule::Sieve || !cost.patched() ||
      config.strategy != OverlapStrategy::Recompute || !rowsAxis.staticShapes ||
      !colsAxis.staticShapes ||
      stageTiledLayer(net, config.first, config.last) != config.last)
    return cost;
  auto patch = [](const AxisSummary &axis, int64_t i) {
    AxisSummary one = axis;
    one.maxSize = axis.patchSizes[i];
    one.minSize = one.maxSize;
    one.externalMax = axis.patchExternal[i];
    one.padded = axis.patchPadded[i];
    return one;
  };
  // The peak over the patch classes, with padded input rows or with the
  // paddings read in place: whichever is smaller.
  StageCost best = cost;
  for (bool inPlace : {false, true}) {
    StageCost peeled = cost;
    peeled.padsInPlace = inPlace;
    bool first = true;
    for (int64_t r : rowsAxis.classes)
      for (int64_t c : colsAxis.classes) {
        bool lateOutput =
            r == 0 && c == 0 && rowsAxis.firstPeeled && colsAxis.firstPeeled;
        StageCost one =
            evaluate(net, config, rule, alignment, patch(rowsAxis, r),
                     patch(colsAxis, c), lateOutput, inPlace);
        if (first || one.peak > peeled.peak) {
          peeled.peak = one.peak;
          peeled.peakLayer = one.peakLayer;
        }
        first = false;
      }
    if (!inPlace || peeled.peak < best.peak)
      best = peeled;
  }
  return best;
}

/// The tile sizes searched along an axis of `size`: every size up to 8,
/// then steps of about a fifth, and the whole axis.
std::vector<int64_t> tileCandidates(int64_t size) {
  std::vector<int64_t> tiles;
  for (int64_t t = 1; t < size;
       t = t < 8 ? t + 1 : t + std::max<int64_t>(2, t / 5))
    tiles.push_back(t);
  tiles.push_back(size);
  return tiles;
}

struct Block {
  int first, last;
  /// Costed configurations that no other of the block dominates in peak,
  /// MACs and then patches (patchCount), by increasing peak and decreasing
  /// MACs (several of equal MACs by decreasing patches).
  std::vector<StageCost> front;
  /// The same without cache-grid stages (isCachedGrid), when searched.
  std::vector<StageCost> rowFront;
};

/// Whether `cost` is a cached stage of several columns (cache-grid) under
/// Sieve's rule: lowered by lowerCachedGrid, whose patches compute a few
/// columns over the band's rows. The int8 kernels run NHWC rows, so narrow
/// column patches run many short rows where row strips run few long ones:
/// at as many MACs, more instructions (docs/patch.md).
bool isCachedGrid(const StageCost &cost, const PlanOptions &options) {
  return options.rule == PeakRule::Sieve && options.allowCacheGrid &&
         cost.config.strategy == OverlapStrategy::Cache && cost.gridCols > 1;
}

/// A plan without cache-grid stages is preferred up to 1/kCachedGridMacSlack
/// (10%) more MACs than the fewest (searchPlans): about what cached columns
/// cost in instructions per MAC on the Cortex-M55 (docs/patch.md).
constexpr uint64_t kCachedGridMacSlack = 10;

/// What a stage's instructions grow with among plans of as few MACs: the
/// loops over patches it runs (none for a plain one: each patch pays its
/// loop, its slices and its kernels' set-up, and larger tiles give the
/// kernels longer rows) and, far more, layers that keep the generic loops
/// where the int8 kernels would run with static shapes.
uint64_t patchCount(const StageCost &cost) {
  constexpr uint64_t kGenericLoops = uint64_t(1) << 32;
  if (!cost.patched())
    return 0;
  return cost.gridRows * cost.gridCols +
         (cost.genericLoops ? kGenericLoops : 0);
}

/// Orders costs by MACs, then patches.
bool cheaper(const StageCost &a, const StageCost &b) {
  return a.macs != b.macs ? a.macs < b.macs : patchCount(a) < patchCount(b);
}

void pruneFront(std::vector<StageCost> &costs) {
  std::sort(costs.begin(), costs.end(),
            [](const StageCost &a, const StageCost &b) {
              return a.peak != b.peak ? a.peak < b.peak : cheaper(a, b);
            });
  // Configurations of as few MACs as one of smaller peak stay when they run
  // fewer patches (cheapestPlan's tie-break).
  std::vector<StageCost> front;
  for (StageCost &cost : costs)
    if (front.empty() || cheaper(cost, front.back()))
      front.push_back(std::move(cost));
  costs = std::move(front);
}

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();

/// The plan with the fewest MACs whose stages all peak at or below `budget`
/// and, among those, the one of the smallest peak or, with `fewestPatches`,
/// the one running the fewest patches.
std::optional<NetworkPlan> cheapestPlan(const Network &net,
                                        const std::vector<Block> &blocks,
                                        uint64_t budget,
                                        bool fewestPatches = false) {
  int n = net.layers.size();
  // The fewest MACs up to each layer and, among plans with as few, the
  // fewest patches (with `fewestPatches`), then the smallest peak (a later
  // stage cannot undo a larger one).
  std::vector<uint64_t> dist(n + 1, kInfinity), peak(n + 1, kInfinity),
      patches(n + 1, kInfinity);
  std::vector<std::pair<int, int>> choice(n + 1, {-1, -1});
  dist[0] = 0;
  peak[0] = 0;
  patches[0] = 0;
  // Blocks are sorted by last layer.
  for (size_t b = 0; b < blocks.size(); ++b) {
    const Block &block = blocks[b];
    if (dist[block.first] == kInfinity)
      continue;
    auto it = std::upper_bound(block.front.begin(), block.front.end(), budget,
                               [](uint64_t value, const StageCost &cost) {
                                 return value < cost.peak;
                               });
    if (it == block.front.begin())
      continue;
    // The last configuration that fits has the fewest MACs, then patches;
    // the first of its MACs the smallest peak.
    --it;
    if (!fewestPatches)
      while (it != block.front.begin() && std::prev(it)->macs == it->macs)
        --it;
    const StageCost &cost = *it;
    uint64_t total = dist[block.first] + cost.macs;
    uint64_t count =
        fewestPatches ? patches[block.first] + patchCount(cost) : 0;
    uint64_t highest = std::max(peak[block.first], cost.peak);
    int to = block.last + 1;
    if (std::tie(total, count, highest) <
        std::tie(dist[to], patches[to], peak[to])) {
      dist[to] = total;
      patches[to] = count;
      peak[to] = highest;
      choice[to] = {int(b), int(it - block.front.begin())};
    }
  }
  if (dist[n] == kInfinity)
    return std::nullopt;
  NetworkPlan plan;
  for (int at = n; at > 0;) {
    auto [b, c] = choice[at];
    plan.stages.push_back(blocks[b].front[c]);
    at = blocks[b].first;
  }
  std::reverse(plan.stages.begin(), plan.stages.end());
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    plan.macs += plan.stages[s].macs;
    if (plan.stages[s].peak > plan.peak || s == 0) {
      plan.peak = std::max(plan.peak, plan.stages[s].peak);
      plan.peakStage = s;
    }
  }
  return plan;
}

/// The smallest peak any plan reaches (a minimax path).
uint64_t smallestPeak(const Network &net, const std::vector<Block> &blocks) {
  int n = net.layers.size();
  std::vector<uint64_t> best(n + 1, kInfinity);
  best[0] = 0;
  for (const Block &block : blocks) {
    if (best[block.first] == kInfinity || block.front.empty())
      continue;
    uint64_t peak = std::max(best[block.first], block.front.front().peak);
    best[block.last + 1] = std::min(best[block.last + 1], peak);
  }
  return best[n];
}

/// Whether sieve-lower-patch-stages lowers a cached stage [first, last]:
/// one ending in a feature map, or in a global pooling whose patches
/// accumulate their last layer's new rows (columns) into its accumulator.
bool cachedEndingLowered(const Network &net, int first, int last) {
  return stageTiledLayer(net, first, last) == last ||
         net.layers[last].accumulatorBytes;
}

/// Whether the search may cost the cached strategy on a grid of `colGrid`
/// columns under Sieve's rule: with `allowCacheGrid`, grids of several
/// columns (cached columns, recomputed rows: lowerCachedGrid of
/// sieve-lower-patch-stages).
bool cachedGridAllowed(const Network &net, int first, int last, int64_t colGrid,
                       const PlanOptions &options) {
  return options.allowCacheGrid && colGrid > 1 &&
         cachedEndingLowered(net, first, last);
}

} // namespace

bool sieve::stageHasStaticBorders(const Network &net, int first, int last) {
  for (int l = first; l <= last; ++l)
    if (net.layers[l].fusedKernel)
      return true;
  return false;
}

StageCost sieve::evaluateStage(const Network &net, const StageConfig &config,
                               PeakRule rule, uint64_t alignment,
                               bool staticBorders) {
  bool peel =
      staticBorders && stageHasStaticBorders(net, config.first, config.last);
  return evaluatePeeled(
      net, config, rule, alignment,
      summarize(net, config.first, config.last, 0, config.tileRows, peel),
      summarize(net, config.first, config.last, 1, config.tileCols, peel));
}

NetworkPlan sieve::plainPlan(const Network &net, PeakRule rule,
                             uint64_t alignment) {
  NetworkPlan plan;
  for (int l = 0, e = net.layers.size(); l < e; ++l) {
    const NetTensor &out = net.tensors[net.layers[l].output];
    plan.stages.push_back(evaluateStage(
        net, {l, l, out.height, out.width, OverlapStrategy::Recompute}, rule,
        alignment));
    plan.macs += plan.stages.back().macs;
    if (plan.stages.back().peak > plan.peak || l == 0) {
      plan.peak = std::max(plan.peak, plan.stages.back().peak);
      plan.peakStage = l;
    }
  }
  return plan;
}

PlanSearch sieve::searchPlans(const Network &net, uint64_t budget,
                              const PlanOptions &options) {
  PlanSearch search;
  int n = net.layers.size();
  std::vector<OverlapStrategy> strategies;
  if (options.allowRecompute)
    strategies.push_back(OverlapStrategy::Recompute);
  if (options.allowCache || options.allowCacheGrid)
    strategies.push_back(OverlapStrategy::Cache);

  // Which layers a forced split puts in patched stages.
  std::vector<int> forcedStage(n, -1);
  for (size_t s = 0; s < options.split.size(); ++s)
    for (int l = options.split[s].first; l <= options.split[s].second; ++l)
      if (l >= 0 && l < n)
        forcedStage[l] = s;

  bool preferRows = options.rule == PeakRule::Sieve && options.allowCacheGrid;
  auto pruneFronts = [&](Block &block) {
    if (preferRows) {
      for (const StageCost &cost : block.front)
        if (!isCachedGrid(cost, options))
          block.rowFront.push_back(cost);
      pruneFront(block.rowFront);
    }
    pruneFront(block.front);
  };

  auto costBlock = [&](int first, int last, bool forced) {
    Block block{first, last, {}, {}};
    const NetTensor &out =
        net.tensors[net.layers[stageTiledLayer(net, first, last)].output];
    std::vector<int64_t> rowTiles, colTiles;
    if (options.gridRows > 0 && forced) {
      rowTiles = {(out.height + options.gridRows - 1) / options.gridRows};
      colTiles = {(out.width + options.gridCols - 1) / options.gridCols};
    } else {
      rowTiles = tileCandidates(out.height);
      colTiles = tileCandidates(out.width);
    }
    bool peel =
        options.staticBorders && stageHasStaticBorders(net, first, last);
    std::vector<AxisSummary> rows, cols;
    for (int64_t t : rowTiles)
      rows.push_back(summarize(net, first, last, 0, t, peel));
    for (int64_t t : colTiles)
      cols.push_back(summarize(net, first, last, 1, t, peel));
    for (size_t r = 0; r < rowTiles.size(); ++r)
      for (size_t c = 0; c < colTiles.size(); ++c) {
        // One patch over several layers is the plain plan again.
        if (rows[r].grid * cols[c].grid == 1 && !forced)
          continue;
        for (OverlapStrategy strategy : strategies) {
          // Under Sieve's rule, only what sieve-lower-patch-stages lowers:
          // cached rows of row strips, in stages ending in a feature map
          // (the default strategies: row strips ending in a global pooling
          // are not measured yet), or columns with cache-grid.
          if (strategy == OverlapStrategy::Cache &&
              options.rule == PeakRule::Sieve &&
              !(options.allowCache && cols[c].grid == 1 &&
                stageTiledLayer(net, first, last) == last) &&
              !cachedGridAllowed(net, first, last, cols[c].grid, options))
            continue;
          StageConfig config{first, last, rowTiles[r], colTiles[c], strategy};
          block.front.push_back(evaluatePeeled(
              net, config, options.rule, options.alignment, rows[r], cols[c]));
          ++search.stagesCosted;
          // Without overlap across patches, caching changes nothing.
          if (rows[r].grid * cols[c].grid == 1)
            break;
        }
      }
    pruneFronts(block);
    return block;
  };

  std::vector<Block> blocks;
  for (int last = 0; last < n; ++last) {
    if (forcedStage[last] >= 0) {
      const auto &range = options.split[forcedStage[last]];
      if (range.second == last)
        blocks.push_back(costBlock(range.first, last, true));
      continue;
    }
    const NetTensor &out = net.tensors[net.layers[last].output];
    Block plain{last, last, {}, {}};
    plain.front.push_back(evaluateStage(
        net, {last, last, out.height, out.width, OverlapStrategy::Recompute},
        options.rule, options.alignment));
    pruneFronts(plain);
    blocks.push_back(std::move(plain));
    if (!options.split.empty())
      continue;
    for (int first = last - 1;
         first >= 0 && last - first + 1 <= options.maxStageLayers; --first) {
      if (!isValidStage(net, first, last, nullptr, nullptr)) {
        // Longer stages contain the same culprit unless it is a layer
        // whose result escapes; keep looking only past those.
        if (!net.layers[first].spatial || !net.layers[last].spatial)
          break;
        continue;
      }
      blocks.push_back(costBlock(first, last, false));
    }
  }
  std::stable_sort(
      blocks.begin(), blocks.end(),
      [](const Block &a, const Block &b) { return a.last < b.last; });
  // The same blocks without cache-grid stages (the row strips and
  // recomputed stages of the strategies without it), for the preference
  // below. Pruned on their own: a cache-grid stage may dominate them.
  std::vector<Block> rowBlocks;
  if (preferRows)
    for (Block &block : blocks)
      rowBlocks.push_back(
          {block.first, block.last, std::move(block.rowFront), {}});

  uint64_t smallest = smallestPeak(net, blocks);
  if (smallest == kInfinity)
    return search;
  search.smallest = *cheapestPlan(net, blocks, smallest);
  // Among the plans of as few MACs that fit the peak of the cheapest one
  // (not more: the arena stays as small), the one of the fewest patches.
  if (auto plan = cheapestPlan(net, blocks, budget ? budget : kInfinity)) {
    search.best = cheapestPlan(net, blocks, plan->peak, true);
    // Cached columns run more instructions per MAC than row strips: their
    // patches compute a few columns of many short rows (Cortex-M55:
    // MobileNetV2-0.35@144 at 64 KiB x1.181 at as many MACs, person_detect
    // at 24 KiB x1.087 for 3% fewer MACs; docs/patch.md). So the plan
    // without cache-grid stages, chosen as without cache-grid, is taken
    // when it fits the budget within kCachedGridMacSlack of the fewest
    // MACs; its arena may be larger, within the budget.
    if (!rowBlocks.empty())
      if (auto rows = cheapestPlan(net, rowBlocks, budget ? budget : kInfinity);
          rows && rows->macs - plan->macs <= plan->macs / kCachedGridMacSlack)
        search.best = cheapestPlan(net, rowBlocks, rows->peak, true);
  }

  // Walk down the front: the cheapest plan under a budget, then under a
  // budget just below that plan's peak.
  std::vector<std::pair<uint64_t, uint64_t>> visited;
  for (uint64_t limit = kInfinity; limit >= smallest;) {
    std::optional<NetworkPlan> plan = cheapestPlan(net, blocks, limit);
    if (!plan)
      break;
    visited.push_back({plan->peak, plan->macs});
    if (plan->peak == 0)
      break;
    limit = plan->peak - 1;
  }
  for (auto point : visited) {
    bool dominated = std::any_of(visited.begin(), visited.end(), [&](auto o) {
      return o != point && o.first <= point.first && o.second <= point.second;
    });
    if (!dominated)
      search.pareto.push_back(point);
  }
  return search;
}
