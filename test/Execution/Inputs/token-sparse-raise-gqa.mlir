// A grouped-query decode step as torch-mlir exports it: 8 query heads, 2 KV
// heads broadcast after torch.cat((past, new), dim=2), past length 47, heads
// collapsed for linalg.batch_matmul. token-sparse-raise.test.
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#bm = affine_map<(d0, d1, d2) -> (0, d1, d2)>
func.func @gqa_decode(%q: tensor<1x8x1x16xf32>, %k1: tensor<1x2x1x16xf32>, %v1: tensor<1x2x1x16xf32>, %pk: tensor<1x2x47x16xf32>, %pv: tensor<1x2x47x16xf32>) -> (tensor<1x8x1x16xf32>, tensor<1x2x48x16xf32>, tensor<1x2x48x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %sqrtd = arith.constant 4.0 : f32
  %k = tensor.concat dim(2) %pk, %k1 : (tensor<1x2x47x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x48x16xf32>
  %v = tensor.concat dim(2) %pv, %v1 : (tensor<1x2x47x16xf32>, tensor<1x2x1x16xf32>) -> tensor<1x2x48x16xf32>
  %kb0 = tensor.empty() : tensor<1x2x4x48x16xf32>
  %kb = linalg.broadcast ins(%k : tensor<1x2x48x16xf32>) outs(%kb0 : tensor<1x2x4x48x16xf32>) dimensions = [2]
  %kg = tensor.collapse_shape %kb [[0], [1, 2], [3], [4]] : tensor<1x2x4x48x16xf32> into tensor<1x8x48x16xf32>
  %vb0 = tensor.empty() : tensor<1x2x4x48x16xf32>
  %vb = linalg.broadcast ins(%v : tensor<1x2x48x16xf32>) outs(%vb0 : tensor<1x2x4x48x16xf32>) dimensions = [2]
  %vg = tensor.collapse_shape %vb [[0], [1, 2], [3], [4]] : tensor<1x2x4x48x16xf32> into tensor<1x8x48x16xf32>
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<1x8x1x16xf32> into tensor<8x1x16xf32>
  %k3 = tensor.collapse_shape %kg [[0, 1], [2], [3]] : tensor<1x8x48x16xf32> into tensor<8x48x16xf32>
  %v3 = tensor.collapse_shape %vg [[0, 1], [2], [3]] : tensor<1x8x48x16xf32> into tensor<8x48x16xf32>
  %kt0 = tensor.empty() : tensor<8x16x48xf32>
  %kt = linalg.transpose ins(%k3 : tensor<8x48x16xf32>) outs(%kt0 : tensor<8x16x48xf32>) permutation = [0, 2, 1]
  %sc0 = tensor.empty() : tensor<8x1x48xf32>
  %scf = linalg.fill ins(%zero : f32) outs(%sc0 : tensor<8x1x48xf32>) -> tensor<8x1x48xf32>
  %sc = linalg.batch_matmul ins(%q3, %kt : tensor<8x1x16xf32>, tensor<8x16x48xf32>) outs(%scf : tensor<8x1x48xf32>) -> tensor<8x1x48xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sc : tensor<8x1x48xf32>) outs(%sc0 : tensor<8x1x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.divf %in, %sqrtd : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x48xf32>
  %s0 = tensor.empty() : tensor<8x1x48xf32>
  %r0 = tensor.empty() : tensor<8x1x1xf32>
  %rmax = linalg.fill ins(%ninf : f32) outs(%r0 : tensor<8x1x1xf32>) -> tensor<8x1x1xf32>
  %max = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%y : tensor<8x1x48xf32>) outs(%rmax : tensor<8x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x1xf32>
  %sub = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%y, %max : tensor<8x1x48xf32>, tensor<8x1x1xf32>) outs(%s0 : tensor<8x1x48xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %0 = arith.subf %in, %mx : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x48xf32>
  %exp = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%sub : tensor<8x1x48xf32>) outs(%s0 : tensor<8x1x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x48xf32>
  %rsum = linalg.fill ins(%zero : f32) outs(%r0 : tensor<8x1x1xf32>) -> tensor<8x1x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #keep], iterator_types = ["parallel", "parallel", "reduction"]} ins(%exp : tensor<8x1x48xf32>) outs(%rsum : tensor<8x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x1xf32>
  %p = linalg.generic {indexing_maps = [#id, #keep, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%exp, %sum : tensor<8x1x48xf32>, tensor<8x1x1xf32>) outs(%s0 : tensor<8x1x48xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %0 = arith.divf %in, %sm : f32
    linalg.yield %0 : f32
  } -> tensor<8x1x48xf32>
  %o0 = tensor.empty() : tensor<8x1x16xf32>
  %of = linalg.fill ins(%zero : f32) outs(%o0 : tensor<8x1x16xf32>) -> tensor<8x1x16xf32>
  %o = linalg.batch_matmul ins(%p, %v3 : tensor<8x1x48xf32>, tensor<8x48x16xf32>) outs(%of : tensor<8x1x16xf32>) -> tensor<8x1x16xf32>
  %o4 = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [1, 8, 1, 16] : tensor<8x1x16xf32> into tensor<1x8x1x16xf32>
  return %o4, %k, %v : tensor<1x8x1x16xf32>, tensor<1x2x48x16xf32>, tensor<1x2x48x16xf32>
}
