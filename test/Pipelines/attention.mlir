// RUN: sieve-opt %models/transformer_layer_tosa.mlir -sieve-import-pipeline=attention=off | FileCheck %s --check-prefix=OFF
// RUN: sieve-opt %models/transformer_layer_tosa.mlir -sieve-import-pipeline=target=cortex-m55 | FileCheck %s --check-prefix=DENSE
// RUN: sieve-opt %models/transformer_layer_tosa.mlir -sieve-import-pipeline | FileCheck %s --check-prefix=DENSE
// RUN: sieve-opt %models/transformer_layer_tosa.mlir -sieve-import-pipeline=attention=dense | FileCheck %s --check-prefix=DENSE
// RUN: sieve-opt %s -sieve-raise-attention-pipeline=attention=off | FileCheck %s --check-prefix=STAGE-OFF
// RUN: sieve-opt %s -sieve-raise-attention-pipeline=attention=dense | FileCheck %s --check-prefix=STAGE-DENSE
// RUN: sieve-opt %s -sieve-raise-attention-pipeline="attention=logsparse attention-variant=local attention-window=2" 2>&1 | FileCheck %s --check-prefix=STAGE-LOGSPARSE

// The import stage raises the TOSA form (the default, dense) unless
// attention=off: the exported layer (after inlining and canonicalisation,
// which merge its reshapes).
// OFF-NOT: attn.
// DENSE: attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {layout = #attn.layout<blhd>, scale = 0.0883883461 : f32} : tensor<1x40x12x128xf32>, tensor<1x40x2x128xf32>, tensor<1x40x2x128xf32>, tensor<1x1x1x40xf32> -> tensor<1x40x12x128xf32>

// The raise-attention stage raises the linalg form, then applies LogSparse
// on request.
// STAGE-OFF-NOT: attn.
// STAGE-DENSE: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.000000e+00 : f32}
// STAGE-LOGSPARSE: warning: LogSparse attention (logsparse-local(2)) changes the model
// STAGE-LOGSPARSE: attn.sparse_attention %{{.*}}, %{{.*}}, %{{.*}} {attn.dense_error = {max_rel = {{.*}}}, attn.from_dense, pattern = #attn.logsparse<local = 2>, scale = 1.000000e+00 : f32}
func.func @causal(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>, %v: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %mask = arith.constant dense<[[0.0, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4], [0.0, 0.0, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4], [0.0, 0.0, 0.0, -1.0e4, -1.0e4, -1.0e4, -1.0e4, -1.0e4], [0.0, 0.0, 0.0, 0.0, -1.0e4, -1.0e4, -1.0e4, -1.0e4], [0.0, 0.0, 0.0, 0.0, 0.0, -1.0e4, -1.0e4, -1.0e4], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0e4, -1.0e4], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0e4], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<8x8xf32>
  %s0 = tensor.empty() : tensor<2x8x8xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %s = linalg.batch_matmul indexing_maps = [
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
      affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>,
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%q, %k : tensor<2x8x4xf32>, tensor<2x8x4xf32>) outs(%sf : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<2x8x8xf32>, tensor<8x8xf32>) outs(%s0 : tensor<2x8x8xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.addf %in, %m : f32
    linalg.yield %0 : f32
  } -> tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%x : tensor<2x8x8xf32>) outs(%s0 : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o0 = tensor.empty() : tensor<2x8x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32>) outs(%of : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %o : tensor<2x8x4xf32>
}
