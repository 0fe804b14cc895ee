//===- PatchPlanTest.cpp - Receptive fields, peak rules, plan search ------===//
//
// Part of Sieve.
//
//===----------------------------------------------------------------------===//

#include "sieve/Analysis/PatchPlan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using namespace sieve;

namespace {

int64_t makeDivisible(double v, int64_t divisor = 8) {
  int64_t result = std::max<int64_t>(divisor, int64_t(v + divisor / 2.0) /
                                                  divisor * divisor);
  if (result < 0.9 * v)
    result += divisor;
  return result;
}

/// MobileNetV2 as examples/gen/sieve_modelgen.py builds it, without the
/// pooling and the classifier.
Network mobileNetV2(double width, int64_t resolution) {
  Network net;
  int x = net.addInput(resolution, resolution, 3);
  x = addConv(net, x, makeDivisible(32 * width), 3, 2, false);
  const int setting[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2},
                             {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
                             {6, 320, 1, 1}};
  for (auto &[t, c, n, s] : setting) {
    int64_t cout = makeDivisible(c * width);
    for (int i = 0; i < n; ++i) {
      int64_t cin = net.tensors[x].channels;
      int y = x;
      if (t != 1)
        y = addConv(net, y, cin * t, 1, 1, false);
      y = addConv(net, y, 0, 3, i == 0 ? s : 1, true);
      y = addConv(net, y, cout, 1, 1, false);
      if ((i == 0 ? s : 1) == 1 && cin == cout)
        y = addAdd(net, x, y);
      x = y;
    }
  }
  x = addConv(net, x, makeDivisible(1280 * std::max(1.0, width)), 1, 1, false);
  net.tensors[x].isOutput = true;
  return net;
}

/// msf-CNN's MBV2-w0.35-r144 (ANCHORS.md section 4), conv layers only.
Network msfMbv2() {
  Network net;
  int x = net.addInput(144, 144, 3);
  x = addConv(net, x, 11, 3, 2, false);
  const int blocks[17][4] = {{11, 5, 1, 1},  {5, 8, 6, 2},   {8, 8, 6, 1},
                             {8, 11, 6, 2},  {11, 11, 6, 1}, {11, 11, 6, 1},
                             {11, 22, 6, 2}, {22, 22, 6, 1}, {22, 22, 6, 1},
                             {22, 22, 6, 1}, {22, 33, 6, 1}, {33, 33, 6, 1},
                             {33, 33, 6, 1}, {33, 56, 6, 2}, {56, 56, 6, 1},
                             {56, 56, 6, 1}, {56, 112, 6, 1}};
  for (auto &[cin, cout, t, s] : blocks) {
    x = addConv(net, x, cin * t, 1, 1, false);
    x = addConv(net, x, 0, 3, s, true);
    x = addConv(net, x, cout, 1, 1, false);
  }
  x = addConv(net, x, 448, 1, 1, false);
  net.tensors[x].isOutput = true;
  return net;
}

} // namespace

TEST(ReceptiveField, AccessOfPaddedStridedDilatedKernels) {
  // 3x3, stride 2, padding 1: outputs 0..3 read -1..7.
  AxisAccess conv{2, 1, 3, -1};
  EXPECT_EQ(conv.inputOf({0, 3}), (Interval{-1, 7}));
  // 5x5 with dilation 2 and padding 4: output 5 reads 1..9 at stride 1.
  AxisAccess dilated{1, 2, 5, -4};
  EXPECT_EQ(dilated.inputOf({5, 5}), (Interval{1, 9}));
  EXPECT_TRUE(AxisAccess{}.isIdentity());
  EXPECT_TRUE(AxisAccess{}.inputOf({}).empty());
}

TEST(ReceptiveField, SameConvolutionsGrowTheHaloAndClampAtBorders) {
  Network net;
  int x = net.addInput(32, 32, 3);
  x = addConv(net, x, 8, 3, 2, false); // 16x16
  int skip = x;
  x = addConv(net, x, 0, 5, 1, true); // 5x5 depthwise
  x = addAdd(net, skip, x);
  x = addConv(net, x, 8, 7, 1, false, /*dilation=*/2); // reach 13
  ASSERT_EQ(net.tensors[x].height, 16);
  AxisField field = receptiveField(net, 0, 3, 0, {4, 7});
  EXPECT_EQ(field.layer[3], (Interval{4, 7}));
  // The add reads its output rows of both inputs; the dilated 7x7 reads
  // 6 rows each side, clamped to the 16 rows of the map.
  EXPECT_EQ(field.layer[2], (Interval{0, 13}));
  // The depthwise 5x5 reads 2 more each side; the stem also feeds the add.
  EXPECT_EQ(field.layer[1], (Interval{0, 13}));
  EXPECT_EQ(field.layer[0], (Interval{0, 15}));
  // The stem's 3x3/2 reads the network input with its padding.
  EXPECT_EQ(field.external[0], (Interval{0, 32}));
  // A tile at the top border starts at padding.
  AxisField top = receptiveField(net, 1, 3, 0, {0, 1});
  EXPECT_EQ(top.layer[1], (Interval{0, 7}));
  // The depthwise 5x5 reads the stem from outside the stage, padding
  // included; the add reads only rows 0..7 of it.
  EXPECT_EQ(top.external[skip], (Interval{-2, 9}));
  // With dilation, border taps skip rows: a 3-tap dilation-3 kernel at
  // offset -3 over output 0 reads rows 0 and 3 of a 10-row input.
  EXPECT_EQ((AxisAccess{1, 3, 3, -3}.inputOf({0, 0}, 10)), (Interval{0, 3}));
  EXPECT_EQ((AxisAccess{1, 2, 3, -1}.inputOf({0, 0}, 10)), (Interval{1, 3}));
}

/// Brute force: mark every input position the loops of each layer read for
/// a contiguous region of its output (a patch computes whole rows), and
/// compare the bounding boxes with the analysis, on random chains of
/// convolutions with kernels 1 to 7, strides 1 and 2 and dilations 1 and 2.
TEST(ReceptiveField, MatchesBruteForceOnRandomChains) {
  std::mt19937 rng(6);
  for (int trial = 0; trial < 300; ++trial) {
    Network net;
    int size = std::uniform_int_distribution<int>(9, 40)(rng);
    int x = net.addInput(size, size, 1);
    int layers = std::uniform_int_distribution<int>(1, 5)(rng);
    for (int l = 0; l < layers && net.tensors[x].height > 1; ++l) {
      int64_t k = 1 + 2 * std::uniform_int_distribution<int>(0, 3)(rng);
      int64_t s = std::uniform_int_distribution<int>(1, 2)(rng);
      int64_t d = std::uniform_int_distribution<int>(1, 2)(rng);
      x = addConv(net, x, 1, k, s, true, d);
    }
    int last = net.layers.size() - 1;
    int64_t outSize = net.tensors[x].height;
    int64_t lo = std::uniform_int_distribution<int64_t>(0, outSize - 1)(rng);
    int64_t hi = std::uniform_int_distribution<int64_t>(lo, outSize - 1)(rng);
    AxisField field = receptiveField(net, 0, last, 0, {lo, hi});

    std::vector<bool> need(outSize, false);
    for (int64_t o = lo; o <= hi; ++o)
      need[o] = true;
    for (int l = last; l >= 0; --l) {
      const LayerInput &in = net.layers[l].inputs[0];
      int64_t inSize = net.tensors[in.tensor].height;
      std::vector<bool> reads(inSize, false);
      Interval box, padded;
      for (size_t o = 0; o < need.size(); ++o)
        if (need[o])
          for (int64_t k = 0; k < in.rows.kernel; ++k) {
            int64_t i =
                in.rows.stride * o + in.rows.offset + in.rows.dilation * k;
            padded = padded.hull({i, i});
            if (i >= 0 && i < inSize) {
              reads[i] = true;
              box = box.hull({i, i});
            }
          }
      if (l > 0)
        EXPECT_EQ(field.layer[l - 1], box)
            << "trial " << trial << " layer " << l;
      else
        EXPECT_EQ(field.external[0], padded) << "trial " << trial;
      // The next layer computes the bounding box of what is read.
      need.assign(inSize, false);
      for (int64_t i = box.lo; i <= box.hi; ++i)
        need[i] = true;
    }
  }
}

TEST(PeakRule, McuNetV2CalibrationsOfAnchors) {
  // ANCHORS.md: MobileNetV2-1.0 at 224 needs 1470 KiB under the per-layer
  // input + output rule, 1372 KiB with depthwise in place.
  Network mbv2 = mobileNetV2(1.0, 224);
  EXPECT_EQ(plainPlan(mbv2, PeakRule::McuNetV2).peak, 1470u * 1024);
  EXPECT_EQ(plainPlan(mbv2, PeakRule::McuNetV2InPlace).peak, 1372u * 1024);
  // MobileNetV2-0.35 at 144: 303.8 KiB plain, 283.5 KiB in place.
  Network small = mobileNetV2(0.35, 144);
  EXPECT_NEAR(plainPlan(small, PeakRule::McuNetV2).peak / 1024.0, 303.8, 0.06);
  EXPECT_NEAR(plainPlan(small, PeakRule::McuNetV2InPlace).peak / 1024.0, 283.5,
              0.05);
}

TEST(PeakRule, MsfCnnCalibration) {
  // 194,400 B = 72x72x30 + 36x36x30 at block 2's depthwise; 18.9M MACs.
  Network msf = msfMbv2();
  NetworkPlan plain = plainPlan(msf, PeakRule::MsfCnn);
  EXPECT_EQ(plain.peak, 194400u);
  EXPECT_EQ(plain.peakLayer(), 5);
  EXPECT_NEAR(msf.totalMacs() / 1e6, 18.9, 0.05);
  // Sieve's rule adds the row scratch of the fused depthwise: 3 padded rows
  // of 73x30 (SAME padding of a stride-2 3x3 on 72 pads one column, right)
  // and a row of 36x30 int32 accumulators; test/Memory/msf-mbv2.test
  // measures 205,376 B with the arena's alignment.
  uint64_t sieve = plainPlan(msf, PeakRule::Sieve).peak;
  EXPECT_EQ(sieve, 194400u + 3 * 73 * 30 + 36 * 30 * 4);
  EXPECT_NEAR(double(sieve), 205376.0, 100.0);
}

TEST(PatchPlan, StageCostOfAGridThatDoesNotDivideTheImage) {
  Network net;
  int x = net.addInput(23, 23, 3);
  x = addConv(net, x, 8, 3, 1, false);
  x = addConv(net, x, 0, 3, 2, true); // 12x12
  StageCost cost = evaluateStage(net, {0, 1, 5, 5, OverlapStrategy::Recompute},
                                 PeakRule::MsfCnn);
  EXPECT_EQ(cost.gridRows, 3);
  EXPECT_EQ(cost.gridCols, 3);
  // Tile 5 of the depthwise reads 11 rows of the conv, which reads 13 of
  // the input (with padding).
  EXPECT_EQ(cost.rows[1], 5);
  EXPECT_EQ(cost.rows[0], 11);
  EXPECT_EQ(cost.haloRows[0], 11 - 8);
  // SAME padding puts one padding row on top: the depthwise tiles [0,4],
  // [5,9], [10,11] read conv rows [0,9], [9,19], [19,22].
  uint64_t convPerPixel = 8 * 9 * 3, dwPerPixel = 8 * 9;
  EXPECT_EQ(cost.macs, convPerPixel * (10 + 11 + 4) * (10 + 11 + 4) +
                           dwPerPixel * 12 * 12);
  // Peak under msf-CNN's rule: output 12x12x8 + the conv's 11x11x8 region
  // (the network input is read in place).
  EXPECT_EQ(cost.peak, 12u * 12 * 8 + 11 * 11 * 8);
  // Sieve's rule adds the padded window of the input (13x13x3) and a row of
  // 11x8 int32 accumulators.
  StageCost sieve = evaluateStage(net, {0, 1, 5, 5, OverlapStrategy::Recompute},
                                  PeakRule::Sieve);
  EXPECT_EQ(sieve.peak, 12u * 12 * 8 + 11 * 11 * 8 + 13 * 13 * 3 + 11 * 8 * 4);
  EXPECT_EQ(sieve.peakLayer, 0);
  EXPECT_EQ(cost.peakLayer, 0);

  StageCost cached = evaluateStage(net, {0, 1, 5, 5, OverlapStrategy::Cache},
                                   PeakRule::MsfCnn);
  // Columns are computed once per patch row: 23 instead of 25.
  EXPECT_EQ(cached.macs, convPerPixel * (10 + 11 + 4) * 23 + dwPerPixel * 144);
  EXPECT_LT(cached.macs, cost.macs);

  // Under Sieve's rule, as sieve-lower-patch-stages lowers it: the conv
  // keeps a window of 11x11x8 (the most rows of a band, the most columns of
  // a patch) across patches; it computes only its new columns (at most 10),
  // with a row of 10x8 int32 accumulators, reading the input in place
  // through a padded copy of the 3 rows one output row reads (taken into
  // the reduction's rows by sieve-fuse-into-rows) by 12 columns; the output
  // stays whole.
  StageCost grid =
      evaluateStage(net, {0, 1, 5, 5, OverlapStrategy::Cache}, PeakRule::Sieve);
  EXPECT_EQ(grid.macs, cached.macs);
  EXPECT_EQ(grid.cacheBytes, 11u * 11 * 8);
  EXPECT_EQ(grid.peak, 12u * 12 * 8 + 11 * 11 * 8 + 3 * 12 * 3 + 10 * 8 * 4);
  EXPECT_EQ(grid.peakLayer, 0);
}

TEST(PatchPlan, StaticBordersCostEachPatch) {
  // The net above, its convolution run by an int8 kernel with the
  // requantisation fused. Lowered with static border patches, every patch
  // has static shapes: the kernel takes every patch (no int32 row), and the
  // peak is the largest over the patches, each with its own regions. The
  // middle patch is the largest: the conv's 11x11x8 region and the input's
  // 13x13x3 window, beside the whole 12x12x8 output; the depthwise keeps its
  // 5x8 int32 row and reads no padding there.
  Network net;
  int x = net.addInput(23, 23, 3);
  x = addConv(net, x, 8, 3, 1, false);
  x = addConv(net, x, 0, 3, 2, true);
  net.layers[0].fusedKernel = true;
  StageConfig config{0, 1, 5, 5, OverlapStrategy::Recompute};
  StageCost dynamic = evaluateStage(net, config, PeakRule::Sieve);
  EXPECT_EQ(dynamic.peak,
            12u * 12 * 8 + 11 * 11 * 8 + 13 * 13 * 3 + 11 * 8 * 4);
  StageCost peeled = evaluateStage(net, config, PeakRule::Sieve, 1, true);
  EXPECT_EQ(peeled.peak, 12u * 12 * 8 + 11 * 11 * 8 + 13 * 13 * 3);
  EXPECT_EQ(peeled.peakLayer, 0);
  EXPECT_EQ(peeled.macs, dynamic.macs);
  // Without a layer the kernels take, nothing changes.
  net.layers[0].fusedKernel = false;
  EXPECT_EQ(evaluateStage(net, config, PeakRule::Sieve, 1, true).peak,
            dynamic.peak);
}

TEST(PatchPlan, InvalidStagesNameTheCulprit) {
  Network net;
  int x = net.addInput(16, 16, 3);
  int a = addConv(net, x, 8, 3, 1, false);
  int b = addConv(net, a, 8, 3, 1, false);
  addAdd(net, a, b);
  std::string why;
  int culprit = -1;
  EXPECT_FALSE(isValidStage(net, 0, 1, &why, &culprit));
  EXPECT_EQ(culprit, 0);
  EXPECT_NE(why.find("read after the stage"), std::string::npos);
  EXPECT_TRUE(isValidStage(net, 0, 2, nullptr, nullptr));
  net.layers[1].spatial = false;
  net.layers[1].opaqueReason = "a gather";
  EXPECT_FALSE(isValidStage(net, 0, 2, &why, &culprit));
  EXPECT_EQ(culprit, 1);
  EXPECT_EQ(why, "a gather");
}

TEST(PatchPlan, SearchFitsTheBudgetWithTheFewestMacs) {
  Network msf = msfMbv2();
  uint64_t plainMacs = msf.totalMacs();
  PlanOptions options;
  options.rule = PeakRule::MsfCnn;
  PlanSearch search = searchPlans(msf, 83133, options);
  ASSERT_TRUE(search.best);
  EXPECT_LE(search.best->peak, 83133u);
  EXPECT_TRUE(search.best->patched());
  EXPECT_GE(search.best->macs, plainMacs);
  // The front descends in peak and ascends in MACs; the best plan is on it.
  ASSERT_GE(search.pareto.size(), 3u);
  for (size_t i = 1; i < search.pareto.size(); ++i) {
    EXPECT_LT(search.pareto[i].first, search.pareto[i - 1].first);
    EXPECT_GT(search.pareto[i].second, search.pareto[i - 1].second);
  }
  EXPECT_EQ(search.pareto.front().second, plainMacs);
  EXPECT_EQ(search.pareto.back().first, search.smallest.peak);
  // Nothing fits below the smallest peak.
  PlanSearch tooSmall = searchPlans(msf, search.smallest.peak - 1, options);
  EXPECT_FALSE(tooSmall.best);
  EXPECT_EQ(tooSmall.smallest.peak, search.smallest.peak);
  // Without caching, small budgets cost more.
  PlanOptions recompute = options;
  recompute.allowCache = false;
  PlanSearch noCache = searchPlans(msf, 30000, recompute);
  PlanSearch withCache = searchPlans(msf, 30000, options);
  ASSERT_TRUE(withCache.best);
  if (noCache.best)
    EXPECT_LT(withCache.best->macs, noCache.best->macs);
}

TEST(PatchPlan, AmongPlansOfAsFewMacsTheFewestPatches) {
  // Pointwise layers: every tile of the stage a..b costs the same MACs, and
  // the smallest peak takes single pixels (1024 patches). The layer g, which
  // no stage can patch, holds the peak anyway: under it, the chosen plan
  // runs a..b in fewer patches (or none) at as few MACs.
  Network net;
  int x = net.addInput(32, 32, 4);
  int a = addConv(net, x, 16, 1, 1, false);
  int b = addConv(net, a, 4, 1, 1, false);
  int g = addConv(net, b, 16, 1, 1, false);
  int y = addConv(net, g, 4, 1, 1, false);
  net.tensors[y].isOutput = true;
  net.layers[2].spatial = false;
  net.layers[2].opaqueReason = "a gather";
  auto patches = [](const NetworkPlan &plan) {
    int64_t count = 0;
    for (const StageCost &stage : plan.stages)
      if (stage.patched())
        count += stage.gridRows * stage.gridCols;
    return count;
  };
  PlanOptions options;
  options.allowCache = false;
  PlanSearch search = searchPlans(net, 1, options);
  EXPECT_FALSE(search.best);
  EXPECT_EQ(patches(search.smallest), 32 * 32);
  PlanSearch fit = searchPlans(net, search.smallest.peak, options);
  ASSERT_TRUE(fit.best);
  EXPECT_EQ(fit.best->macs, search.smallest.macs);
  EXPECT_LE(fit.best->peak, search.smallest.peak);
  EXPECT_LT(patches(*fit.best), patches(search.smallest));
  // The front is the same: the smallest peak has as few MACs.
  EXPECT_EQ(fit.pareto.back(),
            std::make_pair(search.smallest.peak, search.smallest.macs));
}

TEST(PatchPlan, RowStripsBeforeCachedColumnsOfAsFewMacs) {
  // A wide, low image: cached column strips hold 8-row columns where
  // cached row strips hold 64-column rows, so at as few MACs (none
  // recomputed) they reach a smaller peak. Where row strips fit too at as
  // many MACs, or up to 10% more, the search takes them (cache-grid runs
  // more instructions per MAC); beyond, the column strips.
  Network net;
  int x = net.addInput(8, 64, 4);
  x = addConv(net, x, 16, 3, 1, false);
  x = addConv(net, x, 16, 3, 1, false);
  x = addConv(net, x, 4, 1, 1, false);
  net.tensors[x].isOutput = true;
  auto cachedGrid = [](const NetworkPlan &plan) {
    return std::any_of(
        plan.stages.begin(), plan.stages.end(), [](const StageCost &stage) {
          return stage.config.strategy == OverlapStrategy::Cache &&
                 stage.gridCols > 1;
        });
  };
  PlanOptions rowsOnly;
  uint64_t budget = plainPlan(net, PeakRule::Sieve).peak - 1;
  PlanSearch rows = searchPlans(net, budget, rowsOnly);
  ASSERT_TRUE(rows.best);
  EXPECT_EQ(rows.best->macs, net.totalMacs());
  EXPECT_FALSE(cachedGrid(*rows.best));
  PlanOptions withGrid;
  withGrid.allowCacheGrid = true;
  PlanSearch both = searchPlans(net, budget, withGrid);
  ASSERT_TRUE(both.best);
  EXPECT_EQ(both.best->macs, rows.best->macs);
  EXPECT_EQ(both.best->peak, rows.best->peak);
  EXPECT_FALSE(cachedGrid(*both.best));
  // The column strips' smaller peak at as few MACs is on the front.
  uint64_t columns = both.pareto.front().first;
  EXPECT_LT(columns, rows.best->peak);
  EXPECT_EQ(both.pareto.front().second, rows.best->macs);
  // Under smaller budgets row strips recompute rows: taken up to 10% more
  // MACs than the column strips' (kCachedGridMacSlack), not beyond.
  auto check = [&](uint64_t budget, bool expectRows) {
    PlanSearch r = searchPlans(net, budget, rowsOnly);
    PlanSearch g = searchPlans(net, budget, withGrid);
    ASSERT_TRUE(r.best && g.best);
    EXPECT_EQ(cachedGrid(*g.best), !expectRows) << budget;
    EXPECT_EQ(g.best->macs, expectRows ? r.best->macs : rows.best->macs);
  };
  check(1840, true);  // rows: 1,645,568 MACs, x1.092
  check(1712, false); // rows: 1,700,864 MACs, x1.128
  check(columns, false);
}

TEST(PatchPlan, ForcedSplitAndGrid) {
  Network msf = msfMbv2();
  PlanOptions options;
  options.rule = PeakRule::McuNetV2;
  options.split = {{0, 9}};
  options.gridRows = 4;
  options.gridCols = 3;
  options.allowCache = false;
  PlanSearch search = searchPlans(msf, 0, options);
  ASSERT_TRUE(search.best);
  const StageCost &stage = search.best->stages.front();
  EXPECT_EQ(stage.config.first, 0);
  EXPECT_EQ(stage.config.last, 9);
  EXPECT_EQ(stage.gridRows, 4);
  EXPECT_EQ(stage.gridCols, 3);
  EXPECT_EQ(search.best->stages.size(), msf.layers.size() - 9);
}

TEST(PatchPlan, GlobalPoolingAccumulatesOverThePatches) {
  Network net;
  int x = net.addInput(10, 10, 8);
  x = addConv(net, x, 8, 3, 1, true);   // 10x10x8
  x = addConv(net, x, 64, 1, 1, false); // 10x10x64: the big one
  NetLayer pool;
  pool.inputs.push_back({x, {1, 1, 10, 0}, {1, 1, 10, 0}});
  pool.macs = 10 * 10 * 64;
  pool.channelwise = true;
  pool.accumulatorBytes = 4;
  int y = net.addLayer(pool, 1, 1, 64, 4);
  net.tensors[y].isOutput = true;
  EXPECT_EQ(stageTiledLayer(net, 0, 2), 1);
  EXPECT_EQ(stageTiledLayer(net, 1, 2), 1);
  EXPECT_EQ(stageTiledLayer(net, 0, 1), 1);
  EXPECT_EQ(stageTiledLayer(net, 2, 2), 2);
  // Plain: the 1x1 conv's input and output, 800 + 6400 bytes.
  EXPECT_EQ(plainPlan(net, PeakRule::MsfCnn).peak, 7200u);
  // One pixel of the 1x1 conv per patch, from one pixel of the depthwise
  // (which reads its 3x3 window of the network input in place), summed into
  // the pool's output (a network output): nothing is recomputed.
  StageCost cost = evaluateStage(net, {0, 2, 1, 1, OverlapStrategy::Recompute},
                                 PeakRule::MsfCnn);
  EXPECT_EQ(cost.gridRows, 10);
  EXPECT_EQ(cost.gridCols, 10);
  EXPECT_EQ(cost.rows[2], 1);
  EXPECT_EQ(cost.peak, 8u + 64);
  EXPECT_EQ(cost.peakLayer, 1);
  EXPECT_EQ(cost.macs, net.totalMacs());
  // Without the pool, the stage's output is the full 10x10x64 map.
  StageCost open = evaluateStage(net, {0, 1, 1, 1, OverlapStrategy::Recompute},
                                 PeakRule::MsfCnn);
  EXPECT_EQ(open.peak, 6400u + 8);
  // Sieve's arena: the pool's int32 accumulators (64 x 4 bytes), set before
  // the loops, live through the stage; at the 1x1 conv, a pixel of the
  // depthwise and of the conv and the conv's row of accumulators. With the
  // arena's 16-byte alignment the depthwise's 8-byte pixel takes 16.
  StageCost sieve = evaluateStage(net, {0, 2, 1, 1, OverlapStrategy::Recompute},
                                  PeakRule::Sieve);
  EXPECT_EQ(sieve.peak, 256u + 8 + 64 + 256);
  EXPECT_EQ(sieve.peakLayer, 1);
  StageCost aligned = evaluateStage(
      net, {0, 2, 1, 1, OverlapStrategy::Recompute}, PeakRule::Sieve, 16);
  EXPECT_EQ(aligned.peak, 256u + 16 + 64 + 256);
}

TEST(PatchPlan, CachedWindowsHoldWhatTheNewColumnsRead) {
  Network net;
  int x = net.addInput(16, 16, 3);
  x = addConv(net, x, 8, 3, 1, false);  // 3x3
  x = addConv(net, x, 16, 1, 1, false); // 1x1 expand
  x = addConv(net, x, 0, 3, 1, true);   // 3x3 depthwise
  x = addConv(net, x, 8, 1, 1, false);  // 1x1 project
  // Left of the image, the patch at -1 computes column 0 of the stem and
  // the expand (the depthwise reads them for output 0); none further left.
  std::vector<std::vector<Interval>> walked = warmUpFields(net, 0, 3, 1, 1);
  ASSERT_EQ(walked.size(), 1u);
  EXPECT_EQ(walked[0][0], (Interval{0, 0}));
  EXPECT_EQ(walked[0][1], (Interval{0, 0}));
  EXPECT_TRUE(walked[0][2].empty());
  EXPECT_TRUE(walked[0][3].empty());
  for (int64_t i = 0; i < 16; ++i)
    walked.push_back(receptiveField(net, 0, 3, 1, {i, i}).layer);
  // Each patch computes one new column per layer: the stem's window holds
  // only the column the expand reads, the expand's the three the depthwise
  // reads, not the patch's three-column regions.
  EXPECT_EQ(cachedWindowSizes(net, 0, 1, walked),
            (std::vector<int64_t>{1, 3, 1, 1}));
  // Without the warm-up, the first patch computes the stem's two columns
  // at once, and its window must hold both.
  walked.erase(walked.begin());
  EXPECT_EQ(cachedWindowSizes(net, 0, 1, walked),
            (std::vector<int64_t>{2, 3, 1, 1}));
}
