// linalg.batch_matmul on index elements: SIGSEGV in the op's custom parser (linalg.matmul gives a diagnostic)
func.func @f(%a: tensor<2x16x16xindex>, %b: tensor<2x16x16xindex>, %c: tensor<2x16x16xindex>) -> tensor<2x16x16xindex> {
  %0 = linalg.batch_matmul ins(%a, %b : tensor<2x16x16xindex>, tensor<2x16x16xindex>) outs(%c : tensor<2x16x16xindex>) -> tensor<2x16x16xindex>
  return %0 : tensor<2x16x16xindex>
}
