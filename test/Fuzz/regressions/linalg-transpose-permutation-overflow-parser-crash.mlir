// linalg.transpose with a permutation entry that does not fit in i64 (2^64): SIGSEGV in TransposeOp::parse (NamedAttrList::set of a null attribute); mlir-opt crashes too
func.func @f(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %t = linalg.transpose ins(%a : tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) permutation = [1, 18446744073709551616]
  return %t : tensor<4x4xf32>
}
