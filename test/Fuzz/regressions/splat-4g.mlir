// Hung in LLVM on x86, as splat-16g.mlir.
func.func @s() -> tensor<4294967296xi8> {
  %0 = arith.constant dense<1> : tensor<4294967296xi8>
  return %0 : tensor<4294967296xi8>
}
