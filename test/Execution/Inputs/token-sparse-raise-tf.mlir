// A decode step as TF / HF (heads after the length) export it: the past K/V
// [1, 63, 4, 16] concatenated with the new token's, transposed, an additive
// causal mask that keeps every key for the last query; the present K/V are
// outputs. token-sparse-raise.test.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#bm = affine_map<(d0, d1, d2) -> (0, d1, d2)>
func.func @tf_decode(%q: tensor<1x1x4x16xf32>, %k1: tensor<1x1x4x16xf32>, %v1: tensor<1x1x4x16xf32>, %pk: tensor<1x63x4x16xf32>, %pv: tensor<1x63x4x16xf32>) -> (tensor<1x1x4x16xf32>, tensor<1x64x4x16xf32>, tensor<1x64x4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %sqrtd = arith.constant 4.0 : f32
  %k = tensor.concat dim(1) %pk, %k1 : (tensor<1x63x4x16xf32>, tensor<1x1x4x16xf32>) -> tensor<1x64x4x16xf32>
  %v = tensor.concat dim(1) %pv, %v1 : (tensor<1x63x4x16xf32>, tensor<1x1x4x16xf32>) -> tensor<1x64x4x16xf32>
  %qT0 = tensor.empty() : tensor<1x4x1x16xf32>
  %qT = linalg.transpose ins(%q : tensor<1x1x4x16xf32>) outs(%qT0 : tensor<1x4x1x16xf32>) permutation = [0, 2, 1, 3]
  %q3 = tensor.collapse_shape %qT [[0, 1], [2], [3]] : tensor<1x4x1x16xf32> into tensor<4x1x16xf32>
  %kT0 = tensor.empty() : tensor<1x4x64x16xf32>
  %kT = linalg.transpose ins(%k : tensor<1x64x4x16xf32>) outs(%kT0 : tensor<1x4x64x16xf32>) permutation = [0, 2, 1, 3]
  %k3 = tensor.collapse_shape %kT [[0, 1], [2], [3]] : tensor<1x4x64x16xf32> into tensor<4x64x16xf32>
  %vT0 = tensor.empty() : tensor<1x4x64x16xf32>
  %vT = linalg.transpose ins(%v : tensor<1x64x4x16xf32>) outs(%vT0 : tensor<1x4x64x16xf32>) permutation = [0, 2, 1, 3]
  %v3 = tensor.collapse_shape %vT [[0, 1], [2], [3]] : tensor<1x4x64x16xf32> into tensor<4x64x16xf32>
  %cm = arith.constant dense<0.0> : tensor<1x1x64xf32>
  %kt0 = tensor.empty() : tensor<4x16x64xf32>
  %kt = linalg.transpose ins(%k3 : tensor<4x64x16xf32>) outs(%kt0 : tensor<4x16x64xf32>) permutation = [0, 2, 1]
  %sc0 = tensor.empty() : tensor<4x1x64xf32>
  %scf = linalg.fill ins(%zero : f32) outs(%sc0 : tensor<4x1x64xf32>) -> tensor<4x1x64xf32>
  %sc = linalg.batch_matmul ins(%q3, %kt : tensor<4x1x16xf32>, tensor<4x16x64xf32>) outs(%scf : tensor<4x1x64xf32>) -> tensor<4x1x64xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sc : tensor<4x1x64xf32>) outs(%sc0 : tensor<4x1x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.divf %in, %sqrtd : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x64xf32>
  %x = linalg.generic {indexing_maps = [#id, #bm, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %cm : tensor<4x1x64xf32>, tensor<1x1x64xf32>) outs(%sc0 : tensor<4x1x64xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %0 = arith.addf %in, %m : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x64xf32>
  %s0 = tensor.empty() : tensor<4x1x64xf32>
  %r0 = tensor.empty() : tensor<4x1x1xf32>
  %rmax = linalg.fill ins(%ninf : f32) outs(%r0 : tensor<4x1x1xf32>) -> tensor<4x1x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<4x1x64xf32>) outs(%rmax : tensor<4x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x1xf32>
  %sub = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %max : tensor<4x1x64xf32>, tensor<4x1x1xf32>) outs(%s0 : tensor<4x1x64xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x64xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sub : tensor<4x1x64xf32>) outs(%s0 : tensor<4x1x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x64xf32>
  %rsum = linalg.fill ins(%zero : f32) outs(%r0 : tensor<4x1x1xf32>) -> tensor<4x1x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%exp : tensor<4x1x64xf32>) outs(%rsum : tensor<4x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<4x1x64xf32>, tensor<4x1x1xf32>) outs(%s0 : tensor<4x1x64xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %0 = arith.divf %in, %sm : f32
    linalg.yield %0 : f32
  } -> tensor<4x1x64xf32>
  %o0 = tensor.empty() : tensor<4x1x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<4x1x64xf32>, tensor<4x64x16xf32>) outs(%of : tensor<4x1x16xf32>) -> tensor<4x1x16xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, 4, 1, 16] : tensor<4x1x16xf32> into tensor<1x4x1x16xf32>
  %ot0 = tensor.empty() : tensor<1x1x4x16xf32>
  %ot = linalg.transpose ins(%o4 : tensor<1x4x1x16xf32>) outs(%ot0 : tensor<1x1x4x16xf32>) permutation = [0, 2, 1, 3]
  return %ot, %k, %v : tensor<1x1x4x16xf32>, tensor<1x64x4x16xf32>, tensor<1x64x4x16xf32>
}
