// torch-mlir's output: asserts whose condition folds to true, and a linear
// layer that transposes its (here splat) weight at run time. Rejected at the
// first assert, then a 4 MB arena for the transposed weight.
func.func @forward(%x: tensor<1x1024xf32>) -> tensor<1x1000xf32> {
  %false = arith.constant false
  %0 = arith.cmpi eq, %false, %false : i1
  cf.assert %0, "training is not supported for now"
  %w = arith.constant dense<0.015625> : tensor<1000x1024xf32>
  %e = tensor.empty() : tensor<1024x1000xf32>
  %wt = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<1000x1024xf32>) outs(%e : tensor<1024x1000xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1024x1000xf32>
  %cst = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x1000xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e2 : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  %r = linalg.matmul ins(%x, %wt : tensor<1x1024xf32>, tensor<1024x1000xf32>) outs(%z : tensor<1x1000xf32>) -> tensor<1x1000xf32>
  return %r : tensor<1x1000xf32>
}
