// tern.matmul's verifier walks every weight even for a splat: a 2^31x16 splat hangs (16M weights take 16 s)
// FUZZ-RUN: sieve-opt
func.func @splat(%x: tensor<1x16xi8>) -> tensor<1x2147483648xi32> {
  %y = tern.matmul %x weights(dense<-1> : tensor<2147483648x16xi8>) : tensor<1x16xi8> -> tensor<1x2147483648xi32>
  return %y : tensor<1x2147483648xi32>
}
