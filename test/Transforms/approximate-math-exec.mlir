// RUN: sieve-opt %s -sieve-approximate-math -convert-vector-to-scf -convert-scf-to-cf -convert-vector-to-llvm -convert-math-to-llvm -convert-arith-to-llvm -convert-cf-to-llvm -convert-func-to-llvm -reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_lib_dir/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s

// The expanded floor is exact at the edges: negative fractions, integers,
// the largest values with a fraction (2^23 - 0.5), values beyond 2^23, and
// infinities. Printed as floor(x) - x, which prints exactly.
// CHECK: ( -0.5, 0, -0.75, 0, -0.75, 0, -0.5, -0.5, 0, 0 )
// CHECK: ( inf, -inf )
// The expanded roundeven (through i32, not i64) rounds ties to even, both
// signs, and leaves large values and infinities alone.
// CHECK: ( -2, -2, {{-?}}0, 0, 2, 2, 3, -3, 8.38861e+06, 1e+10, inf )
func.func @main() {
  %x = arith.constant dense<[-1.5, -1.0, -0.25, 0.0, 0.75, 2.0, 8388607.5, -8388607.5, 1.0e10, -3.0e12]> : vector<10xf32>
  %f = math.floor %x : vector<10xf32>
  %d = arith.subf %f, %x : vector<10xf32>
  vector.print %d : vector<10xf32>
  %inf = arith.constant dense<[0x7F800000, 0xFF800000]> : vector<2xf32>
  %g = math.floor %inf : vector<2xf32>
  vector.print %g : vector<2xf32>
  %r = arith.constant dense<[-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.75, -3.25, 8388607.0, 1.0e10, 0x7F800000]> : vector<11xf32>
  %e = math.roundeven %r : vector<11xf32>
  vector.print %e : vector<11xf32>
  return
}
