// RUN: sieve-opt %s -split-input-file -sieve-raise-attention | FileCheck %s
// The forms exporters write, and chains that are not attention.

// TOSA, heads already in front ([B, H, L, D] inputs), grouped KV heads
// broadcast by a tile: the op reads the 2 KV heads; the result stays bhld.
// CHECK-LABEL: func @tosa_tile_gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x16x8xf32>, %[[K:.*]]: tensor<1x2x16x8xf32>, %[[V:.*]]: tensor<1x2x16x8xf32>)
// CHECK-NEXT: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] {scale = 0.353553385 : f32} : tensor<1x4x16x8xf32>, tensor<1x2x16x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x4x16x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @tosa_tile_gqa(%q: tensor<1x4x16x8xf32>, %k: tensor<1x2x16x8xf32>, %v: tensor<1x2x16x8xf32>) -> tensor<1x4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s5 = tosa.const_shape {values = dense<[1, 2, 1, 16, 8]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %mult = tosa.const_shape {values = dense<[1, 1, 2, 1, 1]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %s4 = tosa.const_shape {values = dense<[1, 4, 16, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[4, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3t = tosa.const_shape {values = dense<[4, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s3s = tosa.const_shape {values = dense<[4, 16, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s4s = tosa.const_shape {values = dense<[1, 4, 16, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %k5 = tosa.reshape %k, %s5 : (tensor<1x2x16x8xf32>, !tosa.shape<5>) -> tensor<1x2x1x16x8xf32>
  %kt5 = tosa.tile %k5, %mult : (tensor<1x2x1x16x8xf32>, !tosa.shape<5>) -> tensor<1x2x2x16x8xf32>
  %k4 = tosa.reshape %kt5, %s4 : (tensor<1x2x2x16x8xf32>, !tosa.shape<4>) -> tensor<1x4x16x8xf32>
  %v5 = tosa.reshape %v, %s5 : (tensor<1x2x16x8xf32>, !tosa.shape<5>) -> tensor<1x2x1x16x8xf32>
  %vt5 = tosa.tile %v5, %mult : (tensor<1x2x1x16x8xf32>, !tosa.shape<5>) -> tensor<1x2x2x16x8xf32>
  %v4 = tosa.reshape %vt5, %s4 : (tensor<1x2x2x16x8xf32>, !tosa.shape<4>) -> tensor<1x4x16x8xf32>
  %kT = tosa.transpose %k4 {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x16x8xf32>) -> tensor<1x4x8x16xf32>
  %q3 = tosa.reshape %q, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %kT3 = tosa.reshape %kT, %s3t : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %s = tosa.matmul %q3, %kT3, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %s4d = tosa.reshape %s, %s4s : (tensor<4x16x16xf32>, !tosa.shape<4>) -> tensor<1x4x16x16xf32>
  %c = "tosa.const"() <{values = dense<0.353553385> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %x = tosa.mul %c, %s4d, %shift : (tensor<1x1x1x1xf32>, tensor<1x4x16x16xf32>, tensor<1xi8>) -> tensor<1x4x16x16xf32>
  %m = tosa.reduce_max %x {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %d = tosa.sub %x, %m : (tensor<1x4x16x16xf32>, tensor<1x4x16x1xf32>) -> tensor<1x4x16x16xf32>
  %e = tosa.exp %d : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x1xf32>
  %r = tosa.reciprocal %sum : (tensor<1x4x16x1xf32>) -> tensor<1x4x16x1xf32>
  %p = tosa.mul %r, %e, %shift : (tensor<1x4x16x1xf32>, tensor<1x4x16x16xf32>, tensor<1xi8>) -> tensor<1x4x16x16xf32>
  %p3 = tosa.reshape %p, %s3s : (tensor<1x4x16x16xf32>, !tosa.shape<3>) -> tensor<4x16x16xf32>
  %v3 = tosa.reshape %v4, %s3 : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %o = tosa.matmul %p3, %v3, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  %o4 = tosa.reshape %o, %s4 : (tensor<4x16x8xf32>, !tosa.shape<4>) -> tensor<1x4x16x8xf32>
  return %o4 : tensor<1x4x16x8xf32>
}

// -----

// linalg as torch-mlir writes it: heads collapsed for linalg.batch_matmul,
// K^T by linalg.transpose, `scores / sqrt(d)`, a key-padding mask broadcast
// by its indexing map, and softmax decomposed into unfused generics with
// keepdim reductions.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#keys = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func @torch_mlir
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x16x8xf32>, %[[K:.*]]: tensor<1x4x16x8xf32>, %[[V:.*]]: tensor<1x4x16x8xf32>, %[[PAD:.*]]: tensor<16xf32>)
// CHECK-DAG: %[[Q3:.*]] = tensor.collapse_shape %[[Q]]
// CHECK-DAG: %[[K3:.*]] = tensor.collapse_shape %[[K]]
// CHECK-DAG: %[[V3:.*]] = tensor.collapse_shape %[[V]]
// CHECK-DAG: %[[M:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0, 1, 2]] output_shape [1, 1, 16] : tensor<16xf32> into tensor<1x1x16xf32>
// CHECK: %[[O:.*]] = attn.attention %[[Q3]], %[[K3]], %[[V3]] mask %[[M]] {scale = 0.353553{{[0-9]*}} : f32} : tensor<4x16x8xf32>, tensor<4x16x8xf32>, tensor<4x16x8xf32>, tensor<1x1x16xf32> -> tensor<4x16x8xf32>
// CHECK-NOT: linalg.
// CHECK: tensor.expand_shape %[[O]]
func.func @torch_mlir(%q: tensor<1x4x16x8xf32>, %k: tensor<1x4x16x8xf32>, %v: tensor<1x4x16x8xf32>, %pad: tensor<16xf32>) -> tensor<1x4x16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %sqrtd = arith.constant 2.82842712 : f32
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x4x16x8xf32> into tensor<4x16x8xf32>
  %k3 = tensor.collapse_shape %k [[0, 1], [2], [3]] : tensor<1x4x16x8xf32> into tensor<4x16x8xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<1x4x16x8xf32> into tensor<4x16x8xf32>
  %kt0 = tensor.empty() : tensor<4x8x16xf32>
  %kt = linalg.transpose ins(%k3 : tensor<4x16x8xf32>) outs(%kt0 : tensor<4x8x16xf32>) permutation = [0, 2, 1]
  %s0 = tensor.empty() : tensor<4x16x16xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %s = linalg.batch_matmul ins(%q3, %kt : tensor<4x16x8xf32>, tensor<4x8x16xf32>) outs(%sf : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x16x16xf32>) outs(%s0 : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.divf %in, %sqrtd : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x16xf32>
  %x = linalg.generic {indexing_maps = [#id, #keys, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %pad : tensor<4x16x16xf32>, tensor<16xf32>) outs(%s0 : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.addf %in, %m : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x16xf32>
  %r0 = tensor.empty() : tensor<4x16x1xf32>
  %rmax = linalg.fill ins(%ninf : f32) outs(%r0 : tensor<4x16x1xf32>) -> tensor<4x16x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<4x16x16xf32>) outs(%rmax : tensor<4x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x1xf32>
  %sub = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %max : tensor<4x16x16xf32>, tensor<4x16x1xf32>) outs(%s0 : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x16xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sub : tensor<4x16x16xf32>) outs(%s0 : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x16xf32>
  %rsum = linalg.fill ins(%zero : f32) outs(%r0 : tensor<4x16x1xf32>) -> tensor<4x16x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%exp : tensor<4x16x16xf32>) outs(%rsum : tensor<4x16x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<4x16x16xf32>, tensor<4x16x1xf32>) outs(%s0 : tensor<4x16x16xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %0 = arith.divf %in, %sm : f32
    linalg.yield %0 : f32
  } -> tensor<4x16x16xf32>
  %o0 = tensor.empty() : tensor<4x16x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<4x16x8xf32>) -> tensor<4x16x8xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<4x16x16xf32>, tensor<4x16x8xf32>) outs(%of : tensor<4x16x8xf32>) -> tensor<4x16x8xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, 4, 16, 8] : tensor<4x16x8xf32> into tensor<1x4x16x8xf32>
  return %o4 : tensor<1x4x16x8xf32>
}

// -----

// linalg with K untransposed (the transposed-B batch_matmul), no scale, and
// linalg.softmax: scale 1.
// CHECK-LABEL: func @transpose_b_softmax
// CHECK-SAME: (%[[Q:.*]]: tensor<2x16x8xf32>, %[[K:.*]]: tensor<2x32x8xf32>, %[[V:.*]]: tensor<2x32x4xf32>)
// CHECK-NEXT: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] {scale = 1.000000e+00 : f32} : tensor<2x16x8xf32>, tensor<2x32x8xf32>, tensor<2x32x4xf32> -> tensor<2x16x4xf32>
// CHECK-NEXT: return %[[O]]
func.func @transpose_b_softmax(%q: tensor<2x16x8xf32>, %k: tensor<2x32x8xf32>, %v: tensor<2x32x4xf32>) -> tensor<2x16x4xf32> {
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<2x16x32xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %s = linalg.batch_matmul indexing_maps = [
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>,
      affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>,
      affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]
      ins(%q, %k : tensor<2x16x8xf32>, tensor<2x32x8xf32>) outs(%sf : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x16x32xf32>) outs(%s0 : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %o0 = tensor.empty() : tensor<2x16x4xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<2x16x4xf32>) -> tensor<2x16x4xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x16x32xf32>, tensor<2x32x4xf32>) outs(%of : tensor<2x16x4xf32>) -> tensor<2x16x4xf32>
  return %o : tensor<2x16x4xf32>
}

// -----

// Single head, rank 2: linalg.matmul, scale multiplied by a splat input,
// softmax decomposed as upstream's linalg.softmax decomposition writes it
// (exp(x - max) in one generic, reductions without keepdim), and a causal
// constant mask.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @upstream_decomposition
// CHECK-SAME: (%[[Q:.*]]: tensor<4x8xf32>, %[[K:.*]]: tensor<4x8xf32>, %[[V:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[O:.*]] = attn.attention %[[Q]], %[[K]], %[[V]] {causal, scale = 1.250000e-01 : f32} : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: return %[[O]]
func.func @upstream_decomposition(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant dense<0.125> : tensor<4x4xf32>
  %causal = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]> : tensor<4x4xf32>
  %kt0 = tensor.empty() : tensor<8x4xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8xf32>) outs(%kt0 : tensor<8x4xf32>) permutation = [1, 0]
  %s0 = tensor.empty() : tensor<4x4xf32>
  %sf = linalg.fill ins(%zero : f32) outs(%s0 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<4x8xf32>, tensor<8x4xf32>) outs(%sf : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%scale, %s : tensor<4x4xf32>, tensor<4x4xf32>) outs(%s0 : tensor<4x4xf32>) {
  ^bb0(%c: f32, %in: f32, %out: f32):
    %0 = arith.mulf %c, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4x4xf32>
  %x = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%causal, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%s0 : tensor<4x4xf32>) {
  ^bb0(%m: f32, %in: f32, %out: f32):
    %0 = arith.addf %m, %in : f32
    linalg.yield %0 : f32
  } -> tensor<4x4xf32>
  %r0 = tensor.empty() : tensor<4xf32>
  %rmax = linalg.fill ins(%ninf : f32) outs(%r0 : tensor<4xf32>) -> tensor<4xf32>
  %max = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x4xf32>) outs(%rmax : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maxnumf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %exp = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%x, %max : tensor<4x4xf32>, tensor<4xf32>) outs(%s0 : tensor<4x4xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  } -> tensor<4x4xf32>
  %rsum = linalg.fill ins(%zero : f32) outs(%r0 : tensor<4xf32>) -> tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]} ins(%exp : tensor<4x4xf32>) outs(%rsum : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %p = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]} ins(%exp, %sum : tensor<4x4xf32>, tensor<4xf32>) outs(%s0 : tensor<4x4xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %0 = arith.divf %in, %sm : f32
    linalg.yield %0 : f32
  } -> tensor<4x4xf32>
  %o0 = tensor.empty() : tensor<4x8xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<4x4xf32>, tensor<4x8xf32>) outs(%of : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

// Not attention: the softmax runs over the queries (axis 1), not the keys.
// CHECK-LABEL: func @softmax_over_queries
// CHECK-NOT: attn.
// CHECK: tosa.matmul
// CHECK: tosa.reduce_max {{.*}} {axis = 1 : i32}
// CHECK: tosa.matmul
func.func @softmax_over_queries(%q: tensor<4x16x8xf32>, %kt: tensor<4x8x16xf32>, %v: tensor<4x16x8xf32>) -> tensor<4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %m = tosa.reduce_max %s {axis = 1 : i32} : (tensor<4x16x16xf32>) -> tensor<4x1x16xf32>
  %d = tosa.sub %s, %m : (tensor<4x16x16xf32>, tensor<4x1x16xf32>) -> tensor<4x16x16xf32>
  %e = tosa.exp %d : (tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %sum = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<4x16x16xf32>) -> tensor<4x1x16xf32>
  %r = tosa.reciprocal %sum : (tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x16x16xf32>, tensor<4x1x16xf32>, tensor<1xi8>) -> tensor<4x16x16xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  return %o : tensor<4x16x8xf32>
}

// -----

// Not attention: exp without the normalisation by its sum.
// CHECK-LABEL: func @unnormalised
// CHECK-NOT: attn.
// CHECK: tosa.exp
func.func @unnormalised(%q: tensor<4x16x8xf32>, %kt: tensor<4x8x16xf32>, %v: tensor<4x16x8xf32>) -> tensor<4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %e = tosa.exp %s : (tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o = tosa.matmul %e, %v, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  return %o : tensor<4x16x8xf32>
}

// -----

// Not attention: the softmax of an input (no Q K^T) times a matmul.
// CHECK-LABEL: func @softmax_of_input
// CHECK-NOT: attn.
// CHECK: tosa.matmul
func.func @softmax_of_input(%x: tensor<4x16x16xf32>, %v: tensor<4x16x8xf32>) -> tensor<4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = tosa.reduce_max %x {axis = 2 : i32} : (tensor<4x16x16xf32>) -> tensor<4x16x1xf32>
  %d = tosa.sub %x, %m : (tensor<4x16x16xf32>, tensor<4x16x1xf32>) -> tensor<4x16x16xf32>
  %e = tosa.exp %d : (tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x16x16xf32>) -> tensor<4x16x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x16x1xf32>) -> tensor<4x16x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x16x16xf32>, tensor<4x16x1xf32>, tensor<1xi8>) -> tensor<4x16x16xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  return %o : tensor<4x16x8xf32>
}

// -----

// Not attention: the exp is normalised by the sum of another tensor.
// CHECK-LABEL: func @other_sum
// CHECK-NOT: attn.
// CHECK: tosa.reciprocal
func.func @other_sum(%q: tensor<4x16x8xf32>, %kt: tensor<4x8x16xf32>, %v: tensor<4x16x8xf32>, %w: tensor<4x16x16xf32>) -> tensor<4x16x8xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x16x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x16xf32>
  %e = tosa.exp %s : (tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %sum = tosa.reduce_sum %w {axis = 2 : i32} : (tensor<4x16x16xf32>) -> tensor<4x16x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x16x1xf32>) -> tensor<4x16x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x16x16xf32>, tensor<4x16x1xf32>, tensor<1xi8>) -> tensor<4x16x16xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x16x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x16x8xf32>
  return %o : tensor<4x16x8xf32>
}
