// sieve-fuse-into-rows on a linalg conv with 0 output channels (weights tensor<0x1x1x32xi8>) and a consumer: SIGSEGV in linalg::computeTileSizes under tileConsumerAndFuseProducersUsingSCF, called from FuseIntoRowsPass; sieve-compile crashes the same way on this linalg model
// FUZZ-RUN: sieve-opt --sieve-fuse-into-rows
// FUZZ-RUN: sieve-compile --target=cortex-m4
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @f(%x: tensor<1x1x1x32xi8>, %w: tensor<0x1x1x32xi8>) -> tensor<1x1x1x0xi8> {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x1x0xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x1x0xi32>) -> tensor<1x1x1x0xi32>
  %acc = linalg.conv_2d_nhwc_fhwc_q {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w, %c0, %c0 : tensor<1x1x1x32xi8>, tensor<0x1x1x32xi8>, i32, i32) outs(%f : tensor<1x1x1x0xi32>) -> tensor<1x1x1x0xi32>
  %e8 = tensor.empty() : tensor<1x1x1x0xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%acc : tensor<1x1x1x0xi32>) outs(%e8 : tensor<1x1x1x0xi8>) {
  ^bb0(%in: i32, %out: i8):
    %t = arith.trunci %in : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x1x1x0xi8>
  return %q : tensor<1x1x1x0xi8>
}
