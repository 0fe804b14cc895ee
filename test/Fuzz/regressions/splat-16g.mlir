// Hung in LLVM on x86: a 16 GiB splat written out element by element.
func.func @s() -> tensor<1x65536x65536x4xi8> {
  %0 = arith.constant dense<1> : tensor<1x65536x65536x4xi8>
  return %0 : tensor<1x65536x65536x4xi8>
}
