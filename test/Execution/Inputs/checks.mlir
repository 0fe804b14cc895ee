// Exporter checks: one that folds away, two that depend on the input.
func.func @guarded(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %false = arith.constant false
  %t = arith.cmpi eq, %false, %false : i1
  cf.assert %t, "training is not supported for now"
  %c0 = arith.constant 0 : index
  %v = tensor.extract %x[%c0, %c0] : tensor<2x4xf32>
  %zero = arith.constant 0.0 : f32
  %ok = arith.cmpf oge, %v, %zero : f32
  cf.assert %ok, "x[0][0] must not be negative"
  %c1 = arith.constant 1 : index
  %w = tensor.extract %x[%c1, %c0] : tensor<2x4xf32>
  %ok2 = arith.cmpf olt, %w, %zero : f32
  cf.assert %ok2, "x[1][0] must be negative"
  %r = tosa.abs %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
