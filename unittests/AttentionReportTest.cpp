//===- AttentionReportTest.cpp - The report's `attention` section ---------===//
//
// Part of Sieve. collectAttention reads the attn ops the raise-attention
// stage leaves, and the JSON report writes them (docs/report.md). Until the
// attn lowering is in the default pipeline, no compiled model has attention
// in its report, so the section is tested here on IR.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Attn/IR/AttnDialect.h"
#include "sieve/Target/ModelInterface.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/JSON.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace sieve;

namespace {

constexpr const char *kModel = R"mlir(
func.func @layer(%q: tensor<1x12x40x64xf32>, %k: tensor<1x2x40x64xf32>,
                 %m: tensor<1x1x1x40xf32>, %h: tensor<1x40x8x16xf16>)
    -> (tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>,
        tensor<1x40x8x16xf16>) {
  %0 = attn.attention %q, %k, %k {scale = 0.125 : f32, causal}
      : tensor<1x12x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>
      -> tensor<1x12x40x64xf32> loc("causal")
  %1 = attn.sparse_attention %q, %k, %k
      {scale = 0.125 : f32, pattern = #attn.logsparse, attn.from_dense,
       attn.dense_error = {max_rel = 0.5 : f64, mean_rel = 0.25 : f64,
                           rms = 0.125 : f64,
                           rows = 40 : i64, seed = 1 : i64}}
      : tensor<1x12x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>
      -> tensor<1x12x40x64xf32> loc("logsparse")
  %2 = attn.attention %q, %k, %k mask %m {scale = 0.125 : f32}
      : tensor<1x12x40x64xf32>, tensor<1x2x40x64xf32>, tensor<1x2x40x64xf32>,
        tensor<1x1x1x40xf32> -> tensor<1x12x40x64xf32> loc("masked")
  %3 = attn.sparse_attention %h, %h, %h
      {scale = 0.25 : f32, pattern = #attn.diagonals<window = 4>,
       layout = #attn.layout<blhd>}
      : tensor<1x40x8x16xf16>, tensor<1x40x8x16xf16>, tensor<1x40x8x16xf16>
      -> tensor<1x40x8x16xf16> loc("window")
  return %0, %1, %2, %3 : tensor<1x12x40x64xf32>, tensor<1x12x40x64xf32>,
      tensor<1x12x40x64xf32>, tensor<1x40x8x16xf16>
}
)mlir";

class AttentionReportTest : public ::testing::Test {
protected:
  void SetUp() override {
    context.loadDialect<func::FuncDialect, attn::AttnDialect>();
    module = parseSourceString<ModuleOp>(kModel, &context);
    ASSERT_TRUE(module);
    infos = collectAttention(*module);
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::vector<AttentionInfo> infos;
};

TEST_F(AttentionReportTest, Collects) {
  ASSERT_EQ(infos.size(), 4u);
  const AttentionInfo &causal = infos[0];
  EXPECT_EQ(causal.location, "causal");
  EXPECT_EQ(causal.kind, "dense");
  EXPECT_EQ(causal.pattern, "causal");
  EXPECT_EQ(causal.queryLength, 40);
  EXPECT_EQ(causal.keyLength, 40);
  EXPECT_EQ(causal.heads, 12);
  EXPECT_EQ(causal.kvHeads, 2);
  EXPECT_EQ(causal.batch, 1);
  EXPECT_EQ(causal.pairs, 820);
  EXPECT_EQ(causal.causalPairs, 820);
  EXPECT_FALSE(causal.changesModel);

  const AttentionInfo &logSparse = infos[1];
  EXPECT_EQ(logSparse.kind, "sparse");
  EXPECT_EQ(logSparse.pattern, "logsparse");
  EXPECT_EQ(logSparse.pairs, 217); // 1 + sum_{i=1}^{39} (2 + floor(log2 i))
  EXPECT_TRUE(logSparse.changesModel);
  EXPECT_EQ(logSparse.maxRelError, 0.5);
  EXPECT_EQ(logSparse.meanRelError, 0.25);
  EXPECT_EQ(logSparse.errorRows, 40);
  EXPECT_EQ(causal.errorRows, 0);
  EXPECT_EQ(causal.elementType, "f32");

  const AttentionInfo &masked = infos[2];
  EXPECT_EQ(masked.pattern, "mask");
  EXPECT_EQ(masked.pairs, 40 * 40); // every pair is computed, then masked

  const AttentionInfo &window = infos[3];
  EXPECT_EQ(window.pattern, "sliding-window(4)");
  EXPECT_EQ(window.heads, 8); // blhd: heads are dim 2
  EXPECT_EQ(window.queryLength, 40);
  EXPECT_EQ(window.depth, 16);
  EXPECT_EQ(window.pairs, 4 * 40 - 6);
  EXPECT_EQ(window.elementType, "f16");
}

TEST_F(AttentionReportTest, WritesJson) {
  ModelInterface model;
  model.name = "layer";
  model.attention = infos;
  std::string text;
  llvm::raw_string_ostream os(text);
  emitJsonReport(model, *lookupTarget("x86-64-avx2"), ReportContext(), os);
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(text);
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  const llvm::json::Array *attention =
      parsed->getAsObject()->getArray("attention");
  ASSERT_TRUE(attention);
  ASSERT_EQ(attention->size(), 4u);
  const llvm::json::Object &sparse = *(*attention)[1].getAsObject();
  EXPECT_EQ(sparse.getString("kind"), "sparse");
  EXPECT_EQ(sparse.getString("pattern"), "logsparse");
  EXPECT_EQ(sparse.getInteger("query_length"), 40);
  EXPECT_EQ(sparse.getInteger("key_length"), 40);
  EXPECT_EQ(sparse.getInteger("heads"), 12);
  EXPECT_EQ(sparse.getInteger("kv_heads"), 2);
  EXPECT_EQ(sparse.getInteger("pairs"), 217);
  EXPECT_EQ(sparse.getInteger("causal_pairs"), 820);
  EXPECT_NEAR(*sparse.getNumber("causal_over_pairs"), 820.0 / 217, 1e-9);
  EXPECT_EQ(sparse.getBoolean("changes_model"), true);
  EXPECT_EQ(sparse.getString("location"), "logsparse");
  EXPECT_EQ(sparse.getString("element_type"), "f32");
  const llvm::json::Object *error = sparse.getObject("error_vs_dense");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->getNumber("max_rel"), 0.5);
  EXPECT_EQ(error->getNumber("mean_rel"), 0.25);
  EXPECT_EQ(error->getNumber("rms"), 0.125);
  EXPECT_EQ(error->getInteger("rows"), 40);
  EXPECT_NEAR(*error->getNumber("dropped_pairs"), 1.0 - 217.0 / 820, 1e-9);
  // Only a model that sieve-attn-logsparse changed carries the estimate.
  EXPECT_FALSE((*attention)[0].getAsObject()->getObject("error_vs_dense"));
}

} // namespace
