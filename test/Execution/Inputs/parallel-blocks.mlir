// A hand-written model with a loop marked sieve.parallel (docs/parallel.md):
// 4x2 independent blocks of a row softmax of x*w, each with three scratch
// buffers (the product, its exponentials, their row sums). A task that used
// another worker's scratch, or a scratch shared by two tasks running at the
// same time, would give wrong blocks.
#rows = affine_map<(d0) -> (d0 * 4)>
#cols = affine_map<(d0) -> (d0 * 16)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @blocks(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>) -> tensor<16x32xf32> {
  %init = tensor.empty() : tensor<16x32xf32>
  %zero = arith.constant 0.0 : f32
  %r = scf.forall (%i, %j) in (4, 2) shared_outs(%o = %init) -> tensor<16x32xf32> {
    %r0 = affine.apply #rows(%i)
    %c0 = affine.apply #cols(%j)
    %xs = tensor.extract_slice %x[%r0, 0] [4, 32] [1, 1] : tensor<16x32xf32> to tensor<4x32xf32>
    %ws = tensor.extract_slice %w[0, %c0] [32, 16] [1, 1] : tensor<32x32xf32> to tensor<32x16xf32>
    %p0 = tensor.empty() : tensor<4x16xf32>
    %pz = linalg.fill ins(%zero : f32) outs(%p0 : tensor<4x16xf32>) -> tensor<4x16xf32>
    %p = linalg.matmul ins(%xs, %ws : tensor<4x32xf32>, tensor<32x16xf32>) outs(%pz : tensor<4x16xf32>) -> tensor<4x16xf32>
    %e0 = tensor.empty() : tensor<4x16xf32>
    %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%p : tensor<4x16xf32>) outs(%e0 : tensor<4x16xf32>) {
    ^bb0(%a: f32, %b: f32):
      %v = math.exp %a : f32
      linalg.yield %v : f32
    } -> tensor<4x16xf32>
    %s0 = tensor.empty() : tensor<4xf32>
    %sz = linalg.fill ins(%zero : f32) outs(%s0 : tensor<4xf32>) -> tensor<4xf32>
    %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
        ins(%e : tensor<4x16xf32>) outs(%sz : tensor<4xf32>) {
    ^bb0(%a: f32, %acc: f32):
      %v = arith.addf %a, %acc : f32
      linalg.yield %v : f32
    } -> tensor<4xf32>
    %q0 = tensor.empty() : tensor<4x16xf32>
    %q = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
        ins(%e, %s : tensor<4x16xf32>, tensor<4xf32>) outs(%q0 : tensor<4x16xf32>) {
    ^bb0(%a: f32, %t: f32, %b: f32):
      %v = arith.divf %a, %t : f32
      linalg.yield %v : f32
    } -> tensor<4x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %q into %o[%r0, %c0] [4, 16] [1, 1] : tensor<4x16xf32> into tensor<16x32xf32>
    }
  } {sieve.parallel}
  return %r : tensor<16x32xf32>
}
