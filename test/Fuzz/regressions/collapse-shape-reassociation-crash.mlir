// tensor.collapse_shape with a reassociation index of 2^32 passes the
// verifier. In the transformer layer of test/models, where the fuzzer put
// it, linalg-fuse-elementwise-ops then crashed; this is the op alone.
func.func @f(%a: tensor<1x2x6x40xf32>) -> tensor<12x40xf32> {
  %e = tensor.empty() : tensor<1x2x6x40xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x2x6x40xf32>) outs(%e : tensor<1x2x6x40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x2x6x40xf32>
  %c = tensor.collapse_shape %0 [[4294967296, 1, 2], [3]] : tensor<1x2x6x40xf32> into tensor<12x40xf32>
  return %c : tensor<12x40xf32>
}
